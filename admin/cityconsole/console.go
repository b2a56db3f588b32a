// Package cityconsole is the city admin console at /t/{slug}/admin/:
// categories and their deadlines, organizations, buildings (with CSV
// import), districts, routing (rules, plugin, simulator), users and roles,
// and the city's settings. Every change goes through the city API's own
// handlers in-process (see bridge), so the console shows the same field
// errors and enforces the same rules as the JSON API.
package cityconsole

import (
	"context"
	"embed"
	"net/http"
	"net/url"

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
	api     *bridge
	profile Profile
}

// New builds the console over the kit and the city API whose handlers it
// calls; profile may be nil (the profile form is then hidden).
func New(kit *web.Kit, api *httpapi.API, profile Profile) *Console {
	return &Console{kit: kit, views: kit.MustViews(templates, "templates", messages), api: newBridge(api), profile: profile}
}

// Prefix is where the console lives under /t/{slug}/.
const Prefix = "admin/"

// Register mounts the console's pages. Each page is guarded by the
// (object, action) pair of the API route it shows or changes.
func (cs *Console) Register(r gin.IRouter) {
	cs.kit.SetLanding(core.RoleCityAdmin, Prefix)
	g := r.Group("/t/:slug/admin", cs.kit.City)
	need := func(method, path string) gin.HandlerFunc {
		rt := cs.api.route(method, path)
		return cs.kit.Require(rt.Obj, rt.Act)
	}
	g.GET("/", cs.kit.Require(core.ObjCity, core.ActRead), cs.home)

	g.GET("/categories", need("GET", "/categories"), cs.categories)
	g.POST("/categories", need("POST", "/categories"), cs.createCategory)
	g.GET("/categories/:code", need("GET", "/categories/:code"), cs.editCategory)
	g.POST("/categories/:code", need("PUT", "/categories/:code"), cs.updateCategory)
	g.POST("/categories/:code/delete", need("DELETE", "/categories/:code"), cs.deleteCoded("/categories", "categories"))
	g.POST("/groups", need("POST", "/category-groups"), cs.createGroup)
	g.POST("/groups/:code/delete", need("DELETE", "/category-groups/:code"), cs.deleteCoded("/category-groups", "categories"))

	g.GET("/organizations", need("GET", "/organizations"), cs.organizations)
	g.POST("/organizations", need("POST", "/organizations"), cs.createOrganization)
	g.GET("/organizations/:code", need("GET", "/organizations/:code"), cs.editOrganization)
	g.POST("/organizations/:code", need("PUT", "/organizations/:code"), cs.updateOrganization)
	g.POST("/organizations/:code/delete", need("DELETE", "/organizations/:code"), cs.deleteCoded("/organizations", "organizations"))

	g.GET("/districts", need("GET", "/districts"), cs.districts)
	g.POST("/districts", need("POST", "/districts"), cs.createDistrict)
	g.POST("/districts/:code/delete", need("DELETE", "/districts/:code"), cs.deleteCoded("/districts", "districts"))

	g.GET("/buildings", need("GET", "/buildings"), cs.buildings)
	g.POST("/buildings/import", need("POST", "/buildings/import"), cs.importBuildings)

	g.GET("/routing", need("GET", "/routing/rules"), cs.routing)
	g.POST("/routing/rules", need("POST", "/routing/rules"), cs.createRule)
	g.GET("/routing/rules/:id", need("GET", "/routing/rules"), cs.editRule)
	g.POST("/routing/rules/:id", need("PUT", "/routing/rules/:id"), cs.updateRule)
	g.POST("/routing/rules/:id/delete", need("DELETE", "/routing/rules/:id"), cs.deleteRule)
	g.POST("/routing/rules/:id/move", need("POST", "/routing/rules/reorder"), cs.moveRule)
	g.POST("/routing/settings", need("PUT", "/routing/settings"), cs.saveRoutingSettings)
	g.POST("/routing/test", need("POST", "/routing/test"), cs.testRouting)

	g.GET("/users", need("GET", "/users"), cs.users)
	g.POST("/users", need("POST", "/users"), cs.inviteUser)
	g.POST("/users/:id", need("PATCH", "/users/:id"), cs.patchUser)
	g.GET("/roles", need("GET", "/policies"), cs.roles)
	g.POST("/roles", need("POST", "/policies"), cs.addPolicy)
	g.POST("/roles/delete", need("DELETE", "/policies"), cs.removePolicy)

	g.GET("/settings", need("GET", "/settings"), cs.settings)
	g.POST("/settings", need("PUT", "/settings"), cs.saveSettings)
	g.POST("/settings/profile", cs.kit.Require(core.ObjCity, core.ActUpdate), cs.saveProfile)
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

// home is the console's start: what can be configured, with counts.
func (cs *Console) home(c *gin.Context) {
	p := cs.page(c, "console_title", "home")
	var cats, orgs, dists struct {
		Items []map[string]any `json:"items"`
	}
	var users struct {
		Items []map[string]any `json:"items"`
	}
	for _, x := range []struct {
		path string
		out  any
	}{{"/categories", &cats}, {"/organizations", &orgs}, {"/districts", &dists}, {"/users", &users}} {
		if err := cs.api.call(c, "GET", x.path, nil, url.Values{"all": {"true"}}, nil, x.out); err != nil {
			cs.views.Fail(c, "home.html", p, err)
			return
		}
	}
	p.Data = map[string]int{"categories": len(cats.Items), "organizations": len(orgs.Items),
		"districts": len(dists.Items), "users": len(users.Items)}
	cs.views.Render(c, http.StatusOK, "home.html", p)
}

// deleteCoded deletes a directory entry by code after the confirmation step.
func (cs *Console) deleteCoded(apiPath, back string) gin.HandlerFunc {
	return func(c *gin.Context) {
		f := web.ReadForm(c)
		p := cs.page(c, "confirm_title", back)
		code := c.Param("code")
		if !web.Confirmed(f) {
			cs.views.Confirm(c, p, web.Confirmation{Question: "confirm_delete", Subject: code,
				Action: c.Request.URL.Path, Back: base(c) + "/" + back, Hidden: f.Values, Danger: true})
			return
		}
		err := cs.api.call(c, "DELETE", apiPath+"/:code", gin.Params{{Key: "code", Value: code}}, nil, nil, nil)
		if err != nil {
			p.SetError(c, err)
			cs.views.Confirm(c, p, web.Confirmation{Question: "confirm_delete", Subject: code, Action: c.Request.URL.Path,
				Back: base(c) + "/" + back, Danger: true})
			return
		}
		done(c, "/"+back)
	}
}
