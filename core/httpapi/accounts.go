package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"golang.org/x/crypto/bcrypt"
)

// AccountStore is what the account, user, token and public routes need
// from a city's storage, beyond core.Store.
type AccountStore interface {
	LoginLockedUntil(ctx context.Context, login string, now time.Time) (time.Time, error)
	RecordLoginFailure(ctx context.Context, login string, now time.Time) (failures int, err error)
	ClearLoginFailures(ctx context.Context, login string) error
	RevokeToken(ctx context.Context, hash string, now time.Time) error
	UserByID(ctx context.Context, id int64) (*core.User, error)
	SetPassword(ctx context.Context, userID int64, passwordHash, keepTokenHash string, now time.Time) error
	CreateUser(ctx context.Context, u *core.User) error
	ListUsers(ctx context.Context) ([]core.User, error)
	UpdateUser(ctx context.Context, id int64, p core.UserPatch, now time.Time) (*core.User, error)
	CreateInvite(ctx context.Context, userID int64, hash string, now time.Time) error
	RedeemInvite(ctx context.Context, hash, passwordHash string, now time.Time) (*core.User, error)
	CreateAPIToken(ctx context.Context, name string, role core.Role, hash string, now time.Time) (*core.APIToken, error)
	ListAPITokens(ctx context.Context) ([]core.APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64, now time.Time) error
	Setting(ctx context.Context, name string) (string, error)
	SetSetting(ctx context.Context, name, value string) error
	AnonymousActor(ctx context.Context) (core.Actor, error)
	SetTrackingCode(ctx context.Context, requestID int64, code string) error
	RequestByTrackingCode(ctx context.Context, code string) (*core.PublicRequest, error)
}

// accounts returns the account storage of the request's city.
func accounts(c *gin.Context) AccountStore { return CityFromContext(c.Request.Context()).Store }

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

// throttleLogin refuses logins locked after repeated failures (429 with
// Retry-After), slows down the answers to failures in a row, and counts the
// outcome of the login handler that follows.
// The count lives in the city's database, so it holds across processes.
func (a *API) throttleLogin(c *gin.Context) {
	body, err := io.ReadAll(http.MaxBytesReader(c.Writer, c.Request.Body, MaxBody))
	if err != nil {
		WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "error.body_invalid", Fields: core.FieldErrors{"body": core.M("error.too_large")}})
		return
	}
	c.Request.Body = io.NopCloser(bytes.NewReader(body))
	var in struct {
		Login string `json:"login"`
	}
	_ = json.Unmarshal(body, &in) // the login handler reports malformed bodies
	login := core.NormalizeLogin(in.Login)
	if login == "" || len(login) > core.MaxLogin {
		c.Next() // no such account can exist: nothing to count or lock
		return
	}
	ctx := c.Request.Context()
	st := accounts(c)
	now := a.Now()
	if until, err := st.LoginLockedUntil(ctx, login, now); err != nil {
		WriteProblem(c, err)
		return
	} else if !until.IsZero() {
		tooMany(c, until.Sub(now))
		return
	}
	c.Next()
	switch c.Writer.Status() {
	case http.StatusCreated:
		_ = st.ClearLoginFailures(ctx, login)
	case http.StatusUnauthorized:
		// Each failure in a row slows the answer a little more; the body is
		// still buffered, so the caller waits for it.
		if n, err := st.RecordLoginFailure(ctx, login, now); err == nil && n > 0 {
			select {
			case <-time.After(time.Duration(n) * core.LoginSlowdown):
			case <-ctx.Done():
			}
		}
	}
}

func tooMany(c *gin.Context, wait time.Duration) {
	secs := int(wait.Seconds() + 0.999)
	c.Header("Retry-After", strconv.Itoa(max(secs, 1)))
	WriteProblem(c, core.E(core.ETOOMANY, "error.locked_minutes", "Count", max(secs/60, 1)))
}

func bearer(c *gin.Context) string {
	t, _ := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	return strings.TrimSpace(t)
}

func (a *API) logout(c *gin.Context) {
	if err := accounts(c).RevokeToken(c.Request.Context(), core.HashToken(bearer(c)), a.Now()); err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

type passwordInput struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

func (a *API) changePassword(c *gin.Context) {
	var in passwordInput
	if err := DecodeJSON(c, &in, MaxBody); err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	f := core.FieldErrors{}
	if in.Current == "" {
		f.Add("current", "error.required")
	}
	if msg := core.CheckPassword(in.New); msg.Code != "" {
		f.AddMsg("new", msg)
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	st := accounts(c)
	u, err := st.UserByID(ctx, ActorFromContext(ctx).UserID)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(in.Current)) != nil {
		WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
			Fields: core.FieldErrors{"current": core.M("error.not_current_password")}})
		return
	}
	hash, err := core.HashPassword(in.New)
	if err == nil {
		err = st.SetPassword(ctx, u.ID, hash, core.HashToken(bearer(c)), a.Now())
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) register(c *gin.Context) {
	var in core.Registration
	if err := DecodeJSON(c, &in, MaxBody); err != nil {
		WriteProblem(c, err)
		return
	}
	u, err := in.User()
	if err == nil {
		u.PasswordHash, err = core.HashPassword(in.Password)
	}
	if err == nil {
		u.CreatedAt = a.Now().UTC()
		err = accounts(c).CreateUser(c.Request.Context(), u)
	}
	if core.ErrorCode(err) == core.ECONFLICT {
		err = core.E(core.ECONFLICT, "error.account_exists")
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, userView(u))
}

type inviteInput struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

func (a *API) redeemInvite(c *gin.Context) {
	var in inviteInput
	if err := DecodeJSON(c, &in, MaxBody); err != nil {
		WriteProblem(c, err)
		return
	}
	f := core.FieldErrors{}
	if strings.TrimSpace(in.Token) == "" {
		f.Add("token", "error.required")
	}
	if msg := core.CheckPassword(in.Password); msg.Code != "" {
		f.AddMsg("password", msg)
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	hash, err := core.HashPassword(in.Password)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	u, err := accounts(c).RedeemInvite(c.Request.Context(), core.HashToken(strings.TrimSpace(in.Token)), hash, a.Now())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, userView(u))
}
