package main

import (
	"bytes"
	"context"
	"fmt"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Who may use a route. "public" routes take no token; "self" routes take any
// valid token of the city (the caller acts on their own account); otherwise
// the list names the principals of the matrix that are allowed.
const (
	public = "public"
	self   = "self"
	vendor = "vendor"
	// form is a public page form: anyone may post it with the session's
	// CSRF token; without it it is refused (403), a bearer token or not.
	form = "form"
	// installation is a dedicated installation's heartbeat: only its own
	// heartbeat token is accepted, so every principal of the matrix is
	// unknown there (401).
	installation = "installation"
)

var (
	everyone  = []string{"admin", "dispatcher", "operator", "manager", "analyst", "citizen", "api_dispatcher"}
	adminOnly = []string{"admin"}
	// staff reads the directory; citizens read what they need to file a request.
	staff       = []string{"admin", "dispatcher", "operator", "manager", "analyst", "api_dispatcher"}
	dispatchers = []string{"admin", "dispatcher", "api_dispatcher"}
	orgWorkers  = []string{"operator", "manager"}
	// alertReaders are the addressees of escalation alerts.
	alertReaders = []string{"admin", "dispatcher", "manager", "analyst", "api_dispatcher"}
	commentators = []string{"admin", "dispatcher", "operator", "manager", "citizen", "api_dispatcher"}
	// outageWriters declare and close outages (an organization's people
	// only their organization's).
	outageWriters = []string{"admin", "dispatcher", "operator", "manager", "api_dispatcher"}
	// webhookOwners subscribe endpoints: the city's admin, an organization's manager.
	webhookOwners = []string{"admin", "manager"}
	// hq reads the city's figures.
	hq = []string{"admin", "analyst"}
)

// routeAccess is the expectation table of the access matrix, keyed by method
// and path without the /t/:slug prefix. A route without an entry fails
// TestAccessMatrix: whoever adds a route says here who may use it.
var routeAccess = map[string][]string{
	"GET /healthz":                        {public},
	"GET /readyz":                         {public},
	"GET /api/v1":                         {public},
	"POST /api/v1/auth/token":             {public},
	"POST /api/v1/auth/register":          {public},
	"POST /api/v1/auth/invite":            {public},
	"POST /api/v1/public/requests":        {public},
	"GET /api/v1/public/requests/:code":   {public},
	"GET /api/v1/statistics":              {public},
	"POST /api/v1/auth/logout":            {self},
	"POST /api/v1/auth/password":          {self},
	"GET /api/v1/categories":              append(slices.Clone(everyone), "inspector"),
	"POST /api/v1/requests":               {"admin", "dispatcher", "citizen", "api_dispatcher"},
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
	"POST /api/v1/vendor/auth/token":      {public},
	"GET /api/v1/vendor/tenants":          {vendor},
	"POST /api/v1/vendor/fleet/heartbeat": {installation},

	// The lifecycle.
	"POST /api/v1/requests/:number/assign":           dispatchers,
	"POST /api/v1/requests/:number/reject":           dispatchers,
	"POST /api/v1/requests/:number/duplicate":        dispatchers,
	"POST /api/v1/requests/:number/recall":           dispatchers,
	"GET /api/v1/alerts":                             alertReaders,
	"GET /api/v1/webhooks/endpoints":                 webhookOwners,
	"POST /api/v1/webhooks/endpoints":                webhookOwners,
	"GET /api/v1/webhooks/endpoints/:id/deliveries":  webhookOwners,
	"POST /api/v1/webhooks/endpoints/:id/enable":     webhookOwners,
	"POST /api/v1/webhooks/deliveries/:id/redeliver": webhookOwners,
	"POST /api/v1/requests/:number/close":            append(slices.Clone(dispatchers), "citizen"),
	"POST /api/v1/requests/:number/reopen":           append(slices.Clone(dispatchers), "citizen"),
	"POST /api/v1/requests/:number/accept":           orgWorkers,
	"POST /api/v1/requests/:number/start":            orgWorkers,
	"POST /api/v1/requests/:number/resolve":          orgWorkers,
	"POST /api/v1/requests/:number/return":           orgWorkers,
	"POST /api/v1/requests/:number/delegate":         orgWorkers,
	"POST /api/v1/requests/:number/comments":         commentators,
	"POST /api/v1/requests/:number/photos":           commentators,
	"POST /api/v1/requests/:number/rating":           {"citizen"},
	"GET /api/v1/requests/:number/photos/:id":        everyone,
	"GET /api/v1/desk":                               dispatchers,
	"GET /api/v1/desk/counts":                        dispatchers,
	"GET /api/v1/openapi.json":                       {public},
	"GET /api/v1/settings":                           dispatchers,
	"GET /api/v1/outages":                            staff,
	"POST /api/v1/outages":                           outageWriters,
	"GET /api/v1/outages/:id":                        staff,
	"POST /api/v1/outages/:id/close":                 outageWriters,
	"GET /api/v1/public/outages":                     {public},
	"PUT /api/v1/settings":                           adminOnly,

	// The directory: staff read, citizens read what filing needs,
	// the admin writes.
	"GET /api/v1/districts":                everyone,
	"GET /api/v1/districts/:code":          everyone,
	"POST /api/v1/districts":               adminOnly,
	"PUT /api/v1/districts/:code":          adminOnly,
	"DELETE /api/v1/districts/:code":       adminOnly,
	"GET /api/v1/category-groups":          append(slices.Clone(everyone), "inspector"),
	"GET /api/v1/category-groups/:code":    append(slices.Clone(everyone), "inspector"),
	"POST /api/v1/category-groups":         adminOnly,
	"PUT /api/v1/category-groups/:code":    adminOnly,
	"DELETE /api/v1/category-groups/:code": adminOnly,
	"GET /api/v1/categories/:code":         append(slices.Clone(everyone), "inspector"),
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
	"GET /signup":                  {public},
	"POST /signup":                 {form},
	"GET /signup/confirm":          {public},
	"POST /signup/confirm":         {form},
	"POST /signup/api/confirm":     {public},
	"GET /signup/done":             {public},
	"GET /signup/assets/:file":     {public},
	"GET /signup/api/plans":        {public},
	"GET /signup/api/slug":         {public},
	"GET /signup/api/status/:slug": {public},
	"POST /signup/api":             {public},
	"POST /billing/webhook":        {public},

	// The page kit: assets, the city and vendor logins. Pages
	// answer the anonymous with a 303 to the login page (counted as 401).
	"GET /static/*path": {public},

	// Open311: one dispatcher of resources behind each method, open to
	// anyone as the specification asks; its api_key checks, another
	// city's keys and ids included, are TestOpen311's (core/httpapi).
	"GET /open311/v2/*path":  {public},
	"POST /open311/v2/*path": {public},
	"GET /favicon.ico":       {public},
	"GET /login":             {public},
	"POST /login":            {form},
	"POST /logout":           {form},
	"GET /register":          {public},
	"POST /register":         {form},
	"GET /invite":            {public},
	"POST /invite":           {form},
	"GET /admin/login":       {public},
	"POST /admin/login":      {form},
	"POST /admin/logout":     {form},

	// The city admin console: each page is guarded like the API route
	// it shows or changes. Keyed with /t/:slug, apart from the vendor's /admin/.
	"GET /t/:slug/admin/":                                   adminOnly,
	"GET /t/:slug/admin/categories":                         append(slices.Clone(everyone), "inspector"),
	"POST /t/:slug/admin/categories":                        adminOnly,
	"GET /t/:slug/admin/categories/:code":                   append(slices.Clone(everyone), "inspector"),
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
	"GET /admin/":                     {vendor},
	"GET /admin/cities/new":           {vendor},
	"POST /admin/cities":              {vendor},
	"GET /admin/cities/:slug":         {vendor},
	"POST /admin/cities/:slug/status": {vendor},
	"POST /admin/cities/:slug/plan":   {vendor},
	"GET /admin/plugins":              {vendor},
	"POST /admin/plugins":             {vendor},
	"POST /admin/plugins/assign":      {vendor},
	"GET /admin/health":               {vendor},
	"POST /admin/jobs/:id/retry":      {vendor},
	"GET /admin/audit":                {vendor},
	"GET /admin/vendor-users":         {vendor},
	"GET /admin/fleet":                {vendor},
	"POST /admin/fleet":               {vendor},
	"POST /admin/fleet/:id/revoke":    {vendor},
	// The working pages: the portal, a request's page and its forms,
	// the dispatcher's desk, the organization's office.
	"GET /":                            {public},
	"GET /statistics":                  {public},
	"GET /new":                         {"admin", "dispatcher", "citizen", "api_dispatcher"},
	"POST /new":                        {"admin", "dispatcher", "citizen", "api_dispatcher"},
	"GET /my/":                         {"citizen"},
	"GET /report":                      {public},
	"POST /report":                     {form},
	"GET /track/:code":                 {public},
	"GET /notifications/off/:token":    {public},
	"POST /notifications/off/:token":   {form},
	"GET /addresses":                   everyone,
	"GET /requests/:number":            everyone,
	"GET /requests/:number/photos/:id": everyone,
	"POST /requests/:number/comment":   commentators,
	"POST /requests/:number/photo":     commentators,
	"POST /requests/:number/rate":      {"citizen"},
	"POST /requests/:number/assign":    dispatchers,
	"POST /requests/:number/reject":    dispatchers,
	"POST /requests/:number/duplicate": dispatchers,
	"POST /requests/:number/recall":    dispatchers,
	"GET /alerts":                      alertReaders,
	"POST /requests/:number/close":     append(slices.Clone(dispatchers), "citizen"),
	"POST /requests/:number/reopen":    append(slices.Clone(dispatchers), "citizen"),
	"POST /requests/:number/accept":    orgWorkers,
	"POST /requests/:number/start":     orgWorkers,
	"POST /requests/:number/resolve":   orgWorkers,
	"POST /requests/:number/return":    orgWorkers,
	"POST /requests/:number/delegate":  orgWorkers,
	"GET /desk/":                       dispatchers,
	"GET /desk/counts":                 dispatchers,
	"GET /desk/call":                   dispatchers,
	"POST /desk/call":                  dispatchers,
	"GET /desk/search":                 dispatchers,
	"POST /desk/call/join":             dispatchers,
	"GET /office/":                     orgWorkers,
	"GET /hq/wishes":                   {"admin", "analyst"},
	"GET /hq/wishes/agenda":            {"admin", "analyst"},
	"POST /hq/wishes/decide":           {"admin"},
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
}

// The secrets planted in nizhnekamsk: no answer of kazan may carry them.
const foreignSecret = "NKM-SECRET"

var foreignMarkers = [][]byte{[]byte(foreignSecret), []byte("nkm_secret")}

// fixture holds the ids of one city that the matrix puts into paths.
type fixture struct {
	number, userID, tokenID, code string
}

// routeKey strips the path prefix of city routes.
func routeKey(method, path string) string {
	if strings.HasPrefix(path, "/t/:slug/admin/") { // the city console, apart from the vendor's /admin/
		return method + " " + path
	}
	return method + " " + strings.TrimPrefix(path, "/t/:slug")
}

// Every route × every principal × own city and another city's ids and
// tokens: exactly the expected allow or deny, and no foreign byte.
func TestAccessMatrix(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			// Every principal logs in anew for each route that ends its
			// session: far more than a person does in a minute.
			s := startServerConfig(t, kind, func(c *server.Config) { c.RateLimits.Login = ratelimit.Rule{Requests: 10000, Window: time.Minute} })
			s.client = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			routes := s.Engine().Routes()
			keys := map[string]bool{}
			for _, r := range routes {
				k := routeKey(r.Method, r.Path)
				keys[k] = true
				if _, ok := routeAccess[k]; !ok {
					t.Errorf("route %s %s has no entry in routeAccess: say who may use it", r.Method, r.Path)
				}
			}
			for k := range routeAccess {
				if !keys[k] {
					t.Errorf("routeAccess has %s, which is no route any more", k)
				}
			}

			tokens, own, foreign := s.matrixSetup(t)
			principals := append(slices.Clone(everyone), "inspector", "anonymous", "foreign_admin", "vendor")
			sort.Slice(routes, func(i, j int) bool { // logout last: it ends sessions
				return !strings.HasSuffix(routes[i].Path, "/logout") && strings.HasSuffix(routes[j].Path, "/logout")
			})
			checked := 0
			pageSessions := map[string][2]string{} // per surface: cookie and CSRF token
			for _, rt := range routes {
				if !strings.HasPrefix(rt.Path, "/t/:slug") && strings.HasPrefix(rt.Path, "/api/v1") && !strings.HasPrefix(rt.Path, "/api/v1/vendor") {
					continue // the host-resolved twin of a /t/:slug route, same handlers
				}
				want := routeAccess[routeKey(rt.Method, rt.Path)]
				for _, who := range principals {
					for _, ids := range []struct {
						name string
						f    fixture
					}{{"own ids", own}, {"foreign ids", foreign}} {
						tok := tokens[who]
						if slices.Contains(want, self) && who != "anonymous" && who != "foreign_admin" && who != "vendor" {
							tok = s.freshToken(t, who, tokens)
						}
						path := strings.NewReplacer(":slug", "kazan", ":number", ids.f.number, ":id", idFor(rt.Path, ids.f),
							":code", ids.f.code).Replace(rt.Path)
						// A page form carries a page session and its CSRF
						// token, as a browser's does; a bearer token does not
						// stand in for them.
						var hdr []string
						page := rt.Method != http.MethodGet && !strings.Contains(rt.Path, "/api/") && rt.Path != "/billing/webhook" &&
							!strings.Contains(rt.Path, "/open311/") // an API keyed by api_key, no cookie
						if page {
							surface := apitest.PageSurface(path)
							if _, ok := pageSessions[surface]; !ok {
								ck, csrf := s.api().PageSession(path)
								pageSessions[surface] = [2]string{ck.Name + "=" + ck.Value, csrf}
							}
							hdr = []string{"Cookie", pageSessions[surface][0], "X-CSRF-Token", pageSessions[surface][1]}
						}
						if page && ids.name == "own ids" {
							r := s.call(rt.Method, path, tok, matrixBody(rt.Method+" "+rt.Path, checked))
							// Sent elsewhere before the form is read: to the login
							// page, or a logged-in user from the anonymous report
							// to the portal's own form.
							loc := r.Header.Get("Location")
							away := r.Status == http.StatusSeeOther && (strings.Contains(loc, "/login") || strings.HasSuffix(loc, "/new"))
							if r.Status != http.StatusForbidden && r.Status != http.StatusTooManyRequests && !away {
								t.Errorf("%s %s as %s without the CSRF token: %d, want it refused", rt.Method, path, who, r.Status)
							}
						}
						r := s.call(rt.Method, path, tok, matrixBody(rt.Method+" "+rt.Path, checked), hdr...)
						if page && r.Header.Get("Set-Cookie") != "" {
							delete(pageSessions, apitest.PageSurface(path)) // logged in or out: a new one next time
						}
						checked++
						label := fmt.Sprintf("%s %s as %s with %s", rt.Method, path, who, ids.name)
						for _, m := range foreignMarkers {
							if bytes.Contains(r.Body, m) {
								t.Errorf("%s: foreign data in the answer: %s", label, r.Body)
							}
						}
						if r.Status >= 500 {
							t.Errorf("%s: %d %s", label, r.Status, r.Body)
							continue
						}
						expectStatus(t, label, want, who, r)
					}
				}
			}
			if checked < 400 {
				t.Errorf("only %d calls made", checked)
			}
			s.crossOrganization(t, tokens)
		})
	}
}

func expectStatus(t *testing.T, label string, want []string, who string, r response) {
	t.Helper()
	// A page sends whoever is not logged in to its login page: its 401.
	toLogin := r.Status == http.StatusSeeOther && strings.Contains(r.Header.Get("Location"), "/login")
	unauthorized := r.Status == http.StatusUnauthorized || toLogin
	denied := unauthorized || r.Status == http.StatusForbidden
	switch {
	case slices.Contains(want, installation):
		if r.Status != http.StatusUnauthorized {
			t.Errorf("%s: only a heartbeat token is accepted here (401): %d %s", label, r.Status, r.Body)
		}
	case slices.Contains(want, form):
		if r.Status == http.StatusForbidden {
			t.Errorf("%s: a form with its session's CSRF token refused: %d %s", label, r.Status, r.Body)
		}
	case slices.Contains(want, public):
		if r.Status == http.StatusForbidden && !strings.Contains(string(r.Body), "readonly") {
			t.Errorf("%s: public route refused: %d %s", label, r.Status, r.Body)
		}
	case slices.Contains(want, vendor):
		if (who == vendor) == denied {
			t.Errorf("%s: %d %s", label, r.Status, r.Body)
		}
		if who != vendor && !unauthorized {
			t.Errorf("%s: a city token in the vendor API must be unknown (401): %d", label, r.Status)
		}
	case who == "anonymous" || who == "foreign_admin" || who == vendor:
		if !unauthorized {
			t.Errorf("%s: want 401, got %d %s", label, r.Status, r.Body)
		}
	case slices.Contains(want, self) || slices.Contains(want, who):
		if denied {
			t.Errorf("%s: allowed principal refused: %d %s", label, r.Status, r.Body)
		}
	default:
		if r.Status != http.StatusForbidden {
			t.Errorf("%s: want 403, got %d %s", label, r.Status, r.Body)
		}
	}
}

// idFor picks the id a path parameter :id stands for.
func idFor(path string, f fixture) string {
	if strings.Contains(path, "/tokens/") {
		return f.tokenID
	}
	return f.userID
}

// matrixBody is a valid body for each route, so allowed callers get past
// validation; n keeps created names unique.
func matrixBody(route string, n int) any {
	switch {
	case strings.HasSuffix(route, "/auth/token") && strings.Contains(route, "/vendor/"):
		return map[string]string{"login": "vendor", "password": "demo"}
	case strings.HasSuffix(route, "/auth/token"):
		return map[string]string{"login": "analyst", "password": "demo"}
	case strings.HasSuffix(route, "/auth/register"):
		return map[string]string{"email": fmt.Sprintf("m%d@example.org", n), "password": "long enough"}
	case strings.HasSuffix(route, "/auth/invite"):
		return map[string]string{"token": "not-an-invite", "password": "long enough"}
	case strings.HasSuffix(route, "/auth/password"):
		return map[string]string{"current": "wrong", "new": "long enough"}
	case strings.HasPrefix(route, "POST") && strings.HasSuffix(route, "requests"):
		return map[string]any{"category": "lift", "building_id": 1, "description": "matrix",
			"applicant": map[string]string{"name": "Matrix", "phone": "+7 917 000-00-00"}}
	case strings.HasSuffix(route, "/settings/access") && strings.HasPrefix(route, "PUT"):
		return map[string]bool{"anonymous_submissions": true}
	case strings.HasPrefix(route, "POST") && strings.HasSuffix(route, "/users"):
		return map[string]string{"login": fmt.Sprintf("matrix%d", n), "role": "dispatcher"}
	case strings.HasPrefix(route, "PATCH"):
		return map[string]bool{"active": true}
	case strings.HasPrefix(route, "POST") && strings.HasSuffix(route, "/tokens"):
		return map[string]string{"name": "matrix", "role": "analyst"}
	case strings.HasSuffix(route, "/policies") && !strings.HasPrefix(route, "GET"):
		return map[string]string{"role": "matrix_role", "obj": "categories", "act": "read"}
	}
	return nil
}

// freshToken logs a principal in anew, for routes that end the session.
func (s *testServer) freshToken(t *testing.T, who string, tokens map[string]string) string {
	switch who {
	case "api_dispatcher":
		r := s.call("POST", "/t/kazan/api/v1/tokens", tokens["admin"], map[string]string{"name": "fresh", "role": "dispatcher"})
		return r.json(t)["token"].(string)
	case "manager":
		return s.loginPassword("kazan", "manager", "manager password")
	case "inspector":
		return s.loginPassword("kazan", "inspector", "inspector password")
	}
	return s.login("kazan", demoLogin(who))
}

func demoLogin(who string) string {
	if who == "admin" || who == "dispatcher" || who == "operator" || who == "analyst" || who == "citizen" {
		return who
	}
	return ""
}

func (s *testServer) loginPassword(city, login, password string) string {
	s.t.Helper()
	return s.api().LoginPassword(city, login, password)
}

// matrixSetup plants data in both cities and returns the principals' kazan
// tokens, kazan's ids and nizhnekamsk's ids (the foreign ones).
func (s *testServer) matrixSetup(t *testing.T) (map[string]string, fixture, fixture) {
	tokens := map[string]string{}
	for _, who := range everyone {
		if l := demoLogin(who); l != "" {
			tokens[who] = s.login("kazan", l)
		}
	}
	admin := tokens["admin"]
	own := s.cityFixture(t, "kazan", admin, "KZN-own")
	// An org_manager of the operator's organization, invited by the admin.
	orgID := s.UserOrg(t, "kazan", "operator")
	r := s.call("POST", "/t/kazan/api/v1/users", admin, map[string]any{"login": "manager", "role": "org_manager", "organization_id": orgID})
	if r.Status != http.StatusCreated {
		t.Fatalf("invite manager: %d %s", r.Status, r.Body)
	}
	invite := r.json(t)["invite_token"].(string)
	if r := s.call("POST", "/t/kazan/api/v1/auth/invite", "", map[string]string{"token": invite, "password": "manager password"}); r.Status != 200 {
		t.Fatalf("redeem invite: %d %s", r.Status, r.Body)
	}
	tokens["manager"] = s.loginPassword("kazan", "manager", "manager password")
	// A custom role, allowed only to read categories.
	r = s.call("POST", "/t/kazan/api/v1/users", admin, map[string]any{"login": "inspector", "role": "inspector"})
	if r.Status != http.StatusCreated {
		t.Fatalf("invite inspector: %d %s", r.Status, r.Body)
	}
	s.call("POST", "/t/kazan/api/v1/auth/invite", "", map[string]string{"token": r.json(t)["invite_token"].(string), "password": "inspector password"})
	if r := s.call("POST", "/t/kazan/api/v1/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != 201 {
		t.Fatalf("inspector policy: %d %s", r.Status, r.Body)
	}
	tokens["inspector"] = s.loginPassword("kazan", "inspector", "inspector password")
	r = s.call("POST", "/t/kazan/api/v1/tokens", admin, map[string]string{"name": "integration", "role": "dispatcher"})
	if r.Status != http.StatusCreated {
		t.Fatalf("API token: %d %s", r.Status, r.Body)
	}
	tokens["api_dispatcher"] = r.json(t)["token"].(string)

	nkmAdmin := s.login("nizhnekamsk", "admin")
	tokens["foreign_admin"] = nkmAdmin
	foreign := s.cityFixture(t, "nizhnekamsk", nkmAdmin, foreignSecret)
	if r := s.call("POST", "/t/nizhnekamsk/api/v1/policies", nkmAdmin, map[string]string{"role": "nkm_secret_role", "obj": "categories", "act": "read"}); r.Status != 201 {
		t.Fatalf("nkm policy: %d %s", r.Status, r.Body)
	}
	r = s.call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "demo"})
	if r.Status != http.StatusCreated {
		t.Fatalf("vendor login: %d %s", r.Status, r.Body)
	}
	tokens["vendor"] = r.json(t)["token"].(string)
	return tokens, own, foreign
}

// cityFixture creates a request, a user, an API token and an anonymous
// request marked with mark, and returns their ids.
func (s *testServer) cityFixture(t *testing.T, city, admin, mark string) fixture {
	var f fixture
	base := "/t/" + city + "/api/v1"
	f.number = s.submit(city, s.login(city, "citizen"), mark+"-request")
	r := s.call("POST", base+"/users", admin, map[string]string{"login": "fixture", "name": mark + "-user", "role": "analyst"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s user: %d %s", city, r.Status, r.Body)
	}
	f.userID = fmt.Sprint(r.json(t)["user"].(map[string]any)["id"])
	r = s.call("POST", base+"/tokens", admin, map[string]string{"name": mark + "-token", "role": "analyst"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s token: %d %s", city, r.Status, r.Body)
	}
	f.tokenID = fmt.Sprint(r.json(t)["id"])
	if r := s.call("PUT", base+"/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
		t.Fatalf("%s settings: %d %s", city, r.Status, r.Body)
	}
	r = s.call("POST", base+"/public/requests", "", map[string]any{"category": "lift", "building_id": 1,
		"description": mark + "-public", "applicant": map[string]string{"name": mark + "-applicant", "phone": "+7 917 000-00-01"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s public request: %d %s", city, r.Status, r.Body)
	}
	f.code = r.json(t)["tracking_code"].(string)
	return f
}

func (s *testServer) inCity(t *testing.T, city string, fn func(context.Context, bun.Tx) error) {
	t.Helper()
	s.InCity(t, city, fn)
}

// crossOrganization: a request assigned to another organization of the same
// city is invisible to the operator and the manager of the first one.
func (s *testServer) crossOrganization(t *testing.T, tokens map[string]string) {
	const secret = "OTHER-ORG-SECRET"
	number := s.submit("kazan", tokens["dispatcher"], secret)
	mine := s.UserOrg(t, "kazan", "operator")
	s.inCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE requests SET organization_id = (SELECT min(id) FROM organizations WHERE id <> ?) WHERE number = ?", mine, number).Exec(ctx)
		return err
	})
	for _, who := range []string{"operator", "manager"} {
		for _, p := range []string{"/t/kazan/api/v1/requests/" + number, "/t/kazan/api/v1/requests?limit=100"} {
			r := s.call("GET", p, tokens[who], nil)
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("%s of another organization read %s: %s", who, p, r.Body)
			}
			if strings.HasSuffix(p, number) && r.Status != http.StatusNotFound {
				t.Errorf("%s reading another organization's request: %d, want 404", who, r.Status)
			}
		}
	}
	if r := s.call("GET", "/t/kazan/api/v1/requests/"+number, tokens["dispatcher"], nil); r.Status != 200 {
		t.Errorf("dispatcher cannot read the request: %d", r.Status)
	}
}
