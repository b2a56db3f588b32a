package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The secrets planted in nizhnekamsk: no answer of kazan may carry them.
const foreignSecret = "NKM-SECRET"

var foreignMarkers = [][]byte{[]byte(foreignSecret), []byte("nkm_secret")}

// fixture holds the ids of one city that the matrix puts into paths.
type fixture struct {
	number, userID, tokenID, code string
}

// Every route × every principal × own city and another city's ids and
// tokens: exactly the expected allow or deny (servertest.RouteAccess), and
// no foreign byte.
func TestAccessMatrix(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			// Every principal logs in anew for each route that ends its
			// session: far more than a person does in a minute.
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.RateLimits.Login = ratelimit.Rule{Requests: 10000, Window: time.Minute}
			})
			// A client that does not follow redirects, to see pages' 303s.
			c := s.Client.WithT(t)
			c.HTTP = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			routes := s.Engine().Routes()
			keys := map[string]bool{}
			for _, r := range routes {
				k := servertest.RouteKey(r.Method, r.Path)
				keys[k] = true
				if _, ok := servertest.RouteAccess[k]; !ok {
					t.Errorf("route %s %s has no entry in servertest.RouteAccess: say who may use it", r.Method, r.Path)
				}
			}
			for k := range servertest.RouteAccess {
				if !keys[k] {
					t.Errorf("servertest.RouteAccess has %s, which is no route any more", k)
				}
			}

			tokens, own, foreign := matrixSetup(t, s, c)
			sort.Slice(routes, func(i, j int) bool { // logout last: it ends sessions
				return !strings.HasSuffix(routes[i].Path, "/logout") && strings.HasSuffix(routes[j].Path, "/logout")
			})
			checked := 0
			pageSessions := map[string][2]string{} // per surface: cookie and CSRF token
			for _, rt := range routes {
				if !strings.HasPrefix(rt.Path, "/t/:slug") && strings.HasPrefix(rt.Path, "/api/v1") && !strings.HasPrefix(rt.Path, "/api/v1/vendor") {
					continue // the host-resolved twin of a /t/:slug route, same handlers
				}
				want := servertest.RouteAccess[servertest.RouteKey(rt.Method, rt.Path)]
				for _, who := range servertest.AccessPrincipals {
					for _, ids := range []struct {
						name string
						f    fixture
					}{{"own ids", own}, {"foreign ids", foreign}} {
						tok := tokens[who]
						if want.Kind == servertest.Self && who != servertest.Anonymous && who != servertest.ForeignAdmin && who != servertest.Vendor {
							tok = freshToken(c, who, tokens)
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
								ck, csrf := c.PageSession(path)
								pageSessions[surface] = [2]string{ck.Name + "=" + ck.Value, csrf}
							}
							hdr = []string{"Cookie", pageSessions[surface][0], "X-CSRF-Token", pageSessions[surface][1]}
						}
						if page && ids.name == "own ids" {
							r := c.Call(rt.Method, path, tok, matrixBody(rt.Method+" "+rt.Path, checked))
							// Sent elsewhere before the form is read: to the login
							// page, or a logged-in user from the anonymous report
							// to the portal's own form.
							loc := r.Header.Get("Location")
							away := r.Status == http.StatusSeeOther && (strings.Contains(loc, "/login") || strings.HasSuffix(loc, "/new"))
							if r.Status != http.StatusForbidden && r.Status != http.StatusTooManyRequests && !away {
								t.Errorf("%s %s as %s without the CSRF token: %d, want it refused", rt.Method, path, who, r.Status)
							}
						}
						r := c.Call(rt.Method, path, tok, matrixBody(rt.Method+" "+rt.Path, checked), hdr...)
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
						if v := want.Verdict(who, r); v != "" {
							t.Errorf("%s: %s: %d %s", label, v, r.Status, r.Body)
						}
					}
				}
			}
			if checked < 400 {
				t.Errorf("only %d calls made", checked)
			}
			t.Logf("%d routes, %d calls", len(routes), checked)
			crossOrganization(t, s, c, tokens)
		})
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

// freshToken logs a city's principal in anew, for routes that end the session.
func freshToken(c *apitest.Client, who string, tokens map[string]string) string {
	switch who {
	case "api_dispatcher":
		r := c.Call("POST", "/t/kazan/api/v1/tokens", tokens["admin"], map[string]string{"name": "fresh", "role": "dispatcher"})
		return r.JSON(c.T)["token"].(string)
	case "manager":
		return c.LoginPassword("kazan", "manager", "manager password")
	case "inspector":
		return c.LoginPassword("kazan", "inspector", "inspector password")
	}
	return c.Login("kazan", who)
}

// matrixSetup plants data in both cities and returns the tokens of
// servertest.AccessPrincipals (kazan's, but for another city's admin and
// the vendor; none for the anonymous), kazan's ids and nizhnekamsk's ids
// (the foreign ones).
func matrixSetup(t *testing.T, s *servertest.Server, c *apitest.Client) (map[string]string, fixture, fixture) {
	tokens := map[string]string{}
	for _, who := range []string{"admin", "dispatcher", "operator", "analyst", "citizen"} { // the demo accounts
		tokens[who] = c.Login("kazan", who)
	}
	admin := tokens["admin"]
	own := cityFixture(t, c, "kazan", admin, "KZN-own")
	// An org_manager of the operator's organization, invited by the admin.
	tokens["manager"] = s.InviteManager(t, admin)
	// A custom role, allowed only to read categories.
	c.Invite("kazan", "inspector", "inspector password", map[string]any{"role": "inspector"})
	if r := c.Call("POST", "/t/kazan/api/v1/policies", admin, map[string]string{"role": "inspector", "obj": "categories", "act": "read"}); r.Status != http.StatusCreated {
		t.Fatalf("inspector policy: %d %s", r.Status, r.Body)
	}
	tokens["inspector"] = c.LoginPassword("kazan", "inspector", "inspector password")
	r := c.Call("POST", "/t/kazan/api/v1/tokens", admin, map[string]string{"name": "integration", "role": "dispatcher"})
	if r.Status != http.StatusCreated {
		t.Fatalf("API token: %d %s", r.Status, r.Body)
	}
	tokens["api_dispatcher"] = r.JSON(t)["token"].(string)

	nkmAdmin := c.Login("nizhnekamsk", "admin")
	tokens[servertest.ForeignAdmin] = nkmAdmin
	foreign := cityFixture(t, c, "nizhnekamsk", nkmAdmin, foreignSecret)
	if r := c.Call("POST", "/t/nizhnekamsk/api/v1/policies", nkmAdmin, map[string]string{"role": "nkm_secret_role", "obj": "categories", "act": "read"}); r.Status != http.StatusCreated {
		t.Fatalf("nkm policy: %d %s", r.Status, r.Body)
	}
	tokens[servertest.Vendor] = c.Token(apitest.Vendor)
	return tokens, own, foreign
}

// cityFixture creates a request, a user, an API token and an anonymous
// request marked with mark, and returns their ids.
func cityFixture(t *testing.T, c *apitest.Client, city, admin, mark string) fixture {
	var f fixture
	base := "/t/" + city + "/api/v1"
	f.number = c.Submit(city, c.Login(city, "citizen"), mark+"-request")
	r := c.Call("POST", base+"/users", admin, map[string]string{"login": "fixture", "name": mark + "-user", "role": "analyst"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s user: %d %s", city, r.Status, r.Body)
	}
	f.userID = fmt.Sprint(r.JSON(t)["user"].(map[string]any)["id"])
	r = c.Call("POST", base+"/tokens", admin, map[string]string{"name": mark + "-token", "role": "analyst"})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s token: %d %s", city, r.Status, r.Body)
	}
	f.tokenID = fmt.Sprint(r.JSON(t)["id"])
	if r := c.Call("PUT", base+"/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != http.StatusOK {
		t.Fatalf("%s settings: %d %s", city, r.Status, r.Body)
	}
	r = c.Call("POST", base+"/public/requests", "", map[string]any{"category": "lift", "building_id": 1,
		"description": mark + "-public", "applicant": map[string]string{"name": mark + "-applicant", "phone": "+7 917 000-00-01"}})
	if r.Status != http.StatusCreated {
		t.Fatalf("%s public request: %d %s", city, r.Status, r.Body)
	}
	f.code = r.JSON(t)["tracking_code"].(string)
	return f
}

// crossOrganization: a request assigned to another organization of the same
// city is invisible to the operator and the manager of the first one.
func crossOrganization(t *testing.T, s *servertest.Server, c *apitest.Client, tokens map[string]string) {
	const secret = "OTHER-ORG-SECRET"
	number := c.Submit("kazan", tokens["dispatcher"], secret)
	mine := s.UserOrg(t, "kazan", "operator")
	s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw("UPDATE requests SET organization_id = (SELECT min(id) FROM organizations WHERE id <> ?) WHERE number = ?", mine, number).Exec(ctx)
		return err
	})
	for _, who := range []string{"operator", "manager"} {
		for _, p := range []string{"/t/kazan/api/v1/requests/" + number, "/t/kazan/api/v1/requests?limit=100"} {
			r := c.Call("GET", p, tokens[who], nil)
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("%s of another organization read %s: %s", who, p, r.Body)
			}
			if strings.HasSuffix(p, number) && r.Status != http.StatusNotFound {
				t.Errorf("%s reading another organization's request: %d, want 404", who, r.Status)
			}
		}
	}
	if r := c.Call("GET", "/t/kazan/api/v1/requests/"+number, tokens["dispatcher"], nil); r.Status != http.StatusOK {
		t.Errorf("dispatcher cannot read the request: %d", r.Status)
	}
}
