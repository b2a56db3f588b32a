package billing

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/opencity/opencity/tenants"
	stripe "github.com/stripe/stripe-go/v76"
)

// Period is a billing period: a calendar month in UTC.
type Period struct{ Start, End time.Time }

// PeriodOf returns the billing period that holds t.
func PeriodOf(t time.Time) Period {
	t = t.UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	return Period{Start: start, End: start.AddDate(0, 1, 0)}
}

// Key names the period in ledgers and meter-event identifiers ("202611").
func (p Period) Key() string { return p.Start.Format("200601") }

// UsageReport is one line of the usage ledger: Quantity requests reported to
// Stripe under Identifier.
type UsageReport struct {
	TenantSlug string     `bun:"tenant_slug"`
	Period     string     `bun:"period"`
	Seq        int        `bun:"seq"`
	Quantity   int64      `bun:"quantity"`
	Identifier string     `bun:"identifier"`
	CreatedAt  time.Time  `bun:"created_at"`
	ReportedAt *time.Time `bun:"reported_at"`
}

// UsageLedger returns a city's reports of a period, oldest first.
func (s *Service) UsageLedger(ctx context.Context, slug, period string) ([]UsageReport, error) {
	var out []UsageReport
	err := s.b.DB().NewSelect().TableExpr("? AS u", s.table("usage_reports")).Column("u.*").
		Where("u.tenant_slug = ? AND u.period = ?", slug, period).Order("u.seq").Scan(ctx, &out)
	return out, err
}

// CountRequests counts the requests a city received in a period, asking the
// city's own store.
func (s *Service) CountRequests(ctx context.Context, slug string, p Period) (int64, error) {
	st, err := s.b.Store(slug)
	if err != nil {
		return 0, err
	}
	return st.CountCreated(ctx, p.Start, p.End)
}

// ReportUsage reports every billed city's new requests of the current and
// the previous period to Stripe. It is the periodic billing.usage job.
func (s *Service) ReportUsage(ctx context.Context) error {
	if !s.Enabled() {
		return nil
	}
	ts, err := s.b.Registry().List(ctx)
	if err != nil {
		return err
	}
	now := s.now()
	periods := []Period{PeriodOf(now.AddDate(0, -1, 0)), PeriodOf(now)}
	var errs []error
	for _, t := range ts {
		if t.StripeCustomerID == "" || !t.Serving() {
			continue
		}
		for _, p := range periods {
			if p.End.Before(t.CreatedAt) {
				continue
			}
			if _, err := s.ReportCityUsage(ctx, &t, p); err != nil {
				errs = append(errs, fmt.Errorf("usage of %s: %w", t.Slug, err))
			}
		}
	}
	return errors.Join(errs...)
}

// ReportCityUsage reports a city's requests of a period not reported yet
// and returns how many it reported. The ledger line is written before the
// Stripe call and its identifier "<slug>-<period>-<seq>" is deterministic, so
// a retry after a crash re-sends the same meter event, which Stripe drops as
// a duplicate: each request is counted exactly once.
func (s *Service) ReportCityUsage(ctx context.Context, t *tenants.Tenant, p Period) (int64, error) {
	// First finish a line a previous run wrote but could not send.
	ledger, err := s.UsageLedger(ctx, t.Slug, p.Key())
	if err != nil {
		return 0, err
	}
	var reported int64
	for _, u := range ledger {
		if u.ReportedAt == nil {
			if err := s.sendUsage(ctx, t, p, u); err != nil {
				return 0, err
			}
		}
		reported += u.Quantity
	}
	total, err := s.CountRequests(ctx, t.Slug, p)
	if err != nil {
		return 0, err
	}
	if total <= reported {
		return 0, nil
	}
	u := UsageReport{TenantSlug: t.Slug, Period: p.Key(), Seq: len(ledger) + 1, Quantity: total - reported, CreatedAt: s.now()}
	u.Identifier = t.Slug + "-" + u.Period + "-" + strconv.Itoa(u.Seq)
	if _, err := s.b.DB().NewRaw("INSERT INTO ? (tenant_slug, period, seq, quantity, identifier, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		s.table("usage_reports"), u.TenantSlug, u.Period, u.Seq, u.Quantity, u.Identifier, u.CreatedAt).Exec(ctx); err != nil {
		return 0, err // a concurrent run took this seq; the next run continues
	}
	return u.Quantity, s.sendUsage(ctx, t, p, u)
}

func (s *Service) sendUsage(ctx context.Context, t *tenants.Tenant, p Period, u UsageReport) error {
	ts := s.now()
	if !ts.Before(p.End) {
		ts = p.End.Add(-time.Second) // usage of a closed period stays in it
	}
	params := &stripe.BillingMeterEventParams{
		EventName:  stripe.String(s.cfg.MeterEvent),
		Identifier: stripe.String(u.Identifier),
		Payload:    map[string]string{"stripe_customer_id": t.StripeCustomerID, "value": strconv.FormatInt(u.Quantity, 10)},
		Timestamp:  stripe.Int64(ts.Unix()),
	}
	params.Context = ctx
	if _, err := s.stripe.BillingMeterEvents.New(params); err != nil {
		return fmt.Errorf("meter event %s: %w", u.Identifier, err)
	}
	_, err := s.b.DB().NewRaw("UPDATE ? SET reported_at = ? WHERE identifier = ?", s.table("usage_reports"), s.now(), u.Identifier).Exec(ctx)
	if err == nil {
		slog.InfoContext(ctx, "usage reported", "city", t.Slug, "period", u.Period, "seq", u.Seq, "requests", u.Quantity)
	}
	return err
}
