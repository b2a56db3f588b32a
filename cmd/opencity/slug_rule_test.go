package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// One slug rule for every way a city is made: `opencity tenant create`
// refuses the server's own top-level paths with the catalog message the
// signup (TestSignupAbuse) and the vendor console
// (TestSlugRuleVendorConsole) give.
func TestSlugRuleTenantCreate(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
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
