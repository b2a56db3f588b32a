// Package cityconsole is the city admin console at /t/{slug}/admin/:
// categories and their deadlines, organizations, buildings (with CSV
// import), districts, routing (rules, plugin, simulator), users and roles,
// and the city's settings. Every page calls the same core services as the
// JSON API, so the console shows the same field errors and enforces the
// same rules and the same authorization.
package cityconsole

import (
	"context"
	"embed"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

//go:embed templates/*.html
var templates embed.FS

// Profile changes what the control plane keeps about a city: its name,
// locale and time zone.
type Profile interface {
	SetCityProfile(ctx context.Context, actor, slug, name, locale, timezone string) error
}

// Console serves the city admin console.
type Console struct {
	kit     *web.Kit
	views   *web.Views
	svc     httpapi.Services
	profile Profile
	// Channels are the notification channels the server sends on.
	Channels Channels
}

// New builds the console over the kit and the cities' services; profile
// may be nil (the profile form is then hidden).
func New(kit *web.Kit, svc httpapi.Services, profile Profile) *Console {
	return &Console{kit: kit, views: kit.MustViews(templates, "templates", "console"), svc: svc, profile: profile}
}

// call is one page's request: its context, city and user.
type call struct {
	ctx   context.Context
	city  *httpapi.City
	actor core.Actor
}

func callOf(c *gin.Context) call {
	ctx := c.Request.Context()
	return call{ctx: ctx, city: httpapi.CityFromContext(ctx), actor: httpapi.ActorFromContext(ctx)}
}

func (cs *Console) directory(k call) *core.DirectoryAdmin  { return cs.svc.Directory(k.city) }
func (cs *Console) routingAdmin(k call) *core.RoutingAdmin { return cs.svc.RoutingAdmin(k.city) }
func (cs *Console) users(k call) *core.Users               { return cs.svc.Users(k.city) }

// Prefix is where the console lives under /t/{slug}/.
const Prefix = "admin/"

// Register mounts the console's pages. Each page is guarded by the
// (object, action) pair of the service call it shows or makes, as the API
// route of that call is.
func (cs *Console) Register(r gin.IRouter) {
	cs.kit.SetLanding(core.RoleCityAdmin, Prefix)
	g := r.Group("/t/:slug/admin", cs.kit.City)
	need := cs.kit.Require
	const (
		read, create, update, del = core.ActRead, core.ActCreate, core.ActUpdate, core.ActDelete
		cats, orgs, dists, blds   = core.ObjCategories, core.ObjOrganizations, core.ObjDistricts, core.ObjBuildings
	)
	g.GET("/", need(core.ObjCity, read), cs.home)

	g.GET("/categories", need(cats, read), cs.categories)
	g.POST("/categories", need(cats, create), cs.createCategory)
	g.GET("/categories/:code", need(cats, read), cs.editCategory)
	g.POST("/categories/:code", need(cats, update), cs.updateCategory)
	g.POST("/categories/:code/delete", need(cats, del), cs.deleteCoded("categories", func(d *core.DirectoryAdmin) deleter {
		return d.Categories().Delete
	}))
	g.POST("/groups", need(cats, create), cs.createGroup)
	g.POST("/groups/:code/delete", need(cats, del), cs.deleteCoded("categories", func(d *core.DirectoryAdmin) deleter {
		return d.CategoryGroups().Delete
	}))

	g.GET("/organizations", need(orgs, read), cs.organizations)
	g.POST("/organizations", need(orgs, create), cs.createOrganization)
	g.GET("/organizations/:code", need(orgs, read), cs.editOrganization)
	g.POST("/organizations/:code", need(orgs, update), cs.updateOrganization)
	g.POST("/organizations/:code/delete", need(orgs, del), cs.deleteCoded("organizations", func(d *core.DirectoryAdmin) deleter {
		return d.Organizations().Delete
	}))

	g.GET("/districts", need(dists, read), cs.districts)
	g.POST("/districts", need(dists, create), cs.createDistrict)
	g.POST("/districts/:code/delete", need(dists, del), cs.deleteCoded("districts", func(d *core.DirectoryAdmin) deleter {
		return d.Districts().Delete
	}))

	g.GET("/buildings", need(blds, read), cs.buildings)
	g.POST("/buildings/import", need(blds, core.ActImport), cs.importBuildings)

	const rt = core.ObjRouting
	g.GET("/routing", need(rt, read), cs.routing)
	g.POST("/routing/rules", need(rt, create), cs.createRule)
	g.GET("/routing/rules/:id", need(rt, read), cs.editRule)
	g.POST("/routing/rules/:id", need(rt, update), cs.updateRule)
	g.POST("/routing/rules/:id/delete", need(rt, del), cs.deleteRule)
	g.POST("/routing/rules/:id/move", need(rt, update), cs.moveRule)
	g.POST("/routing/settings", need(rt, update), cs.saveRoutingSettings)
	g.POST("/routing/test", need(rt, read), cs.testRouting)

	g.GET("/users", need(core.ObjUsers, read), cs.usersPage)
	g.POST("/users", need(core.ObjUsers, create), cs.inviteUser)
	g.POST("/users/:id", need(core.ObjUsers, update), cs.patchUser)
	g.GET("/roles", need(core.ObjPolicies, read), cs.roles)
	g.POST("/roles", need(core.ObjPolicies, create), cs.addPolicy)
	g.POST("/roles/delete", need(core.ObjPolicies, del), cs.removePolicy)

	g.GET("/webhooks", need(core.ObjWebhooks, read), cs.webhooks)
	g.POST("/webhooks", need(core.ObjWebhooks, create), cs.createEndpoint)
	g.POST("/webhooks/endpoints/:id/enable", need(core.ObjWebhooks, update), cs.enableEndpoint)
	g.POST("/webhooks/deliveries/:id/redeliver", need(core.ObjWebhooks, update), cs.redeliver)
	const im = core.ObjImports
	g.GET("/imports", need(im, read), cs.imports)
	g.POST("/imports", need(im, create), cs.saveImport)
	g.GET("/imports/:id", need(im, read), cs.editImport)
	g.POST("/imports/:id", need(im, update), cs.saveImport)
	g.POST("/imports/:id/run", need(im, update), cs.runImport)
	g.POST("/imports/:id/upload", need(im, core.ActImport), cs.uploadImport)
	g.GET("/notifications", need(core.ObjNotifications, read), cs.notifications)
	g.POST("/notifications", need(core.ObjNotifications, read), cs.saveNotification) // a preview reads; Put checks update
	g.POST("/notifications/reset", need(core.ObjNotifications, update), cs.resetNotification)
	g.GET("/settings", need(core.ObjSettings, read), cs.settings)
	g.POST("/settings", need(core.ObjSettings, update), cs.saveSettings)
	g.POST("/settings/profile", need(core.ObjCity, update), cs.saveProfile)
}

// page starts a console page with its active nav item.
func (cs *Console) page(c *gin.Context, title, nav string) *web.Page {
	p := cs.views.Page(c, title)
	p.Nav = nav
	return p
}

// base is /t/{slug}/admin.
func base(c *gin.Context) string { return "/t/" + c.Param("slug") + "/admin" }

// done redirects to a console page with the "saved" notice.
func done(c *gin.Context, rel string) {
	c.Redirect(http.StatusSeeOther, base(c)+rel+"?ok=saved")
}

// optional turns a refusal into nothing to show: a page's auxiliary lists
// (the pickers of a form) stay empty where the reader's role may not read
// them, and the page itself still works.
func optional(err error) error {
	if core.ErrorCode(err) == core.EFORBIDDEN {
		return nil
	}
	return err
}

// homeCard is one count on the console's start page.
type homeCard struct {
	Href, Label string
	Count       int
}

// home is the console's start: what can be configured, with counts of what
// the reader's role may see.
func (cs *Console) home(c *gin.Context) {
	p := cs.page(c, "console_title", "home")
	k := callOf(c)
	d := cs.directory(k)
	counts := []struct {
		href, label string
		count       func() (int, error)
	}{
		{"categories", "count_categories", func() (int, error) { xs, err := d.Categories().List(k.ctx, k.actor, true); return len(xs), err }},
		{"organizations", "count_organizations", func() (int, error) { xs, err := d.Organizations().List(k.ctx, k.actor, true); return len(xs), err }},
		{"districts", "count_districts", func() (int, error) { xs, err := d.Districts().List(k.ctx, k.actor, true); return len(xs), err }},
		{"users", "count_users", func() (int, error) { xs, err := cs.users(k).List(k.ctx, k.actor); return len(xs), err }},
	}
	var cards []homeCard
	for _, x := range counts {
		n, err := x.count()
		if core.ErrorCode(err) == core.EFORBIDDEN {
			continue
		}
		if err != nil {
			cs.views.Fail(c, "home.html", p, err)
			return
		}
		cards = append(cards, homeCard{Href: x.href, Label: x.label, Count: n})
	}
	p.Data = cards
	cs.views.Render(c, http.StatusOK, "home.html", p)
}

// deleter deletes a directory entry by code.
type deleter func(ctx context.Context, actor core.Actor, code string) error

// deleteCoded deletes a directory entry by code after the confirmation
// step, then shows the list page back.
func (cs *Console) deleteCoded(back string, kind func(*core.DirectoryAdmin) deleter) gin.HandlerFunc {
	return func(c *gin.Context) {
		f := web.ReadForm(c)
		p := cs.page(c, "confirm_title", back)
		code := c.Param("code")
		if !web.Confirmed(f) {
			cs.views.Confirm(c, p, web.Confirmation{Question: "confirm_delete", Subject: code,
				Action: c.Request.URL.Path, Back: base(c) + "/" + back, Hidden: f.Values, Danger: true})
			return
		}
		k := callOf(c)
		if err := kind(cs.directory(k))(k.ctx, k.actor, code); err != nil {
			p.SetError(c, err)
			cs.views.Confirm(c, p, web.Confirmation{Question: "confirm_delete", Subject: code, Action: c.Request.URL.Path,
				Back: base(c) + "/" + back, Danger: true})
			return
		}
		done(c, "/"+back)
	}
}
