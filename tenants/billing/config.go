// Package billing sells OpenCity to new cities: plans, self-signup with a
// Stripe Checkout Session and an e-mail confirming the administrator's
// address, provisioning once the city is both confirmed and paid (the
// signed webhook says so), billing state from Stripe's events (past due,
// suspended after a grace period, resumed when paid) and usage reported as
// meter events. Without a Stripe key billing is off and a signup gets an
// active trial city as soon as it is confirmed.
package billing

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/opencity/opencity/core/mail"
)

// Plan is what a city pays for. Prices are in minor units of Currency
// (kopecks for roubles).
type Plan struct {
	Code              string `json:"code"`
	NameRU            string `json:"name_ru"`
	NameEN            string `json:"name_en"`
	Currency          string `json:"currency"`
	MonthlyPrice      int64  `json:"monthly_price"`
	IncludedRequests  int64  `json:"included_requests"`
	ExtraRequestPrice int64  `json:"extra_request_price"`
	// StripePriceID is the recurring monthly price of the subscription.
	StripePriceID string `json:"stripe_price_id"`
	// StripeUsagePriceID, when set, is the metered price fed by the meter
	// events (its tiers hold the included requests).
	StripeUsagePriceID string `json:"stripe_usage_price_id"`
}

// Name returns the plan's name in a language ("ru" or "en").
func (p Plan) Name(lang string) string {
	if lang == "en" {
		return p.NameEN
	}
	return p.NameRU
}

// TrialPlan is the plan of cities created while billing is off.
const TrialPlan = "trial"

//go:embed plans.json
var defaultPlans []byte

// Config is the billing configuration, read from the environment.
type Config struct {
	// SecretKey is Stripe's secret key; empty turns billing off.
	SecretKey string
	// WebhookSecret verifies the Stripe-Signature of webhooks (whsec_…).
	WebhookSecret string
	// APIURL overrides Stripe's API address (stripe-mock in tests).
	APIURL string
	// PublicURL is the server's address as browsers see it, for Stripe's
	// success and cancel redirects; empty: taken from each request.
	PublicURL string
	// MeterEvent is the event name of the usage meter.
	MeterEvent string
	// Grace is how long a city stays past due before it is suspended.
	Grace time.Duration
	// Every is how often the grace and usage jobs run.
	Every time.Duration
	// Plans on sale; the embedded list unless OPENCITY_PLANS_FILE names one.
	Plans []Plan
	// HTTPClient talks to Stripe; nil: a client with a 20 s timeout.
	HTTPClient *http.Client
	// Mail sends the confirmation e-mail of signups; nil refuses signups.
	Mail mail.Sender
	// ConfirmTTL is how long a signup waits for its administrator to
	// confirm the e-mail address before the city is removed.
	ConfirmTTL time.Duration
	// Err is a configuration problem found while reading the environment;
	// New refuses to start with it.
	Err error
}

// DefaultConfirmTTL is how long a signup waits for the administrator's
// confirmation unless OPENCITY_SIGNUP_CONFIRM_TTL says otherwise.
const DefaultConfirmTTL = 48 * time.Hour

// Enabled reports whether billing is on.
func (c Config) Enabled() bool { return c.SecretKey != "" }

// Plan returns the plan with the code.
func (c Config) Plan(code string) (Plan, bool) {
	for _, p := range c.Plans {
		if p.Code == code {
			return p, true
		}
	}
	return Plan{}, false
}

// ConfigFromEnv reads STRIPE_SECRET_KEY, STRIPE_WEBHOOK_SECRET,
// STRIPE_API_URL, STRIPE_METER_EVENT, OPENCITY_PUBLIC_URL,
// OPENCITY_BILLING_GRACE (a Go duration, default 168h),
// OPENCITY_SIGNUP_CONFIRM_TTL (a Go duration, default 48h) and
// OPENCITY_PLANS_FILE (a JSON list of plans).
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		SecretKey:     getenv("STRIPE_SECRET_KEY"),
		WebhookSecret: getenv("STRIPE_WEBHOOK_SECRET"),
		APIURL:        getenv("STRIPE_API_URL"),
		MeterEvent:    getenv("STRIPE_METER_EVENT"),
		PublicURL:     strings.TrimSuffix(getenv("OPENCITY_PUBLIC_URL"), "/"),
	}
	if v := getenv("OPENCITY_SIGNUP_CONFIRM_TTL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			c.Err = fmt.Errorf("OPENCITY_SIGNUP_CONFIRM_TTL %q: use a duration such as 48h", v)
		}
		c.ConfirmTTL = d
	}
	if g := getenv("OPENCITY_BILLING_GRACE"); g != "" {
		d, err := time.ParseDuration(g)
		if err != nil || d < 0 {
			c.Err = fmt.Errorf("OPENCITY_BILLING_GRACE %q: use a duration such as 168h", g)
		}
		c.Grace = d
	}
	raw := defaultPlans
	if f := getenv("OPENCITY_PLANS_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			c.Err = fmt.Errorf("OPENCITY_PLANS_FILE: %w", err)
		}
		raw = b
	}
	if c.Err == nil {
		c.Plans, c.Err = ParsePlans(raw)
	}
	return c
}

// ParsePlans reads and checks a JSON list of plans.
func ParsePlans(raw []byte) ([]Plan, error) {
	var ps []Plan
	if err := json.Unmarshal(raw, &ps); err != nil {
		return nil, fmt.Errorf("plans: %w", err)
	}
	if len(ps) == 0 {
		return nil, fmt.Errorf("plans: the list is empty")
	}
	seen := map[string]bool{}
	for _, p := range ps {
		switch {
		case p.Code == "" || p.Code == TrialPlan || seen[p.Code]:
			return nil, fmt.Errorf("plans: code %q is empty, reserved or repeated", p.Code)
		case p.NameRU == "" || p.NameEN == "":
			return nil, fmt.Errorf("plans: %s needs name_ru and name_en", p.Code)
		case !strings.HasPrefix(p.StripePriceID, "price_"):
			return nil, fmt.Errorf("plans: %s needs a stripe_price_id (price_…)", p.Code)
		case p.MonthlyPrice < 0 || p.IncludedRequests < 0 || p.ExtraRequestPrice < 0:
			return nil, fmt.Errorf("plans: %s has a negative number", p.Code)
		}
		seen[p.Code] = true
	}
	return ps, nil
}

// withDefaults fills what the environment left empty.
func (c Config) withDefaults() Config {
	if c.MeterEvent == "" {
		c.MeterEvent = "opencity_requests"
	}
	if c.Grace == 0 {
		c.Grace = 7 * 24 * time.Hour
	}
	if c.Every == 0 {
		c.Every = time.Hour
	}
	if c.ConfirmTTL == 0 {
		c.ConfirmTTL = DefaultConfirmTTL
	}
	if len(c.Plans) == 0 {
		c.Plans, _ = ParsePlans(defaultPlans)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 20 * time.Second}
	}
	return c
}
