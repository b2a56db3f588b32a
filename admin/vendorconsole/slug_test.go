package vendorconsole_test

import (
	"bytes"
	"html"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/web/webtest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// slugRefusal is a slug the console must refuse and the catalog code of
// the message it must give.
type slugRefusal struct{ slug, code string }

// One slug rule for every way a city is made: the vendor console refuses a
// city named like one of the server's own top-level paths, or with a badly
// shaped slug, with the catalog messages the signup (TestSignupAbuse) and
// `opencity tenant create` (TestSlugRuleTenantCreate) give.
func TestSlugRuleVendorConsole(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			var refusals []slugRefusal
			for _, rt := range s.Engine().Routes() {
				first, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/"), "/")
				if core.ValidSlug(first) && !slices.ContainsFunc(refusals, func(r slugRefusal) bool { return r.slug == first }) {
					refusals = append(refusals, slugRefusal{first, "error.slug_reserved"})
				}
			}
			if len(refusals) < 5 {
				t.Fatalf("reserved: %v", refusals)
			}
			for _, slug := range []string{"ab--cd", "kazan-", "Kazan"} {
				refusals = append(refusals, slugRefusal{slug, core.SlugRule})
			}

			vendor := webtest.LogIn(t, s.URL(), "/admin/login", "vendor", "vendor")
			for _, r := range refusals {
				resp, err := vendor.Client.PostForm(s.URL()+"/admin/cities", url.Values{"slug": {r.slug}, "name": {"Город"},
					"locale": {"ru"}, "timezone": {"Europe/Moscow"}, "plan": {"trial"}, "csrf_token": {vendor.CSRF}})
				if err != nil {
					t.Fatal(err)
				}
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 422 {
					t.Errorf("the console made a city %q: %d", r.slug, resp.StatusCode)
				}
				body := html.UnescapeString(b.String())
				if !strings.Contains(body, i18n.Text("ru", r.code, nil)) && !strings.Contains(body, i18n.Text("en", r.code, nil)) {
					t.Errorf("console, slug %q: not the signup's message (%s)", r.slug, r.code)
				}
			}
		})
	}
}
