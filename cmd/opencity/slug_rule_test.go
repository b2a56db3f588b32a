package main

import (
	"bytes"
	"context"
	"html"
	"net/url"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// One slug rule for every way a city is made: the signup (tested in
// TestSignupAbuse), the vendor console and `opencity tenant create` refuse
// the server's own top-level paths and badly shaped slugs, with the same
// catalog messages.
func TestSlugRuleEverywhere(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := startServer(t, kind)
			var reserved []string
			for _, rt := range s.Handler.(*gin.Engine).Routes() {
				first, _, _ := strings.Cut(strings.TrimPrefix(rt.Path, "/"), "/")
				if core.ValidSlug(first) && !strings.Contains(strings.Join(reserved, " "), first) {
					reserved = append(reserved, first)
				}
			}
			if len(reserved) < 5 {
				t.Fatalf("reserved: %v", reserved)
			}
			vendor := logIn(t, s.URL(), "/admin/login", "vendor", "vendor")
			create := func(slug string) string {
				t.Helper()
				resp, err := vendor.Client.PostForm(s.URL()+"/admin/cities", url.Values{"slug": {slug}, "name": {"Город"},
					"locale": {"ru"}, "timezone": {"Europe/Moscow"}, "plan": {"trial"}, "csrf_token": {vendor.CSRF}})
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var b bytes.Buffer
				b.ReadFrom(resp.Body)
				if resp.StatusCode != 422 {
					t.Errorf("the console made a city %q: %d", slug, resp.StatusCode)
				}
				return html.UnescapeString(b.String())
			}
			says := func(body, code string) bool {
				return strings.Contains(body, i18n.Text("ru", code, nil)) || strings.Contains(body, i18n.Text("en", code, nil))
			}
			for _, slug := range reserved {
				if body := create(slug); !says(body, "error.slug_reserved") {
					t.Errorf("console, reserved %q: not the signup's message", slug)
				}
			}
			for _, slug := range []string{"ab--cd", "kazan-", "Kazan"} {
				if body := create(slug); !says(body, core.SlugRule) {
					t.Errorf("console, slug %q: not the signup's message", slug)
				}
			}

			db := tenanttest.New(t, kind)
			for _, slug := range []string{"healthz", "signup", "admin", "billing"} {
				var out bytes.Buffer
				err := run(context.Background(), []string{"tenant", "create", "--slug", slug, "--name", "Город"}, env(db), &out)
				if err == nil || !strings.Contains(err.Error(), i18n.Text("en", "error.slug_reserved", nil)) {
					t.Errorf("tenant create --slug %s: %v %s", slug, err, out.String())
				}
			}
		})
	}
}
