package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// PolicyAdmin reads and changes the access policies of one city. It never
// reaches another domain than the city it is given.
type PolicyAdmin interface {
	CityPolicies(ctx context.Context, city string) ([]core.Policy, error)
	AddCityPolicy(ctx context.Context, city string, p core.Policy) (added bool, err error)
	RemoveCityPolicy(ctx context.Context, city string, p core.Policy) (removed bool, err error)
}

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

// staffLoginRE is the shape of logins a city admin gives; "~" is kept for
// system accounts.
var staffLoginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{1,99}$`)

func (a *API) listUsers(c *gin.Context) {
	us, err := accounts(c).ListUsers(c.Request.Context())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	out := make([]userJSON, len(us))
	for i := range us {
		out[i] = userView(&us[i])
	}
	c.JSON(http.StatusOK, usersJSON{Items: out})
}

type usersJSON struct {
	Items []userJSON `json:"items"`
}

// invitedJSON is the answer to an invitation; the token is shown once.
type invitedJSON struct {
	User            userJSON  `json:"user"`
	InviteToken     string    `json:"invite_token"`
	InviteExpiresAt time.Time `json:"invite_expires_at"`
}

func (a *API) inviteUser(c *gin.Context) {
	var in core.NewUser
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	f := core.FieldErrors{}
	login := core.NormalizeLogin(in.Login)
	if !staffLoginRE.MatchString(login) {
		f.Add("login", "must be 2-100 lowercase latin letters, digits and . _ @ + -")
	}
	if msg := core.ValidUserRole(in.Role); msg != "" {
		f.Add("role", msg)
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		f.Add("name", "must be at most 200 characters")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	now := a.Now().UTC()
	u := &core.User{Login: login, Name: strings.TrimSpace(in.Name), Email: strings.TrimSpace(in.Email),
		Phone: strings.TrimSpace(in.Phone), PasswordHash: "!", Role: in.Role, OrganizationID: in.OrganizationID,
		Active: true, CreatedAt: now}
	ctx := c.Request.Context()
	st := accounts(c)
	if err := st.CreateUser(ctx, u); err != nil {
		WriteProblem(c, err)
		return
	}
	invite := core.NewToken()
	if err := st.CreateInvite(ctx, u.ID, core.HashToken(invite), now); err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, invitedJSON{User: userView(u), InviteToken: invite, InviteExpiresAt: now.Add(core.InviteTTL)})
}

func pathID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.Errorf(core.ENOTFOUND, "not found")
	}
	return id, nil
}

func (a *API) patchUser(c *gin.Context) {
	id, err := pathID(c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	var p core.UserPatch
	if err := decodeJSON(c, &p); err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	f := core.FieldErrors{}
	if p.Role != nil {
		if msg := core.ValidUserRole(*p.Role); msg != "" {
			f.Add("role", msg)
		}
	}
	if p.OrganizationID != nil && *p.OrganizationID < 0 {
		f.Add("organization_id", "no such organization in this city")
	}
	if id == ActorFromContext(ctx).UserID && (p.Role != nil || (p.Active != nil && !*p.Active)) {
		f.Add("role", "you cannot change your own role or deactivate yourself; ask another admin")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	u, err := accounts(c).UpdateUser(ctx, id, p, a.Now())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	slog.InfoContext(ctx, "user changed", "city", CityFromContext(ctx).Slug, "by", ActorFromContext(ctx).UserID,
		"user", u.ID, "role", u.Role, "organization", u.OrganizationID, "active", u.Active)
	c.JSON(http.StatusOK, userView(u))
}

type apiTokenInput struct {
	Name string    `json:"name"`
	Role core.Role `json:"role"`
}

func (a *API) createAPIToken(c *gin.Context) {
	var in apiTokenInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	f := core.FieldErrors{}
	in.Name = strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(in.Name); n == 0 || n > 100 {
		f.Add("name", "must be 1-100 characters")
	}
	if msg := core.ValidUserRole(in.Role); msg != "" {
		f.Add("role", msg)
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	raw := core.NewToken()
	t, err := accounts(c).CreateAPIToken(c.Request.Context(), in.Name, in.Role, core.HashToken(raw), a.Now())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, apiTokenJSON{ID: t.ID, Name: t.Name, Role: t.Role, Token: raw, TokenType: "Bearer",
		CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt})
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

type apiTokensJSON struct {
	Items []core.APIToken `json:"items"`
}

func (a *API) listTokens(c *gin.Context) {
	ts, err := accounts(c).ListAPITokens(c.Request.Context())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	if ts == nil {
		ts = []core.APIToken{}
	}
	c.JSON(http.StatusOK, apiTokensJSON{Items: ts})
}

func (a *API) revokeAPIToken(c *gin.Context) {
	id, err := pathID(c)
	if err == nil {
		err = accounts(c).RevokeAPIToken(c.Request.Context(), id, a.Now())
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type policyJSON struct {
	Role core.Role `json:"role"`
	Obj  string    `json:"obj"`
	Act  string    `json:"act"`
}

func (a *API) listPolicies(c *gin.Context) {
	ps, err := a.Policies.CityPolicies(c.Request.Context(), CityFromContext(c.Request.Context()).Slug)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	out := make([]policyJSON, len(ps))
	for i, p := range ps {
		out[i] = policyJSON(p)
	}
	c.JSON(http.StatusOK, policiesJSON{Items: out})
}

type policiesJSON struct {
	Items []policyJSON `json:"items"`
}

func (a *API) policyInput(c *gin.Context) (core.Policy, error) {
	var in policyJSON
	if err := decodeJSON(c, &in); err != nil {
		return core.Policy{}, err
	}
	p := core.Policy(in)
	return p, p.Validate()
}

func (a *API) addPolicy(c *gin.Context) {
	p, err := a.policyInput(c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	added, err := a.Policies.AddCityPolicy(ctx, CityFromContext(ctx).Slug, p)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	slog.InfoContext(ctx, "policy added", "city", CityFromContext(ctx).Slug, "by", ActorFromContext(ctx).UserID,
		"role", p.Role, "obj", p.Obj, "act", p.Act, "new", added)
	status := http.StatusCreated
	if !added {
		status = http.StatusOK
	}
	c.JSON(status, policyJSON(p))
}

func (a *API) removePolicy(c *gin.Context) {
	p, err := a.policyInput(c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	removed, err := a.Policies.RemoveCityPolicy(ctx, CityFromContext(ctx).Slug, p)
	if err == nil && !removed {
		err = core.Errorf(core.ENOTFOUND, "the city has no such policy")
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	slog.InfoContext(ctx, "policy removed", "city", CityFromContext(ctx).Slug, "by", ActorFromContext(ctx).UserID,
		"role", p.Role, "obj", p.Obj, "act", p.Act)
	c.Status(http.StatusNoContent)
}
