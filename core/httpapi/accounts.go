package httpapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/ratelimit"
)

// AccountStore is what the account, user, token and public routes need
// from a city's storage, beyond core.Store.
type AccountStore interface {
	core.AccountStore
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
	AnonymousActor(ctx context.Context) (core.Actor, error)
	SetTrackingCode(ctx context.Context, requestID int64, code string) error
	RequestByTrackingCode(ctx context.Context, code string) (*core.PublicRequest, error)
}

// allowSelf is the authorization check of routes where an authenticated
// caller acts on their own account only: any role may, on itself.
func (a *API) allowSelf(c *gin.Context) {
	if ActorFromContext(c.Request.Context()).UserID == 0 {
		WriteProblem(c, core.E(core.EUNAUTHORIZED, "error.log_in_first"))
		return
	}
	c.Next()
}

// allowAnonymous is the authorization check of public routes: the city's
// policies must grant act on obj to the anonymous role.
func (a *API) allowAnonymous(obj, act string) gin.HandlerFunc {
	check := a.allow(obj, act)
	return func(c *gin.Context) {
		c.Request = c.Request.WithContext(NewContextWithActor(c.Request.Context(), core.Actor{Role: core.RoleAnonymous}))
		check(c)
	}
}

func bearer(c *gin.Context) string {
	t, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return strings.TrimSpace(t)
}

// accountRoutes are the routes of logging in and out, registering,
// redeeming an invitation and changing one's password.
func (a *API) accountRoutes() []Route {
	s := func(c *Call) *core.Accounts { return a.Services().Accounts(c.City) }
	lim := a.limits()
	return []Route{
		endpoint(Route{Method: "POST", Path: "/auth/token", Summary: "Log in: a bearer token for 24 hours; failures are slowed and limited per account and client address",
			Status: http.StatusCreated, Throttled: true, Before: a.limit(lim.Login)},
			func(c *Call, in core.Credentials) (*tokenOutput, error) {
				in.Client = c.ClientIP()
				ses, err := s(c).Login(c.Ctx, in)
				if err != nil {
					return nil, err
				}
				return &tokenOutput{Token: ses.Token, TokenType: "Bearer", ExpiresAt: ses.ExpiresAt}, nil
			}),
		endpoint(Route{Method: "POST", Path: "/auth/register", Summary: "A citizen's account, by e-mail or phone",
			Status: http.StatusCreated, Throttled: true, Before: a.limit(lim.Register)},
			func(c *Call, in core.Registration) (*userJSON, error) {
				u, err := s(c).Register(c.Ctx, in)
				if err != nil {
					return nil, err
				}
				v := userView(u)
				return &v, nil
			}),
		endpoint(Route{Method: "POST", Path: "/auth/invite", Summary: "Set the password of an invited user with the one-time token",
			Status: http.StatusOK, Throttled: true, Before: a.limit(lim.Invite)},
			func(c *Call, in core.InviteRedemption) (*userJSON, error) {
				u, err := s(c).RedeemInvite(c.Ctx, in)
				if err != nil {
					return nil, err
				}
				v := userView(u)
				return &v, nil
			}),
		endpoint(Route{Method: "POST", Path: "/auth/logout", Guard: guardSelf, Summary: "Revoke the caller's token", Status: http.StatusNoContent},
			func(c *Call, _ none) (none, error) { return none{}, s(c).Logout(c.Ctx, bearer(c.Context)) }),
		endpoint(Route{Method: "POST", Path: "/auth/password", Guard: guardSelf, Summary: "Change the caller's password; other sessions end", Status: http.StatusNoContent},
			func(c *Call, in core.PasswordChange) (none, error) {
				return none{}, s(c).ChangePassword(c.Ctx, c.Actor, in, bearer(c.Context), c.ClientIP())
			}),
	}
}

// limits are the API's rate limits; none when Limits is nil.
func (a *API) limits() *ratelimit.Limiters {
	if a.Limits == nil {
		return &ratelimit.Limiters{}
	}
	return a.Limits
}

// limit is the rate limit of a family of routes, answered with a problem
// document; nil without a limiter.
func (a *API) limit(l *ratelimit.Limiter) gin.HandlerFunc {
	if l == nil {
		return nil
	}
	return l.Middleware(TooManyRequests)
}

// TooManyRequests is the API's answer to a request over its rate limit:
// a 429 problem document (Retry-After is set by the limiter).
func TooManyRequests(c *gin.Context, wait time.Duration) {
	WriteProblem(c, core.E(core.ETOOMANY, "error.rate_limited", "Count", max(int(wait.Seconds()), 1)))
}
