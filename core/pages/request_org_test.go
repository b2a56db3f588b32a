package pages_test

import (
	"html"
	"net/http"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A request's page names its organization and, for staff, the routing rule
// that chose it, in the page's language: never the organization's code.
func TestRequestPageNamesItsOrganization(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			base := s.URL()
			admin := s.Login("kazan", "admin")
			number := s.Submit("kazan", s.Login("kazan", "citizen"), "Лифт застрял между этажами")
			org := s.Call("GET", "/t/kazan/api/v1/requests/"+number, admin, nil).JSON(t)["organization"].(string)
			o := s.Call("GET", "/t/kazan/api/v1/organizations/"+org, admin, nil).JSON(t)
			for _, c := range []struct{ who, lang, name, rule string }{
				{"citizen", "ru", o["name_ru"].(string), ""},
				{"dispatcher", "ru", o["name_ru"].(string), "«Неисправности в доме: управляющая компания»"},
				{"dispatcher", "en", o["name_en"].(string), "«Faults inside a building: the management company»"},
			} {
				u := webtest.LogIn(t, base, "/t/kazan/login", c.who, c.who)
				status, _, body := u.Get(t, base, "/t/kazan/requests/"+number+"?lang="+c.lang)
				if status != http.StatusOK {
					t.Fatalf("%s: %d", c.who, status)
				}
				body = html.UnescapeString(body)
				if !strings.Contains(body, `<dd id="organization">`+c.name+`</dd>`) || c.rule != "" && !strings.Contains(body, `<span class="org">`+c.name+`</span>`) {
					t.Errorf("%s (%s) does not read the organization %q", c.who, c.lang, c.name)
				}
				if c.rule != "" && !strings.Contains(body, c.rule) {
					t.Errorf("%s (%s) does not read the rule %s", c.who, c.lang, c.rule)
				}
				if strings.Contains(body, ">"+org+"<") || strings.Contains(body, " "+org+" ") || strings.Contains(body, org+" [") {
					t.Errorf("%s (%s) reads the organization's code %s", c.who, c.lang, org)
				}
			}
		})
	}
}
