// Package httpapi serves one city's JSON API with gin. It finds the city
// through the Cities interface and never touches another city's data: every
// handler works with the store of the city the request resolved to.
package httpapi

import (
	"context"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/ratelimit"
)

// CityStore is what the API needs from a city's storage.
type CityStore interface {
	core.Store
	core.DirectoryStore
	core.SettingsStore
	core.RoutingAdminStore
	core.AnalyticsStore
	core.StatisticsStore // the public statistics
	core.UserStore
	core.QueueStore // the working pages' queues
	core.CoApplicantStore
	core.DeskStore // the dispatcher's desk
	core.WishStore // the headquarters' list of wishes
	core.WishDecisionStore
	core.EscalationStore
	core.OutageStore
	core.WebhookStore
	core.ImportStore
	core.NoticeStore // notification templates and opt-outs
	PublicTrail(ctx context.Context, id int64) (*core.Request, []core.RequestEvent, error)
	attachmentStore
	AccountStore
	core.SessionStore // the city's page sessions
}

// City is a resolved city with its storage.
type City struct {
	Slug     string
	Name     string
	Locale   string
	Location *time.Location
	Status   string
	ReadOnly bool
	Store    CityStore

	// Banner is the catalog code of a notice for the city's users (billing: past due,
	// suspended); "" for none.
	Banner string
}

// Cities resolves cities by slug and host name. Unknown cities are
// core.ErrNotFound.
type Cities interface {
	BySlug(ctx context.Context, slug string) (*City, error)
	ByHost(ctx context.Context, host string) (*City, error)
}

// API is the city-facing JSON API.
type API struct {
	Cities Cities
	Authz  core.Authorizer
	Now    func() time.Time
	// Photos keeps the photos, per city (a local folder or a bucket).
	Photos core.Blobs
	// Routing gives each city's effective router; nil means built-in rules
	// only, and no plugin may be selected.
	Routing Routing
	// Policies manages the cities' access policies.
	Policies core.PolicyStore
	// Intake is told of every new request, from the API and the pages
	// (metrics); nil for nobody.
	Intake core.IntakeObserver
	// Changes is told after a city's requests changed (the relay runs
	// soon); nil for nobody.
	Changes core.ChangeObserver
	// Limits bound the routes open to strangers per client address; nil
	// leaves them unbounded.
	Limits *ratelimit.Limiters
	// Statistics keeps recent public statistics answers; nil counts
	// every time.
	Statistics *core.StatisticsCache
	// Baselines keeps the hot spots' recent baselines; nil counts them
	// every time.
	Baselines *core.BaselineCache
}

// Route is one operation of the API: what the router mounts, what the
// single authorization check guards and what the OpenAPI description says.
type Route struct {
	Method  string
	Path    string // gin syntax, relative to /api/v1
	Obj     string // "" for routes open to anyone in the city
	Act     string
	Summary string
	In      any // the JSON body type, nil for none
	Out     any // the JSON answer type, nil for none
	Status  int // the success status
	Also    int // another success status with the same body (an idempotent replay)
	// OptionalBody lets an empty body stand for In's zero value.
	OptionalBody bool
	Query        []Param
	// Enums are the allowed values of query parameters, by name: the
	// domain's own lists, for the description.
	Enums   map[string][]string
	Guard   guard           // how the route is checked; the default derives it from Obj
	Before  gin.HandlerFunc // runs before the handler, e.g. a rate limit
	Handler gin.HandlerFunc

	// Headers documents request headers the route reads, e.g. Idempotency-Key.
	Headers []Param
	// Upload describes a body that is not JSON (a file); nil for none.
	Upload *Upload
	// Produces lists the media types of an answer that is not JSON (a CSV
	// file, a photo); its body is described as bytes.
	Produces []string
	// Throttled routes are rate limited: they may answer 429 with
	// Retry-After (described whether or not a limiter is configured).
	Throttled bool
}

// Param documents a query parameter or a header: its name, its JSON
// schema type ("string", "integer", "boolean") and what it means.
type Param struct {
	Name, Type, Doc string
}

// Upload describes a body that carries a file: a multipart/form-data form
// whose field File holds the file next to the text fields Fields, and, when
// Raw is set, the same file sent as the whole body with one of Raw's media
// types.
type Upload struct {
	File   string
	Fields []Param
	Raw    []string
}

// Routes is the whole city API.
func (a *API) Routes() []Route {
	rs := []Route{
		endpoint(Route{Method: "GET", Path: "", Summary: "The city: name, locale, time zone, status", Status: 200}, a.index),
	}
	rs = append(rs, a.requestRoutes()...)
	rs = append(rs, a.deskRoutes()...)
	rs = append(rs, a.outageRoutes()...)
	rs = append(rs, a.alertRoutes()...)
	rs = append(rs, a.webhookRoutes()...)
	rs = append(rs, a.directoryRoutes()...)
	rs = append(rs, a.settingsRoutes()...)
	rs = append(rs, a.routingRoutes()...)
	rs = append(rs, a.accessRoutes()...)
	rs = append(rs, a.analyticsRoutes()...)
	rs = append(rs, a.statisticsRoutes()...)
	rs = append(rs, Route{Method: "GET", Path: "/openapi.json", Summary: "This description", Out: map[string]any{}, Status: 200, Handler: a.openapi()})
	return rs
}

// Register mounts the API on r. With byPath the city comes from the :slug
// path parameter (/t/{slug}/api/v1/…), otherwise from the Host header.
func (a *API) Register(r gin.IRouter, byPath bool) {
	g := r.Group("/api/v1", a.resolveCity(byPath))
	for _, rt := range a.Routes() {
		var hs []gin.HandlerFunc
		switch {
		case rt.Guard == guardSelf:
			hs = append(hs, a.authenticate, a.allowSelf)
		case rt.Guard == guardAnonymous:
			hs = append(hs, a.allowAnonymous(rt.Obj, rt.Act))
		case rt.Obj != "":
			hs = append(hs, a.authenticate, a.allow(rt.Obj, rt.Act))
		}
		if rt.Before != nil {
			hs = append(hs, rt.Before)
		}
		g.Handle(rt.Method, rt.Path, append(hs, rt.Handler)...)
	}
}

type ctxKey int

const (
	cityKey ctxKey = iota
	actorKey
)

// NewContextWithCity returns ctx carrying the resolved city.
func NewContextWithCity(ctx context.Context, c *City) context.Context {
	return context.WithValue(ctx, cityKey, c)
}

// CityFromContext returns the city of the request, nil outside the API.
func CityFromContext(ctx context.Context) *City {
	c, _ := ctx.Value(cityKey).(*City)
	return c
}

// NewContextWithActor returns ctx carrying the authenticated caller.
func NewContextWithActor(ctx context.Context, a core.Actor) context.Context {
	return context.WithValue(ctx, actorKey, a)
}

// ActorFromContext returns the authenticated caller, zero when anonymous.
func ActorFromContext(ctx context.Context) core.Actor {
	a, _ := ctx.Value(actorKey).(core.Actor)
	return a
}

func (a *API) resolveCity(byPath bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		var city *City
		var err error
		if byPath {
			city, err = a.Cities.BySlug(c.Request.Context(), c.Param("slug"))
		} else {
			host := c.Request.Host
			if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
				host = h
			}
			city, err = a.Cities.ByHost(c.Request.Context(), strings.ToLower(host))
		}
		if err != nil {
			WriteProblem(c, err)
			return
		}
		if city.ReadOnly && c.Request.Method != http.MethodGet && c.Request.Method != http.MethodHead &&
			!accountRoute(c.FullPath()) {
			WriteProblem(c, core.E(core.EREADONLY, "error.city_suspended", "City", city.Name))
			return
		}
		c.Request = c.Request.WithContext(NewContextWithCity(c.Request.Context(), city))
		c.Next()
	}
}

// accountRoute reports whether a write route only concerns the caller's own
// session (log in, log out, change password): a suspended city allows those.
func accountRoute(path string) bool {
	for _, suffix := range []string{"/auth/token", "/auth/logout", "/auth/password"} {
		if strings.HasSuffix(path, suffix) {
			return true
		}
	}
	return false
}

func (a *API) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		WriteProblem(c, core.E(core.EUNAUTHORIZED, "error.need_token"))
		return
	}
	city := CityFromContext(c.Request.Context())
	actor, err := city.Store.ActorByToken(c.Request.Context(), core.HashToken(strings.TrimSpace(token)), a.Now())
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			err = core.E(core.EUNAUTHORIZED, "error.bad_token")
		}
		WriteProblem(c, err)
		return
	}
	c.Request = c.Request.WithContext(NewContextWithActor(c.Request.Context(), actor))
	c.Next()
}

// allow is the one authorization check of a route: the caller's role must be
// granted act on obj in this city.
func (a *API) allow(obj, act string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		actor := ActorFromContext(ctx)
		ok, err := a.Authz.Allowed(ctx, CityFromContext(ctx).Slug, actor.Role, obj, act)
		if err != nil {
			WriteProblem(c, err)
			return
		}
		if !ok {
			WriteProblem(c, core.E(core.EFORBIDDEN, "error.role_may_not", "Act", i18n.Code("perm.act."+act), "Obj", i18n.Code("perm.obj."+obj)))
			return
		}
		c.Next()
	}
}

func (a *API) index(c *Call, _ none) (cityInfo, error) {
	city := c.City
	return cityInfo{City: cityJSON{Slug: city.Slug, Name: city.Name, Locale: city.Locale,
		Timezone: city.Location.String(), Status: city.Status, ReadOnly: city.ReadOnly, Banner: i18n.Text(Lang(c.Context), city.Banner, nil)}}, nil
}

type cityJSON struct {
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Locale   string `json:"locale"`
	Timezone string `json:"timezone"`
	Status   string `json:"status"`
	ReadOnly bool   `json:"read_only"`
	// Banner is the notice a city admin sees: payment overdue, suspended.
	Banner string `json:"banner"`
}

type cityInfo struct {
	City cityJSON `json:"city"`
}

type tokenOutput struct {
	Token     string    `json:"token"`
	TokenType string    `json:"token_type"`
	ExpiresAt time.Time `json:"expires_at"`
}
