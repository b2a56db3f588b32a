// Package vendorapi is the vendor's control-plane API: a login for vendor
// users and the first routes of the super-admin console, each guarded by the
// global vendor_admin policies.
package vendorapi

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/tenants"
)

// Authorizer decides in the vendor's global domain.
type Authorizer interface {
	AllowedGlobal(ctx context.Context, role, obj, act string) (bool, error)
}

// Backend is what the vendor API needs from the control plane: the vendor's
// accounts and the tenant registry.
type Backend interface {
	tenants.VendorAccounts
	tenants.Registrar
	RecordHeartbeat(ctx context.Context, token string, hb tenants.Heartbeat, now time.Time) (*tenants.Installation, error)
}

// API serves /api/v1/vendor.
type API struct {
	Backend Backend
	Authz   Authorizer
	Now     func() time.Time
	// Login bounds the logins per client address, Heartbeat the
	// installations' heartbeats; nil leaves them unbounded.
	Login, Heartbeat *ratelimit.Limiter
}

// Objects of the global domain.
const ObjTenants = "tenants"

type vendorKey struct{}

// Register mounts the vendor API on r.
func (a *API) Register(r gin.IRouter) {
	g := r.Group("/api/v1/vendor")
	g.POST("/auth/token", a.Login.Middleware(httpapi.TooManyRequests), a.createToken)
	// A dedicated installation's heartbeat takes its own token, which
	// authenticates nothing else; a vendor user's token is unknown here.
	g.POST("/fleet/heartbeat", a.Heartbeat.Middleware(httpapi.TooManyRequests), a.heartbeat)
	auth := g.Group("", a.authenticate)
	auth.GET("/tenants", a.allow(ObjTenants, core.ActRead), a.listTenants)
}

func (a *API) createToken(c *gin.Context) {
	var in core.Credentials
	if err := httpapi.DecodeJSON(c, &in, httpapi.MaxBody); err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	in.Client = c.ClientIP()
	token, exp, err := a.Backend.VendorLogin(c.Request.Context(), in, a.Now())
	if err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"token": token, "token_type": "Bearer", "expires_at": exp})
}

func (a *API) authenticate(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		httpapi.WriteProblem(c, core.E(core.EUNAUTHORIZED, "error.need_vendor_token"))
		return
	}
	u, err := a.Backend.VendorUserByToken(c.Request.Context(), strings.TrimSpace(token), a.Now())
	if core.ErrorCode(err) == core.ENOTFOUND {
		err = core.E(core.EUNAUTHORIZED, "error.bad_vendor_token")
	}
	if err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), vendorKey{}, u))
	c.Next()
}

// allow is the one authorization check of a vendor route.
func (a *API) allow(obj, act string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u, _ := c.Request.Context().Value(vendorKey{}).(*tenants.VendorUser)
		role := ""
		if u != nil {
			role = u.Role
		}
		ok, err := a.Authz.AllowedGlobal(c.Request.Context(), role, obj, act)
		if err != nil {
			httpapi.WriteProblem(c, err)
			return
		}
		if !ok {
			httpapi.WriteProblem(c, core.E(core.EFORBIDDEN, "error.vendor_role_may_not", "Act", act, "Obj", obj))
			return
		}
		c.Next()
	}
}

type tenantJSON struct {
	Slug          string    `json:"slug"`
	Name          string    `json:"name"`
	Status        string    `json:"status"`
	Plan          string    `json:"plan"`
	Locale        string    `json:"locale"`
	Timezone      string    `json:"timezone"`
	Demo          bool      `json:"demo"`
	SchemaVersion int       `json:"schema_version"`
	CreatedAt     time.Time `json:"created_at"`
}

func (a *API) listTenants(c *gin.Context) {
	ts, err := a.Backend.Registry().List(c.Request.Context())
	if err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	out := make([]tenantJSON, len(ts))
	for i, t := range ts {
		out[i] = tenantJSON{t.Slug, t.Name, t.Status, t.Plan, t.Locale, t.Timezone, t.Demo, t.SchemaVersion, t.CreatedAt}
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// heartbeat records a dedicated installation's report (tenants.Heartbeat as
// JSON) sent with "Authorization: Bearer <heartbeat token>": 204, or 401
// with nothing stored for a missing, unknown or revoked token.
func (a *API) heartbeat(c *gin.Context) {
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		httpapi.WriteProblem(c, core.E(core.EUNAUTHORIZED, "error.bad_heartbeat_token"))
		return
	}
	var hb tenants.Heartbeat
	if err := httpapi.DecodeJSON(c, &hb, httpapi.MaxBody); err != nil {
		// An empty report stores nothing: 401 for a bad token, else the
		// decoding error.
		if _, aerr := a.Backend.RecordHeartbeat(c.Request.Context(), strings.TrimSpace(token), tenants.Heartbeat{}, a.Now()); core.ErrorCode(aerr) == core.EUNAUTHORIZED {
			err = aerr
		}
		httpapi.WriteProblem(c, err)
		return
	}
	if _, err := a.Backend.RecordHeartbeat(c.Request.Context(), strings.TrimSpace(token), hb, a.Now()); err != nil {
		httpapi.WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}
