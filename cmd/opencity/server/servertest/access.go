package servertest

import (
	"net/http"
	"slices"
	"strings"

	"github.com/opencity/opencity/core/httpapi/apitest"
)

// AccessPrincipals are the callers of the access matrix: the city's
// principals (the demo accounts, an organization's manager "manager", an
// API token of a dispatcher "api_dispatcher" and "inspector", a custom role
// allowed only to read categories), the anonymous, another city's admin
// "foreign_admin" and the vendor's super-admin "vendor".
var AccessPrincipals = append(slices.Clone(everyone.Who), "inspector", Anonymous, ForeignAdmin, Vendor)

// The principals of the matrix that are no user of the city.
const (
	Anonymous    = "anonymous"
	ForeignAdmin = "foreign_admin"
	Vendor       = "vendor"
)

// AccessKind is how a route admits its callers.
type AccessKind int

const (
	// Listed routes admit the principals their Access lists, refuse the
	// city's other principals (403) and do not know anyone else (401).
	Listed AccessKind = iota
	// Public routes take no token.
	Public
	// Self routes take any valid token of the city: the caller acts on
	// their own account.
	Self
	// Form is a public page form: anyone may post it with the session's
	// CSRF token; without it it is refused (403), a bearer token or not.
	Form
	// Installation is a dedicated installation's heartbeat: only its own
	// heartbeat token is accepted, so every principal of the matrix is
	// unknown there (401).
	Installation
	// VendorOnly routes admit the vendor's super-admin; a city's token is
	// unknown there (401).
	VendorOnly
)

// Access is who may use a route.
type Access struct {
	Kind AccessKind
	// Who are the principals a Listed route admits.
	Who []string
}

func allow(who ...string) Access { return Access{Kind: Listed, Who: who} }

// Lists says whether a Listed route names who among its principals.
func (a Access) Lists(who string) bool { return a.Kind == Listed && slices.Contains(a.Who, who) }

// Verdict judges the answer r that who got from a route of this access: ""
// when it is what the access says, else what is wrong.
func (a Access) Verdict(who string, r apitest.Response) string {
	// A page sends whoever is not logged in to its login page: its 401.
	toLogin := r.Status == http.StatusSeeOther && strings.Contains(r.Header.Get("Location"), "/login")
	unauthorized := r.Status == http.StatusUnauthorized || toLogin
	denied := unauthorized || r.Status == http.StatusForbidden
	outsider := who == Anonymous || who == ForeignAdmin || who == Vendor
	switch {
	case a.Kind == Installation:
		if r.Status != http.StatusUnauthorized {
			return "only a heartbeat token is accepted here (401)"
		}
	case a.Kind == Form:
		if r.Status == http.StatusForbidden {
			return "a form with its session's CSRF token refused"
		}
	case a.Kind == Public:
		if r.Status == http.StatusForbidden && !strings.Contains(string(r.Body), "readonly") {
			return "public route refused"
		}
	case a.Kind == VendorOnly:
		if (who == Vendor) == denied {
			return "want the vendor alone admitted"
		}
		if who != Vendor && !unauthorized {
			return "a city token in the vendor API must be unknown (401)"
		}
	case outsider:
		if !unauthorized {
			return "want 401"
		}
	case a.Kind == Self || a.Lists(who):
		if denied {
			return "allowed principal refused"
		}
	default:
		if r.Status != http.StatusForbidden {
			return "want 403"
		}
	}
	return ""
}

// RouteKey is a route's key in RouteAccess: its method and path, without
// the /t/:slug prefix of a city's routes except the city console's
// (/t/:slug/admin/, apart from the vendor's /admin/).
func RouteKey(method, path string) string {
	if strings.HasPrefix(path, "/t/:slug/admin/") {
		return method + " " + path
	}
	return method + " " + strings.TrimPrefix(path, "/t/:slug")
}

var (
	public       = Access{Kind: Public}
	self         = Access{Kind: Self}
	form         = Access{Kind: Form}
	installation = Access{Kind: Installation}
	vendorOnly   = Access{Kind: VendorOnly}

	everyone  = allow("admin", "dispatcher", "operator", "manager", "analyst", "citizen", "api_dispatcher")
	adminOnly = allow("admin")
	// categoryReaders: everyone, and the custom role allowed to read categories.
	categoryReaders = allow(append(slices.Clone(everyone.Who), "inspector")...)
	// staff reads the directory; citizens read what they need to file a request.
	staff       = allow("admin", "dispatcher", "operator", "manager", "analyst", "api_dispatcher")
	dispatchers = allow("admin", "dispatcher", "api_dispatcher")
	// filers file requests.
	filers = allow("admin", "dispatcher", "citizen", "api_dispatcher")
	// closers close and reopen requests: the dispatchers and the citizen.
	closers    = allow("admin", "dispatcher", "api_dispatcher", "citizen")
	orgWorkers = allow("operator", "manager")
	// alertReaders are the addressees of escalation alerts.
	alertReaders = allow("admin", "dispatcher", "manager", "analyst", "api_dispatcher")
	commentators = allow("admin", "dispatcher", "operator", "manager", "citizen", "api_dispatcher")
	// outageWriters declare and close outages (an organization's people
	// only their organization's).
	outageWriters = allow("admin", "dispatcher", "operator", "manager", "api_dispatcher")
	// webhookOwners subscribe endpoints: the city's admin, an organization's manager.
	webhookOwners = allow("admin", "manager")
	// hq reads the city's figures.
	hq = allow("admin", "analyst")
)

// lifecycle is who may take each action of a request's lifecycle, through
// the API (POST /api/v1/requests/:number/ACTION) and through the request
// page's forms (POST /requests/:number/ACTION) alike.
var lifecycle = map[string]Access{
	"assign": dispatchers, "reject": dispatchers, "duplicate": dispatchers, "recall": dispatchers,
	"close": closers, "reopen": closers,
	"accept": orgWorkers, "start": orgWorkers, "resolve": orgWorkers, "return": orgWorkers, "delegate": orgWorkers,
}

// RouteAccess is the expectation table of the access matrix, keyed by
// RouteKey. A route without an entry fails the matrix: whoever adds a
// route says here who may use it.
var RouteAccess = withLifecycle(map[string]Access{
	"GET /healthz":                        public,
	"GET /readyz":                         public,
	"GET /api/v1":                         public,
	"POST /api/v1/auth/token":             public,
	"POST /api/v1/auth/register":          public,
	"POST /api/v1/auth/invite":            public,
	"POST /api/v1/public/requests":        public,
	"GET /api/v1/public/requests/:code":   public,
	"GET /api/v1/statistics":              public,
	"POST /api/v1/auth/logout":            self,
	"POST /api/v1/auth/password":          self,
	"GET /api/v1/categories":              categoryReaders,
	"POST /api/v1/requests":               filers,
	"GET /api/v1/requests":                everyone,
	"GET /api/v1/requests/:number":        everyone,
	"GET /api/v1/settings/access":         adminOnly,
	"PUT /api/v1/settings/access":         adminOnly,
	"GET /api/v1/users":                   adminOnly,
	"POST /api/v1/users":                  adminOnly,
	"PATCH /api/v1/users/:id":             adminOnly,
	"GET /api/v1/tokens":                  adminOnly,
	"POST /api/v1/tokens":                 adminOnly,
	"DELETE /api/v1/tokens/:id":           adminOnly,
	"GET /api/v1/policies":                adminOnly,
	"POST /api/v1/policies":               adminOnly,
	"DELETE /api/v1/policies":             adminOnly,
	"POST /api/v1/vendor/auth/token":      public,
	"GET /api/v1/vendor/tenants":          vendorOnly,
	"POST /api/v1/vendor/fleet/heartbeat": installation,

	// A request's alerts, comments, photos and rating (its lifecycle's
	// actions are lifecycle's), webhooks, the desk, outages and settings.
	"GET /api/v1/alerts":                             alertReaders,
	"GET /api/v1/webhooks/endpoints":                 webhookOwners,
	"POST /api/v1/webhooks/endpoints":                webhookOwners,
	"GET /api/v1/webhooks/endpoints/:id/deliveries":  webhookOwners,
	"POST /api/v1/webhooks/endpoints/:id/enable":     webhookOwners,
	"POST /api/v1/webhooks/deliveries/:id/redeliver": webhookOwners,
	"POST /api/v1/requests/:number/comments":         commentators,
	"POST /api/v1/requests/:number/photos":           commentators,
	"POST /api/v1/requests/:number/rating":           allow("citizen"),
	"GET /api/v1/requests/:number/photos/:id":        everyone,
	"GET /api/v1/desk":                               dispatchers,
	"GET /api/v1/desk/counts":                        dispatchers,
	"GET /api/v1/openapi.json":                       public,
	"GET /api/v1/settings":                           dispatchers,
	"GET /api/v1/outages":                            staff,
	"POST /api/v1/outages":                           outageWriters,
	"GET /api/v1/outages/:id":                        staff,
	"POST /api/v1/outages/:id/close":                 outageWriters,
	"GET /api/v1/public/outages":                     public,
	"PUT /api/v1/settings":                           adminOnly,

	// The directory: staff read, citizens read what filing needs,
	// the admin writes.
	"GET /api/v1/districts":                everyone,
	"GET /api/v1/districts/:code":          everyone,
	"POST /api/v1/districts":               adminOnly,
	"PUT /api/v1/districts/:code":          adminOnly,
	"DELETE /api/v1/districts/:code":       adminOnly,
	"GET /api/v1/category-groups":          categoryReaders,
	"GET /api/v1/category-groups/:code":    categoryReaders,
	"POST /api/v1/category-groups":         adminOnly,
	"PUT /api/v1/category-groups/:code":    adminOnly,
	"DELETE /api/v1/category-groups/:code": adminOnly,
	"GET /api/v1/categories/:code":         categoryReaders,
	"POST /api/v1/categories":              adminOnly,
	"PUT /api/v1/categories/:code":         adminOnly,
	"DELETE /api/v1/categories/:code":      adminOnly,
	"GET /api/v1/organizations":            staff,
	"GET /api/v1/organizations/:code":      staff,
	"POST /api/v1/organizations":           adminOnly,
	"PUT /api/v1/organizations/:code":      adminOnly,
	"DELETE /api/v1/organizations/:code":   adminOnly,
	"GET /api/v1/buildings":                everyone,
	"GET /api/v1/buildings/:id":            everyone,
	"GET /api/v1/buildings/export":         everyone,
	"POST /api/v1/buildings":               adminOnly,
	"POST /api/v1/buildings/import":        adminOnly,
	"PUT /api/v1/buildings/:id":            adminOnly,
	"DELETE /api/v1/buildings/:id":         adminOnly,

	// Routing.
	"GET /api/v1/routing/rules":          dispatchers,
	"POST /api/v1/routing/rules":         adminOnly,
	"PUT /api/v1/routing/rules/:id":      adminOnly,
	"DELETE /api/v1/routing/rules/:id":   adminOnly,
	"POST /api/v1/routing/rules/reorder": adminOnly,
	"GET /api/v1/routing/settings":       dispatchers,
	"PUT /api/v1/routing/settings":       adminOnly,
	"POST /api/v1/routing/test":          dispatchers,

	// Signup and billing: public by nature; the webhook checks
	// Stripe's signature.
	"GET /signup":                  public,
	"POST /signup":                 form,
	"GET /signup/confirm":          public,
	"POST /signup/confirm":         form,
	"POST /signup/api/confirm":     public,
	"GET /signup/done":             public,
	"GET /signup/assets/:file":     public,
	"GET /signup/api/plans":        public,
	"GET /signup/api/slug":         public,
	"GET /signup/api/status/:slug": public,
	"POST /signup/api":             public,
	"POST /billing/webhook":        public,

	// The page kit: assets, the city and vendor logins. Pages
	// answer the anonymous with a 303 to the login page (counted as 401).
	"GET /static/*path": public,

	// Open311: one dispatcher of resources behind each method, open to
	// anyone as the specification asks; its api_key checks, another
	// city's keys and ids included, are TestOpen311's (core/httpapi).
	"GET /open311/v2/*path":  public,
	"POST /open311/v2/*path": public,
	"GET /favicon.ico":       public,
	"GET /login":             public,
	"POST /login":            form,
	"POST /logout":           form,
	"GET /register":          public,
	"POST /register":         form,
	"GET /invite":            public,
	"POST /invite":           form,
	"GET /admin/login":       public,
	"POST /admin/login":      form,
	"POST /admin/logout":     form,

	// The city admin console: each page is guarded like the API route
	// it shows or changes. Keyed with /t/:slug, apart from the vendor's /admin/.
	"GET /t/:slug/admin/":                                   adminOnly,
	"GET /t/:slug/admin/categories":                         categoryReaders,
	"POST /t/:slug/admin/categories":                        adminOnly,
	"GET /t/:slug/admin/categories/:code":                   categoryReaders,
	"POST /t/:slug/admin/categories/:code":                  adminOnly,
	"POST /t/:slug/admin/categories/:code/delete":           adminOnly,
	"POST /t/:slug/admin/groups":                            adminOnly,
	"POST /t/:slug/admin/groups/:code/delete":               adminOnly,
	"GET /t/:slug/admin/organizations":                      staff,
	"POST /t/:slug/admin/organizations":                     adminOnly,
	"GET /t/:slug/admin/organizations/:code":                staff,
	"POST /t/:slug/admin/organizations/:code":               adminOnly,
	"POST /t/:slug/admin/organizations/:code/delete":        adminOnly,
	"GET /t/:slug/admin/districts":                          everyone,
	"POST /t/:slug/admin/districts":                         adminOnly,
	"POST /t/:slug/admin/districts/:code/delete":            adminOnly,
	"GET /t/:slug/admin/buildings":                          everyone,
	"POST /t/:slug/admin/buildings/import":                  adminOnly,
	"GET /t/:slug/admin/routing":                            dispatchers,
	"POST /t/:slug/admin/routing/rules":                     adminOnly,
	"GET /t/:slug/admin/routing/rules/:id":                  dispatchers,
	"POST /t/:slug/admin/routing/rules/:id":                 adminOnly,
	"POST /t/:slug/admin/routing/rules/:id/delete":          adminOnly,
	"POST /t/:slug/admin/routing/rules/:id/move":            adminOnly,
	"POST /t/:slug/admin/routing/settings":                  adminOnly,
	"POST /t/:slug/admin/routing/test":                      dispatchers,
	"GET /t/:slug/admin/users":                              adminOnly,
	"POST /t/:slug/admin/users":                             adminOnly,
	"POST /t/:slug/admin/users/:id":                         adminOnly,
	"GET /t/:slug/admin/roles":                              adminOnly,
	"POST /t/:slug/admin/roles":                             adminOnly,
	"POST /t/:slug/admin/roles/delete":                      adminOnly,
	"GET /t/:slug/admin/imports":                            adminOnly,
	"POST /t/:slug/admin/imports":                           adminOnly,
	"GET /t/:slug/admin/imports/:id":                        adminOnly,
	"POST /t/:slug/admin/imports/:id":                       adminOnly,
	"POST /t/:slug/admin/imports/:id/run":                   adminOnly,
	"POST /t/:slug/admin/imports/:id/upload":                adminOnly,
	"GET /t/:slug/admin/webhooks":                           webhookOwners,
	"POST /t/:slug/admin/webhooks":                          webhookOwners,
	"POST /t/:slug/admin/webhooks/endpoints/:id/enable":     webhookOwners,
	"POST /t/:slug/admin/webhooks/deliveries/:id/redeliver": webhookOwners,
	"GET /t/:slug/admin/notifications":                      adminOnly,
	"POST /t/:slug/admin/notifications":                     adminOnly,
	"POST /t/:slug/admin/notifications/reset":               adminOnly,
	"GET /t/:slug/admin/settings":                           dispatchers,
	"POST /t/:slug/admin/settings":                          adminOnly,
	"POST /t/:slug/admin/settings/profile":                  adminOnly,

	// The super-admin console: vendor users only; a city's token is
	// unknown there (the login page).
	"GET /admin/":                     vendorOnly,
	"GET /admin/cities/new":           vendorOnly,
	"POST /admin/cities":              vendorOnly,
	"GET /admin/cities/:slug":         vendorOnly,
	"POST /admin/cities/:slug/status": vendorOnly,
	"POST /admin/cities/:slug/plan":   vendorOnly,
	"GET /admin/plugins":              vendorOnly,
	"POST /admin/plugins":             vendorOnly,
	"POST /admin/plugins/assign":      vendorOnly,
	"GET /admin/health":               vendorOnly,
	"POST /admin/jobs/:id/retry":      vendorOnly,
	"GET /admin/audit":                vendorOnly,
	"GET /admin/vendor-users":         vendorOnly,
	"GET /admin/fleet":                vendorOnly,
	"POST /admin/fleet":               vendorOnly,
	"POST /admin/fleet/:id/revoke":    vendorOnly,
	// The working pages: the portal, a request's page and its forms,
	// the dispatcher's desk, the organization's office.
	"GET /":                            public,
	"GET /statistics":                  public,
	"GET /new":                         filers,
	"POST /new":                        filers,
	"GET /my/":                         allow("citizen"),
	"GET /report":                      public,
	"POST /report":                     form,
	"GET /track/:code":                 public,
	"GET /notifications/off/:token":    public,
	"POST /notifications/off/:token":   form,
	"GET /addresses":                   everyone,
	"GET /requests/:number":            everyone,
	"GET /requests/:number/photos/:id": everyone,
	"POST /requests/:number/comment":   commentators,
	"POST /requests/:number/photo":     commentators,
	"POST /requests/:number/rate":      allow("citizen"),
	"GET /alerts":                      alertReaders,
	"GET /desk/":                       dispatchers,
	"GET /desk/counts":                 dispatchers,
	"GET /desk/call":                   dispatchers,
	"POST /desk/call":                  dispatchers,
	"GET /desk/search":                 dispatchers,
	"POST /desk/call/join":             dispatchers,
	"GET /office/":                     orgWorkers,
	"GET /hq/wishes":                   hq,
	"GET /hq/wishes/agenda":            hq,
	"POST /hq/wishes/decide":           adminOnly,
	"GET /office/export.csv":           orgWorkers,
	"GET /outages/":                    staff,
	"POST /outages/":                   outageWriters,
	"GET /outages/:id":                 staff,
	"POST /outages/:id/close":          outageWriters,

	// HQ.
	"GET /hq/":                                            hq,
	"GET /hq/leagues/:kind":                               hq,
	"GET /hq/organizations/:code":                         hq,
	"GET /hq/organizations/:code/buildings/:id":           hq,
	"GET /hq/hotspots":                                    hq,
	"GET /hq/hotspots/requests":                           hq,
	"GET /hq/summary":                                     hq,
	"POST /hq/summary/subscription":                       hq,
	"GET /hq/map":                                         hq,
	"GET /api/v1/analytics/map":                           hq,
	"GET /hq/trends":                                      hq,
	"GET /api/v1/analytics/trends":                        hq,
	"GET /api/v1/analytics/hotspots":                      hq,
	"GET /api/v1/analytics/hotspots/requests":             hq,
	"GET /api/v1/analytics/dashboard":                     hq,
	"GET /api/v1/analytics/leagues/:kind":                 hq,
	"GET /api/v1/analytics/organizations/:code/buildings": hq,
	"GET /api/v1/analytics/organizations/:code/buildings/:id/requests": hq,
})

// withLifecycle adds the routes of the lifecycle's actions to table.
func withLifecycle(table map[string]Access) map[string]Access {
	for action, a := range lifecycle {
		table["POST /api/v1/requests/:number/"+action] = a
		table["POST /requests/:number/"+action] = a
	}
	return table
}
