// Package web is the page kit shared by every server-rendered page of
// OpenCity: a base layout (city, language switch, user, logout, banner,
// nav), texts from the one message catalog (core/i18n), checksummed static
// assets, page sessions with CSRF (core/web/session), the city and vendor
// login pages, authorization of pages through core.Authorizer, form
// helpers with per-field messages and a confirmation step for destructive
// actions. It knows no city in particular; packages give their templates
// and assets as embed.FS. Every core flow works without JavaScript.
//
// A package mounts its pages like this:
//
//	v := kit.MustViews(templatesFS, "templates", "console")
//	g := r.Group("/t/:slug/desk", kit.City)
//	g.GET("/", kit.Require(core.ObjRequests, core.ActRead), h.queue)
//
// and a handler renders p := v.Page(c, "title_key"); p.Data = …;
// v.Render(c, 200, "queue.html", p).
package web

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/core/web/session"
)

//go:embed templates/*.html
var kitTemplates embed.FS

//go:embed assets
var kitAssets embed.FS

// VendorUser is a logged-in user of the vendor's console.
type VendorUser struct {
	ID    int64
	Login string
	Name  string
	Role  string
}

// VendorAuth checks vendor passwords, finds vendor users and checks global
// policies; the control plane implements it (tenants/vendorapi.PageAuth).
type VendorAuth interface {
	// VendorLogin checks a password under the login lockout; errors are
	// those of core.CheckLogin.
	VendorLogin(ctx context.Context, c core.Credentials, now time.Time) (*VendorUser, error)
	// VendorUser is an active vendor user by id; core.ErrNotFound otherwise.
	VendorUser(ctx context.Context, id int64) (*VendorUser, error)
	// VendorTokenUser is the active vendor user holding an API bearer
	// token (scripts); core.ErrNotFound otherwise.
	VendorTokenUser(ctx context.Context, token string, now time.Time) (*VendorUser, error)
	AllowedGlobal(ctx context.Context, role, obj, act string) (bool, error)
}

// Options configure a Kit.
type Options struct {
	Cities httpapi.Cities
	Authz  core.Authorizer
	// Control keeps the page sessions of the vendor console and of the
	// forms outside cities (the signup), in the control plane; a city's
	// sessions are kept by the city's own store.
	Control core.SessionStore
	// Sessions set the sessions' lifetime, idle timeout and Secure cookies.
	Sessions session.Options
	// Vendor enables the /admin/ login; nil leaves it out.
	Vendor VendorAuth
	// Limits bound the logins, invitations and anonymous reports per
	// client address; nil leaves them unbounded.
	Limits *ratelimit.Limiters
	Now    func() time.Time
}

// The cookies of the page sessions.
const (
	CityCookie   = "opencity_session" // city pages, consoles and portal
	VendorCookie = "opencity_vendor"  // the vendor console, /admin/
	FormsCookie  = "opencity_forms"   // forms outside cities: the signup
)

// Kit is the shared machinery of the pages.
type Kit struct {
	Cities         httpapi.Cities
	Authz          core.Authorizer
	Sessions       *session.Manager // city pages, kept in each city
	VendorSessions *session.Manager // /admin/, kept in the control plane
	FormSessions   *session.Manager // the signup's forms, kept in the control plane
	Vendor         VendorAuth
	Limits         *ratelimit.Limiters // never nil; its nil limiters let everything pass
	Now            func() time.Time
	Assets         *Assets

	layout  *template.Template
	views   *Views // the kit's own pages: login, errors, confirm
	landing map[core.Role]string
}

// New builds the kit: parses the layout and registers the base CSS.
func New(o Options) (*Kit, error) {
	if o.Control == nil {
		return nil, errors.New("web: Options.Control (the control plane's session store) is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Limits == nil {
		o.Limits = &ratelimit.Limiters{}
	}
	cityStore := func(ctx context.Context) core.SessionStore {
		if city := httpapi.CityFromContext(ctx); city != nil {
			return city.Store
		}
		return nil
	}
	control := func(context.Context) core.SessionStore { return o.Control }
	named := func(name string) session.Options { so := o.Sessions; so.Name = name; return so }
	k := &Kit{Cities: o.Cities, Authz: o.Authz, Vendor: o.Vendor, Limits: o.Limits, Now: o.Now, Assets: &Assets{},
		Sessions:       session.New(cityStore, named(CityCookie)),
		VendorSessions: session.New(control, named(VendorCookie)),
		FormSessions:   session.New(control, named(FormsCookie)),
		landing:        map[core.Role]string{}}
	sub, _ := fs.Sub(kitAssets, "assets")
	if err := k.Assets.Add("web", sub); err != nil {
		return nil, err
	}
	var err error
	if k.layout, err = template.New("layout").Funcs(funcs).ParseFS(kitTemplates, "templates/_layout.html", "templates/_fields.html"); err != nil {
		return nil, err
	}
	if k.views, err = k.Views(kitTemplates, "templates", ""); err != nil {
		return nil, err
	}
	return k, nil
}

// SetLanding says where a role lands after logging in, relative to
// /t/{slug}/ (e.g. "admin/"); roles without one see a "logged in" page.
// Call it while wiring, before serving.
func (k *Kit) SetLanding(role core.Role, rel string) { k.landing[role] = rel }

// Mount registers the kit's routes: static assets, /favicon.ico, the city login, logout
// and invitation pages, and the vendor login when Vendor is set.
func (k *Kit) Mount(r gin.IRouter) {
	r.GET(AssetPrefix+"*path", k.Assets.serve)
	r.GET("/favicon.ico", k.favicon)
	city := r.Group("/t/:slug", k.City)
	city.GET("/login", k.loginPage)
	city.POST("/login", k.CheckCSRF, k.RateLimit(k.Limits.Login), k.loginSubmit)
	city.POST("/logout", k.CheckCSRF, k.logout)
	city.GET("/register", k.registerPage)
	city.POST("/register", k.CheckCSRF, k.RateLimit(k.Limits.Register), k.registerSubmit)
	city.GET("/invite", k.invitePage)
	city.POST("/invite", k.CheckCSRF, k.RateLimit(k.Limits.Invite), k.inviteSubmit)
	if k.Vendor != nil {
		v := r.Group("/admin", k.VendorPages)
		v.GET("/login", k.vendorLoginPage)
		v.POST("/login", k.CheckCSRF, k.RateLimit(k.Limits.Login), k.vendorLoginSubmit)
		v.POST("/logout", k.CheckCSRF, k.vendorLogout)
	}
}

// City resolves the city of /t/:slug pages (a 404 page when unknown), loads
// the page session from the city's own store and identifies the user: the
// session's, or the holder of an Authorization bearer token (scripts). A
// session of another city, or of the vendor console, is unknown here.
func (k *Kit) City(c *gin.Context) {
	ctx := c.Request.Context()
	city, err := k.Cities.BySlug(ctx, c.Param("slug"))
	if err != nil {
		if code := core.ErrorCode(err); code == core.ENOTFOUND || code == core.EINVALID {
			k.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
			return
		}
		k.internal(c, err)
		return
	}
	c.Request = c.Request.WithContext(httpapi.NewContextWithCity(ctx, city))
	if err := k.Sessions.Begin(c); err != nil {
		k.internal(c, err)
		return
	}
	defer session.Finish(c)
	ctx = c.Request.Context()
	var actor core.Actor
	if token := bearer(c); token != "" {
		actor, err = city.Store.ActorByToken(ctx, core.HashToken(token), k.Now())
	} else if id := session.UserID(ctx); id != 0 {
		actor, err = city.Store.ActorByUserID(ctx, id)
	}
	switch {
	case err == nil && actor.UserID != 0:
		c.Request = c.Request.WithContext(httpapi.NewContextWithActor(ctx, actor))
	case err != nil && core.ErrorCode(err) != core.ENOTFOUND:
		k.internal(c, err)
		return
	}
	c.Next()
}

// VendorPages loads the vendor session of /admin/ pages from the control
// plane and identifies the vendor user: the session's, or the holder of an
// Authorization bearer token (scripts).
func (k *Kit) VendorPages(c *gin.Context) {
	if err := k.VendorSessions.Begin(c); err != nil {
		k.internal(c, err)
		return
	}
	defer session.Finish(c)
	ctx := c.Request.Context()
	if k.Vendor != nil {
		var u *VendorUser
		var err error
		if token := bearer(c); token != "" {
			u, err = k.Vendor.VendorTokenUser(ctx, token, k.Now())
		} else if id := session.UserID(ctx); id != 0 {
			u, err = k.Vendor.VendorUser(ctx, id)
		}
		switch {
		case err != nil && core.ErrorCode(err) != core.ENOTFOUND:
			k.internal(c, err)
			return
		case err == nil && u != nil:
			c.Request = c.Request.WithContext(context.WithValue(ctx, vendorKey{}, u))
		}
	}
	c.Next()
}

// internal answers an unexpected error with the error page (503 when the
// database is unreachable).
func (k *Kit) internal(c *gin.Context, err error) {
	_ = c.Error(err)
	k.Error(c, http.StatusInternalServerError, "error_title", "error_text")
}

type vendorKey struct{}

// VendorFromContext is the logged-in vendor user, nil outside /admin/.
func VendorFromContext(ctx context.Context) *VendorUser {
	u, _ := ctx.Value(vendorKey{}).(*VendorUser)
	return u
}

// Require is the one authorization check of a city page: anonymous users
// are sent to the login page (303, back here afterwards), users whose role
// may not act on obj get a 403 page. Unsafe methods must also carry the
// session's CSRF token and are refused in a suspended city. It runs after
// City.
func (k *Kit) Require(obj, act string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		city, actor := httpapi.CityFromContext(ctx), httpapi.ActorFromContext(ctx)
		if actor.UserID == 0 {
			k.toLogin(c, "/t/"+city.Slug+"/login")
			return
		}
		ok, err := k.Authz.Allowed(ctx, city.Slug, actor.Role, obj, act)
		if err != nil {
			_ = c.Error(err)
			k.Error(c, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
		if !ok {
			k.Error(c, http.StatusForbidden, "forbidden_title", "forbidden_text")
			return
		}
		if unsafe(c) && city.ReadOnly {
			k.Error(c, http.StatusForbidden, "readonly_title", "readonly_text")
			return
		}
		k.CheckCSRF(c)
	}
}

// RequireVendor is Require for /admin/ pages, checked against the
// vendor's global policies. It runs after VendorPages.
func (k *Kit) RequireVendor(obj, act string) gin.HandlerFunc {
	return func(c *gin.Context) {
		u := VendorFromContext(c.Request.Context())
		if k.Vendor == nil {
			k.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
			return
		}
		if u == nil {
			k.toLogin(c, "/admin/login")
			return
		}
		ok, err := k.Vendor.AllowedGlobal(c.Request.Context(), u.Role, obj, act)
		if err != nil {
			_ = c.Error(err)
			k.Error(c, http.StatusInternalServerError, "error_title", "error_text")
			return
		}
		if !ok {
			k.Error(c, http.StatusForbidden, "forbidden_title", "forbidden_text")
			return
		}
		k.CheckCSRF(c)
	}
}

// toLogin answers 303 to the login page, remembering a GET page to return to.
func (k *Kit) toLogin(c *gin.Context, login string) {
	target := login
	if c.Request.Method == http.MethodGet {
		target += "?next=" + urlQueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

func unsafe(c *gin.Context) bool {
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// Forms guards pages with forms outside the cities and the consoles (the
// signup): it loads the visitor's page session from the control plane,
// anonymous or not, and refuses an unsafe request without its CSRF token
// like every page of the kit. Such pages put CSRFToken into their forms.
func (k *Kit) Forms(c *gin.Context) {
	if err := k.FormSessions.Begin(c); err != nil {
		k.internal(c, err)
		return
	}
	defer session.Finish(c)
	k.CheckCSRF(c)
}

// CSRFToken is the token a form rendered outside the kit's templates sends
// back in its csrf_token field; "" outside Forms.
func CSRFToken(ctx context.Context) string { return session.Token(ctx) }

// CheckCSRF refuses an unsafe request without the session's CSRF token in
// the csrf_token field or X-CSRF-Token header (session.Check) with a 403
// page, whatever else the request carries (an Authorization header
// included). Every page route that takes a form runs it, through Require,
// Forms or directly.
func (k *Kit) CheckCSRF(c *gin.Context) {
	if !unsafe(c) {
		c.Next()
		return
	}
	if !session.Check(c) {
		k.Error(c, http.StatusForbidden, "csrf_title", "csrf_text")
		return
	}
	c.Next()
}

// RateLimit bounds a page route per client address with l: over the limit
// it answers 429, Retry-After and an error page in the reader's language.
func (k *Kit) RateLimit(l *ratelimit.Limiter) gin.HandlerFunc {
	return l.Middleware(func(c *gin.Context, _ time.Duration) {
		k.Error(c, http.StatusTooManyRequests, "rate_title", "rate_text")
	})
}

// Error renders the kit's error page with a title and text code.
//
// An internal error after the client disconnected only records
// httpapi.StatusClientClosed. One whose cause, recorded with c.Error, is an unreachable
// database (store.Unavailable) becomes 503 with Retry-After and a page that
// says to try again shortly.
func (k *Kit) Error(c *gin.Context, status int, title, text string) {
	k.errorPage(c, status, title, core.M(text))
}

// ErrorMsg is Error with a text that takes arguments.
func (k *Kit) ErrorMsg(c *gin.Context, status int, title string, text core.Msg) {
	k.errorPage(c, status, title, text)
}

func (k *Kit) errorPage(c *gin.Context, status int, title string, text core.Msg) {
	if status == http.StatusInternalServerError && httpapi.ClientGone(c) {
		c.AbortWithStatus(httpapi.StatusClientClosed) // nobody reads the page
		return
	}
	if status == http.StatusInternalServerError && len(c.Errors) > 0 && store.Unavailable(c.Errors.Last().Err) {
		status, title, text = http.StatusServiceUnavailable, "unavailable_title", core.M("unavailable_text")
		c.Header("Retry-After", strconv.Itoa(httpapi.RetryAfterUnavailable))
	}
	p := k.views.Page(c, title)
	p.Data = text
	k.views.Render(c, status, "error.html", p)
}

func bearer(c *gin.Context) string {
	t, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(t)
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
