// Package pages serves the working pages of a city on the page kit
// (core/web): the dispatcher's desk (call taking, triage), the
// organization's office (its queue, the work, CSV export) and the citizens'
// portal (submit, follow, confirm or reopen, rate, the public list). Every
// change goes through core.Requests, so the pages apply the same rules as
// the API; every flow works without JavaScript, and a small script adds
// address typeahead and ticking deadlines.
package pages

import (
	"embed"
	"io/fs"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

//go:embed templates/*.html
var templates embed.FS

//go:embed assets
var assets embed.FS

// Pages are the working pages of every city.
type Pages struct {
	kit   *web.Kit
	api   *httpapi.API // the city's router for intake, the upload folder, the clock
	views *web.Views
}

// New builds the pages on the kit; api gives intake its router (the same
// as the API's), the upload folder and the clock.
func New(kit *web.Kit, api *httpapi.API) (*Pages, error) {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		return nil, err
	}
	if err := kit.Assets.Add("pages", sub); err != nil {
		return nil, err
	}
	views, err := kit.Views(templates, "templates", "")
	if err != nil {
		return nil, err
	}
	kit.SetLanding(core.RoleDispatcher, "desk/")
	kit.SetLanding(core.RoleOrgOperator, "office/")
	kit.SetLanding(core.RoleOrgManager, "office/")
	kit.SetLanding(core.RoleCitizen, "my/")
	kit.SetLanding(core.RoleAnalyst, "hq/")
	return &Pages{kit: kit, api: api, views: views}, nil
}

// Register mounts the pages under /t/:slug. Each route has exactly one
// authorization check (kit.Require), and the queries scope rows to the
// user: an operator never sees another organization's request.
func (p *Pages) Register(r gin.IRouter) {
	k := p.kit
	g := r.Group("/t/:slug", k.City, p.limitBody)
	req := func(act string) gin.HandlerFunc { return k.Require(core.ObjRequests, act) }

	// The portal: public pages first.
	g.GET("/", p.home)
	g.GET("/statistics", p.statistics)
	g.GET("/new", req(core.ActCreate), p.newForm)
	g.POST("/new", req(core.ActCreate), p.newSubmit)
	g.GET("/my/", req(core.ActRate), p.mine)
	g.GET("/report", p.anonymous(core.ActCreate), p.reportForm)
	g.POST("/report", p.anonymous(core.ActCreate), k.RateLimit(k.Limits.Anonymous), p.reportSubmit)
	g.GET("/track/:code", p.anonymous(core.ActRead), p.track)
	g.GET("/notifications/off/:token", p.optOutGate, p.optOutForm)
	g.POST("/notifications/off/:token", p.optOutGate, k.RateLimit(k.Limits.Anonymous), p.optOut)
	g.GET("/addresses", k.Require(core.ObjBuildings, core.ActRead), p.addresses)

	// A request's page, for everyone who may see it, and its forms.
	g.GET("/requests/:number", req(core.ActRead), p.request)
	g.GET("/requests/:number/photos/:id", req(core.ActRead), p.photo)
	g.POST("/requests/:number/comment", req(core.ActComment), p.comment)
	g.POST("/requests/:number/rate", req(core.ActRate), p.rate)
	g.POST("/requests/:number/photo", req(core.ActAttach), p.attach)
	for _, a := range core.Actions {
		g.POST("/requests/:number/"+string(a), req(string(a)), p.act(a))
	}

	// The dispatcher's desk.
	g.GET("/desk/", req(string(core.ActionAssign)), p.desk)
	g.GET("/desk/counts", req(string(core.ActionAssign)), p.deskCounts)
	g.GET("/desk/call", req(string(core.ActionAssign)), p.callForm)
	g.POST("/desk/call", req(string(core.ActionAssign)), p.callSubmit)
	g.GET("/desk/search", req(string(core.ActionAssign)), p.search)
	g.POST("/desk/call/join", req(string(core.ActionDuplicate)), p.callJoin)

	// Outages: declared by a dispatcher or an organization (its own),
	// read by HQ, closed with their requests.
	g.GET("/outages/", k.Require(core.ObjOutages, core.ActRead), p.outages)
	g.POST("/outages/", k.Require(core.ObjOutages, core.ActCreate), p.outageDeclare)
	g.GET("/outages/:id", k.Require(core.ObjOutages, core.ActRead), p.outage)
	g.POST("/outages/:id/close", k.Require(core.ObjOutages, string(core.ActionClose)), p.outageClose)

	// The headquarters' weekly list of wishes and suggestions.
	g.GET("/hq/wishes", k.Require(core.ObjAnalytics, core.ActRead), p.wishes)
	g.GET("/hq/wishes/agenda", k.Require(core.ObjAnalytics, core.ActRead), p.wishesAgenda)
	g.POST("/hq/wishes/decide", k.Require(core.ObjWishes, core.ActUpdate), p.wishDecide)

	// Escalation alerts, for the roles they are addressed to.
	g.GET("/alerts", k.Require(core.ObjAlerts, core.ActRead), p.alerts)

	// The organization's office.
	g.GET("/office/", req(string(core.ActionAccept)), p.office)
	g.GET("/office/export.csv", req(string(core.ActionAccept)), p.export)

	// HQ: figures, league tables and their drill-down; every table also
	// comes as a file (?format=xlsx or csv).
	hq := k.Require(core.ObjAnalytics, core.ActRead)
	g.GET("/hq/", hq, p.hqDashboard)
	g.GET("/hq/leagues/:kind", hq, p.hqLeague)
	g.GET("/hq/organizations/:code", hq, p.hqBuildings)
	g.GET("/hq/organizations/:code/buildings/:id", hq, p.hqRequests)
	g.GET("/hq/hotspots", hq, p.hqHotSpots)
	g.GET("/hq/hotspots/requests", hq, p.hqPlaceRequests)
	g.GET("/hq/summary", hq, p.hqSummary)
	g.POST("/hq/summary/subscription", hq, p.hqSummarySubscribe)
	g.GET("/hq/trends", hq, p.hqTrends)
	g.GET("/hq/map", hq, p.hqMap)
}

// maxForm bounds the body of a page form: one photo and the fields.
const maxForm = httpapi.MaxPhoto + 256<<10

// limitBody refuses forms larger than a photo and its fields before anything
// reads them, with a page saying why (413); a body without a length is cut
// at the same size.
func (p *Pages) limitBody(c *gin.Context) {
	if c.Request.Method != http.MethodPost {
		c.Next()
		return
	}
	if c.Request.ContentLength > maxForm {
		p.kit.ErrorMsg(c, http.StatusRequestEntityTooLarge, "body_too_large_title",
			web.TooLarge(web.RouteLimit{Bytes: maxForm, File: httpapi.MaxPhoto}))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, maxForm)
	c.Next()
}

// city returns the city and user of a page request.
func city(c *gin.Context) (*httpapi.City, core.Actor) {
	ctx := c.Request.Context()
	return httpapi.CityFromContext(ctx), httpapi.ActorFromContext(ctx)
}

// requests is intake and the lifecycle of the page's city, routed as the API
// routes.
func (p *Pages) requests(ct *httpapi.City) *core.Requests {
	return p.api.Services().Requests(ct)
}

// allowed asks the city's policies about the page's user, for showing only
// the forms they may use; the routes check again.
func (p *Pages) allowed(c *gin.Context, act string) bool {
	ct, a := city(c)
	ok, err := p.kit.Authz.Allowed(c.Request.Context(), ct.Slug, a.Role, core.ObjRequests, act)
	return err == nil && ok
}

// fail renders an error page for an error that has no form to go with.
func (p *Pages) fail(c *gin.Context, err error) {
	switch core.ErrorCode(err) {
	case core.ENOTFOUND:
		p.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
	case core.EFORBIDDEN:
		p.kit.Error(c, http.StatusForbidden, "forbidden_title", "forbidden_text")
	default:
		_ = c.Error(err)
		p.kit.Error(c, http.StatusInternalServerError, "error_title", "error_text")
	}
}

// back sends the browser to a page after a form succeeded (303), with a
// flash message key.
func back(c *gin.Context, path, flash string) {
	if flash != "" {
		path += "?ok=" + flash
	}
	c.Redirect(http.StatusSeeOther, path)
	c.Abort()
}

func base(ct *httpapi.City) string { return "/t/" + ct.Slug }
