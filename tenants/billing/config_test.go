package billing_test

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants/billing"
)

func TestConfigFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	c := billing.ConfigFromEnv(env(nil))
	if c.Err != nil || c.Enabled() || len(c.Plans) != 3 {
		t.Fatalf("defaults: %+v", c)
	}
	if p, ok := c.Plan("town"); !ok || p.StripePriceID != "price_opencity_town_monthly" || p.IncludedRequests != 3000 {
		t.Fatalf("town plan: %+v", p)
	}
	file := filepath.Join(t.TempDir(), "plans.json")
	os.WriteFile(file, []byte(`[{"code":"solo","name_ru":"Один","name_en":"Solo","currency":"eur","monthly_price":9900,
		"included_requests":100,"extra_request_price":10,"stripe_price_id":"price_solo"}]`), 0o600)
	c = billing.ConfigFromEnv(env(map[string]string{"OPENCITY_PLANS_FILE": file, "STRIPE_SECRET_KEY": "sk_test_1", "OPENCITY_BILLING_GRACE": "72h"}))
	if c.Err != nil || !c.Enabled() || len(c.Plans) != 1 || c.Plans[0].Code != "solo" || c.Grace != 72*time.Hour {
		t.Fatalf("from a file: %+v", c)
	}
	for name, bad := range map[string]map[string]string{
		"grace":     {"OPENCITY_BILLING_GRACE": "a week"},
		"no file":   {"OPENCITY_PLANS_FILE": filepath.Join(t.TempDir(), "missing.json")},
		"no price":  {"OPENCITY_PLANS_FILE": writeFile(t, `[{"code":"x","name_ru":"x","name_en":"x"}]`)},
		"reserved":  {"OPENCITY_PLANS_FILE": writeFile(t, `[{"code":"trial","name_ru":"x","name_en":"x","stripe_price_id":"price_x"}]`)},
		"not json":  {"OPENCITY_PLANS_FILE": writeFile(t, `plans: yes`)},
		"empty set": {"OPENCITY_PLANS_FILE": writeFile(t, `[]`)},
	} {
		c := billing.ConfigFromEnv(env(bad))
		if c.Err == nil {
			t.Errorf("%s: accepted", name)
		}
		if _, err := billing.New(nil, c); err == nil {
			t.Errorf("%s: New started with a bad configuration", name)
		}
	}
}

func writeFile(t *testing.T, content string) string {
	f := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(f, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func TestSetPasswordLinkExpires(t *testing.T) {
	f := newFixture(t, "sqlite")
	s := f.signup("tula")
	f.mustSend("checkout.session.completed", 0, completed("tula", f.customer("tula")))
	f.want("tula", "active")
	f.now = f.now.Add(billing.SetPasswordTTL + time.Minute)
	if err := f.redeem("tula", s.SetPasswordToken, "correct horse"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("expired link: %v", err)
	}
	// A link of one city does not work in another.
	f.now = time.Now().UTC()
	f.signup("orel")
	f.mustSend("checkout.session.completed", 0, completed("orel", f.customer("orel")))
	if err := f.redeem("orel", s.SetPasswordToken, "correct horse"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("tula's link in orel: %v", err)
	}
}
