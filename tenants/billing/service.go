package billing

import (
	"context"
	"log/slog"
	"time"

	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	stripe "github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
	"github.com/uptrace/bun"
)

// Job kinds of the billing service.
const (
	JobProvision = "billing.provision"
	JobGrace     = "billing.grace"
	JobUsage     = "billing.usage"
	// JobExpire removes a signup whose administrator did not confirm the
	// e-mail address in time.
	JobExpire = "billing.expire"
)

// Backend is what billing needs from the control plane: its database and
// job queue (billing keeps its own tables there), the registry,
// provisioning, the cities' stores and the reserved names.
type Backend interface {
	tenants.ControlPlane
	tenants.Registrar
	tenants.Provisioner
	tenants.CityStorage
	SlugReserved(slug string) bool
}

// Service is the billing side of the control plane.
type Service struct {
	b      Backend
	cfg    Config
	stripe *client.API // nil when billing is off
	// Changed is called after a city's status changed (the resolver's cache
	// is dropped with it).
	Changed func()
	Now     func() time.Time
}

// New checks the configuration, registers the billing jobs on b's queue and
// returns the service.
func New(b Backend, cfg Config) (*Service, error) {
	if cfg.Err != nil {
		return nil, cfg.Err
	}
	cfg = cfg.withDefaults()
	s := &Service{b: b, cfg: cfg, Changed: func() {}, Now: time.Now}
	if cfg.Enabled() {
		bc := &stripe.BackendConfig{HTTPClient: cfg.HTTPClient, MaxNetworkRetries: stripe.Int64(2),
			LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelWarn}}
		if cfg.APIURL != "" {
			bc.URL = stripe.String(cfg.APIURL)
		}
		s.stripe = client.New(cfg.SecretKey, &stripe.Backends{
			API: stripe.GetBackendWithConfig(stripe.APIBackend, bc), Connect: stripe.GetBackendWithConfig(stripe.ConnectBackend, bc),
			Uploads: stripe.GetBackendWithConfig(stripe.UploadsBackend, bc)})
	}
	b.Queue().Handle(JobProvision, s.runProvision)
	b.Queue().Handle(JobExpire, s.expire)
	b.Queue().Handle(JobGrace, func(ctx context.Context, _ *jobs.Job) error { return s.CheckGrace(ctx) })
	b.Queue().Handle(JobUsage, func(ctx context.Context, _ *jobs.Job) error { return s.ReportUsage(ctx) })
	b.Queue().Every(jobs.Periodic{Every: cfg.Every, Enqueue: func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
		key := slot.UTC().Format(time.RFC3339)
		if _, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobGrace, UniqueKey: JobGrace + ":" + key}); err != nil {
			return err
		}
		if !cfg.Enabled() {
			return nil
		}
		_, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobUsage, UniqueKey: JobUsage + ":" + key})
		return err
	}})
	slog.Info("billing", "enabled", cfg.Enabled(), "plans", len(cfg.Plans), "grace", cfg.Grace)
	return s, nil
}

// Config returns the effective configuration.
func (s *Service) Config() Config { return s.cfg }

// Enabled reports whether billing is on.
func (s *Service) Enabled() bool { return s.stripe != nil }

func (s *Service) table(name string) bun.Ident { return s.b.ControlTable(name) }

func (s *Service) now() time.Time { return s.Now().UTC() }
