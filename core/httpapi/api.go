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
)

// CityStore is what the API needs from a city's storage.
type CityStore interface {
	core.Store
	Categories(ctx context.Context, all bool) ([]core.Category, error)
	AccountStore // accounts and access (issue #4)
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
	// Policies manages the cities' access policies (issue #4).
	Policies PolicyAdmin
}

// Register mounts the API on r. With byPath the city comes from the :slug
// path parameter (/t/{slug}/api/v1/…), otherwise from the Host header.
func (a *API) Register(r gin.IRouter, byPath bool) {
	g := r.Group("/api/v1", a.resolveCity(byPath))
	g.GET("", a.index)
	g.POST("/auth/token", a.throttleLogin, a.createToken)
	auth := g.Group("", a.authenticate)
	auth.GET("/categories", a.allow(core.ObjCategories, core.ActRead), a.listCategories)
	auth.POST("/requests", a.allow(core.ObjRequests, core.ActCreate), a.createRequest)
	auth.GET("/requests", a.allow(core.ObjRequests, core.ActRead), a.listRequests)
	auth.GET("/requests/:number", a.allow(core.ObjRequests, core.ActRead), a.getRequest)
	a.registerAccounts(g)
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
			!strings.HasSuffix(c.FullPath(), "/auth/token") {
			WriteProblem(c, core.Errorf(core.EREADONLY, "the city %s is suspended: requests can be read but not changed", city.Name))
			return
		}
		c.Request = c.Request.WithContext(NewContextWithCity(c.Request.Context(), city))
		c.Next()
	}
}

func (a *API) authenticate(c *gin.Context) {
	h := c.GetHeader("Authorization")
	token, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || strings.TrimSpace(token) == "" {
		WriteProblem(c, core.Errorf(core.EUNAUTHORIZED, "send a bearer token from POST auth/token in the Authorization header"))
		return
	}
	city := CityFromContext(c.Request.Context())
	actor, err := city.Store.ActorByToken(c.Request.Context(), core.HashToken(strings.TrimSpace(token)), a.Now())
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			err = core.Errorf(core.EUNAUTHORIZED, "the token is unknown, expired or revoked in this city")
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
			WriteProblem(c, core.Errorf(core.EFORBIDDEN, "your role may not %s %s", act, obj))
			return
		}
		c.Next()
	}
}

func (a *API) index(c *gin.Context) {
	city := CityFromContext(c.Request.Context())
	c.JSON(http.StatusOK, gin.H{
		"city": gin.H{"slug": city.Slug, "name": city.Name, "locale": city.Locale,
			"timezone": city.Location.String(), "status": city.Status, "read_only": city.ReadOnly},
	})
}

type tokenInput struct {
	Login    string `json:"login"`
	Password string `json:"password"`
}

func (a *API) createToken(c *gin.Context) {
	var in tokenInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	city := CityFromContext(c.Request.Context())
	token, exp, err := core.Login(c.Request.Context(), city.Store, in.Login, in.Password, a.Now())
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusCreated, gin.H{"token": token, "token_type": "Bearer", "expires_at": exp})
}

type categoryJSON struct {
	Code              string `json:"code"`
	Group             string `json:"group"`
	Name              string `json:"name"`
	Emergency         bool   `json:"emergency"`
	Priority          string `json:"default_priority"`
	ReactionMinutes   int    `json:"reaction_minutes"`
	ResolutionMinutes int    `json:"resolution_minutes"`
}

func (a *API) listCategories(c *gin.Context) {
	city := CityFromContext(c.Request.Context())
	cats, err := city.Store.Categories(c.Request.Context(), false)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	lang := language(c, city)
	out := make([]categoryJSON, 0, len(cats))
	for _, k := range cats {
		name := k.NameRU
		if lang == "en" {
			name = k.NameEN
		}
		out = append(out, categoryJSON{k.Code, k.GroupCode, name, k.Emergency, string(k.DefaultPriority), k.ReactionMinutes, k.ResolutionMinutes})
	}
	c.JSON(http.StatusOK, gin.H{"items": out})
}

// language picks ru or en: the Accept-Language header first, then the
// city's locale.
func language(c *gin.Context, city *City) string {
	al := strings.ToLower(c.GetHeader("Accept-Language"))
	switch {
	case strings.HasPrefix(al, "en"):
		return "en"
	case strings.HasPrefix(al, "ru"):
		return "ru"
	}
	return city.Locale
}
