package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
)

// JobImport is the per-city job that pulls the import connectors whose
// scheduled pull is due (core.Imports.RunDue).
const JobImport = "city.import"

// registerImports makes the queue look for due import connectors in every
// active city once per tenants.SweepEvery; the unique key of each city and
// slot means that with several server processes each slot runs once, and
// each connector's lease that two runs never read one feed at once.
func (s *Server) registerImports(api *httpapi.API) {
	q := s.Backend.Jobs
	q.Handle(JobImport, func(ctx context.Context, j *jobs.Job) error {
		city, err := s.Cities.BySlug(ctx, j.Tenant)
		if err != nil {
			return err
		}
		if city.ReadOnly {
			return nil // a suspended city takes no new requests
		}
		runs, err := api.Services().Imports(city).RunDue(ctx)
		for _, r := range runs {
			if r.Error != "" {
				slog.WarnContext(ctx, "import feed failed", "city", j.Tenant, "connector", r.ConnectorID, "err", r.Error)
			}
		}
		return err
	})
	q.Every(jobs.Periodic{Every: tenants.SweepEvery, Enqueue: func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
		ts, err := s.Backend.Registry().List(ctx)
		if err != nil {
			return err
		}
		for _, t := range ts {
			if !t.Working() {
				continue
			}
			key := fmt.Sprintf("%s:%s:%s", JobImport, t.Slug, slot.Format(time.RFC3339))
			if _, _, err := q.Enqueue(ctx, nil, jobs.NewJob{Kind: JobImport, Tenant: t.Slug, UniqueKey: key, Attempts: 3}); err != nil {
				return err
			}
		}
		return nil
	}})
}
