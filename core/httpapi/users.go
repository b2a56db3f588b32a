package httpapi

import (
	"net/http"
	"time"

	"github.com/opencity/opencity/core"
)

type userJSON struct {
	ID             int64     `json:"id"`
	Login          string    `json:"login"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	Phone          string    `json:"phone"`
	Role           core.Role `json:"role"`
	OrganizationID *int64    `json:"organization_id"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
}

func userView(u *core.User) userJSON {
	return userJSON{u.ID, u.Login, u.Name, u.Email, u.Phone, u.Role, u.OrganizationID, u.Active, u.CreatedAt}
}

// invitedJSON is the answer to an invitation; the token is shown once.
type invitedJSON struct {
	User            userJSON  `json:"user"`
	InviteToken     string    `json:"invite_token"`
	InviteExpiresAt time.Time `json:"invite_expires_at"`
}

// userRoutes are the routes of user management and policies.
func (a *API) userRoutes() []Route {
	s := func(c *Call) *core.Users { return a.Services().Users(c.City) }
	return []Route{
		endpoint(Route{Method: "GET", Path: "/users", Obj: core.ObjUsers, Act: core.ActRead, Summary: "The city's users", Status: http.StatusOK},
			func(c *Call, _ none) (listOf[userJSON], error) {
				us, err := s(c).List(c.Ctx, c.Actor)
				out := make([]userJSON, len(us))
				for i := range us {
					out[i] = userView(&us[i])
				}
				return itemsOf(out), err
			}),
		endpoint(Route{Method: "POST", Path: "/users", Obj: core.ObjUsers, Act: core.ActCreate, Summary: "Invite a user; the answer carries a one-time set-password token", Status: http.StatusCreated},
			func(c *Call, in core.NewUser) (*invitedJSON, error) {
				inv, err := s(c).Invite(c.Ctx, c.Actor, in)
				if err != nil {
					return nil, err
				}
				return &invitedJSON{User: userView(inv.User), InviteToken: inv.Token, InviteExpiresAt: inv.ExpiresAt}, nil
			}),
		endpoint(Route{Method: "PATCH", Path: "/users/:id", Obj: core.ObjUsers, Act: core.ActUpdate, Summary: "Change a user's role, organization or activity", Status: http.StatusOK},
			func(c *Call, in core.UserPatch) (*userJSON, error) {
				id, err := pathID(c, "id", "user")
				if err != nil {
					return nil, err
				}
				u, err := s(c).Change(c.Ctx, c.Actor, id, in)
				if err != nil {
					return nil, err
				}
				v := userView(u)
				return &v, nil
			}),
		endpoint(Route{Method: "GET", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActRead, Summary: "The city's access policies", Status: http.StatusOK},
			func(c *Call, _ none) (listOf[core.Policy], error) {
				ps, err := s(c).Policies(c.Ctx, c.Actor)
				return itemsOf(ps), err
			}),
		endpoint(Route{Method: "POST", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActCreate, Summary: "Grant a role (built-in or custom) an action on an object",
			Status: http.StatusCreated, Also: http.StatusOK},
			func(c *Call, in core.Policy) (core.Policy, error) {
				added, err := s(c).Grant(c.Ctx, c.Actor, in)
				if !added {
					c.Replayed()
				}
				return in, err
			}),
		endpoint(Route{Method: "DELETE", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActDelete, Summary: "Withdraw a policy", Status: http.StatusNoContent},
			func(c *Call, in core.Policy) (none, error) { return none{}, s(c).Withdraw(c.Ctx, c.Actor, in) }),
	}
}

// tokenRoutes are the routes of the city's API tokens.
func (a *API) tokenRoutes() []Route {
	s := func(c *Call) *core.Accounts { return a.Services().Accounts(c.City) }
	return []Route{
		endpoint(Route{Method: "GET", Path: "/tokens", Obj: core.ObjTokens, Act: core.ActRead, Summary: "The city's API tokens, without the tokens themselves", Status: http.StatusOK},
			func(c *Call, _ none) (listOf[core.APIToken], error) {
				ts, err := s(c).APITokens(c.Ctx, c.Actor)
				return itemsOf(ts), err
			}),
		endpoint(Route{Method: "POST", Path: "/tokens", Obj: core.ObjTokens, Act: core.ActCreate, Summary: "An API token bound to a role, shown once", Status: http.StatusCreated},
			func(c *Call, in core.NewAPIToken) (*apiTokenJSON, error) {
				raw, t, err := s(c).CreateAPIToken(c.Ctx, c.Actor, in)
				if err != nil {
					return nil, err
				}
				return &apiTokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Token: raw, TokenType: "Bearer",
					CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt}, nil
			}),
		endpoint(Route{Method: "DELETE", Path: "/tokens/:id", Obj: core.ObjTokens, Act: core.ActDelete, Summary: "Revoke an API token", Status: http.StatusNoContent},
			func(c *Call, _ none) (none, error) {
				id, err := pathID(c, "id", "API token")
				if err == nil {
					err = s(c).RevokeAPIToken(c.Ctx, c.Actor, id)
				}
				return none{}, err
			}),
	}
}

// apiTokenJSON is a new API token; the token itself is shown only here.
type apiTokenJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      core.Role `json:"role"`
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`
}
