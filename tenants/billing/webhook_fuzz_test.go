package billing_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
	"github.com/opencity/opencity/tenants/demo"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/stripe/stripe-go/v76/webhook"
)

// fuzzBilling is a billing service with the demo cities and the webhook
// secret, without a Stripe API: webhooks need only the secret.
type fuzzBilling struct {
	kind string
	b    *tenants.Backend
	svc  *billing.Service
}

func newFuzzBilling(f *testing.F) []fuzzBilling {
	f.Helper()
	var out []fuzzBilling
	for _, kind := range tenanttest.Kinds {
		b := tenanttest.Open(f, kind)
		if err := demo.Seed(context.Background(), b); err != nil {
			f.Fatal(err)
		}
		cfg := billing.ConfigFromEnv(func(string) string { return "" })
		cfg.WebhookSecret = secret
		svc, err := billing.New(b, cfg)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, fuzzBilling{kind, b, svc})
	}
	return out
}

var knownStatuses = []string{tenants.StatusPending, tenants.StatusProvisioning, tenants.StatusActive,
	tenants.StatusPastDue, tenants.StatusSuspended, tenants.StatusDeleted}

// FuzzWebhook delivers any correctly signed payload as a Stripe webhook, on
// both backends: the handler never panics and never fails inside (an
// internal error makes Stripe retry the event for days); a payload that is
// no event is refused as such; and every city stays in a known status.
// Events name the demo cities by client reference, metadata or customer.
func FuzzWebhook(f *testing.F) {
	for _, seed := range []string{
		`{"id":"evt_1","object":"event","type":"checkout.session.completed","created":1767225600,"data":{"object":{"object":"checkout.session","client_reference_id":"kazan","customer":"cus_1","subscription":"sub_1","payment_status":"paid"}}}`,
		`{"id":"evt_2","object":"event","type":"invoice.payment_failed","created":1767225601,"data":{"object":{"object":"invoice","customer":"cus_1"}}}`,
		`{"id":"evt_3","object":"event","type":"customer.subscription.updated","created":1767225602,"data":{"object":{"object":"subscription","customer":"cus_1","status":"past_due","metadata":{"tenant_slug":"nizhnekamsk"}}}}`,
		`{"id":"evt_4","object":"event","type":"customer.subscription.deleted","created":-62135596800,"data":{"object":{"customer":"cus_1"}}}`,
		`{"id":"evt_5","object":"event","type":"invoice.paid","created":9223372036854775807,"data":{"object":{"customer":{"id":"cus_1"}}}}`,
		`{"id":"evt_6","object":"event","type":"invoice.paid","created":253402300800,"data":{"object":{"metadata":{"tenant_slug":"nizhny-novgorod"}}}}`,
		`{"id":"evt_7","object":"event","type":"customer.subscription.created","created":1,"data":{"object":{"client_reference_id":"../kazan","status":"` + "\u0000" + `"}}}`,
		`{"id":"evt_8","object":"event","type":"checkout.session.completed","data":{"object":[]}}`,
		`{"id":"","object":"event","type":"invoice.paid","data":{"object":{}}}`,
		`{"id":"evt_9","object":"event","type":"invoice.paid"}`,
		`[]`,
		`not json`,
	} {
		f.Add([]byte(seed))
	}
	envs := newFuzzBilling(f)
	f.Fuzz(func(t *testing.T, payload []byte) {
		signed := webhook.GenerateTestSignedPayload(&webhook.UnsignedPayload{Payload: payload, Secret: secret, Timestamp: time.Now()})
		for _, e := range envs {
			out, err := e.svc.HandleWebhook(context.Background(), signed.Payload, signed.Header)
			switch {
			case errors.Is(err, billing.ErrBadSignature):
			case err != nil && core.ErrorCode(err) == core.EINTERNAL:
				t.Fatalf("%s: %q: internal error %v", e.kind, payload, err)
			case err == nil && out == nil:
				t.Fatalf("%s: %q: no outcome", e.kind, payload)
			}
			ts, err := e.b.Registry().List(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for _, tn := range ts {
				if !slices.Contains(knownStatuses, tn.Status) {
					t.Fatalf("%s: %q leaves %s in status %q", e.kind, payload, tn.Slug, tn.Status)
				}
			}
		}
	})
}
