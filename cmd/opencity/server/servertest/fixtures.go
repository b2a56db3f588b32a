package servertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/bench"
	"github.com/uptrace/bun"
)

// CityStatus is the city's status in the control plane's registry
// (tenants.StatusActive, StatusSuspended …).
func (s *Server) CityStatus(t testing.TB, slug string) string {
	t.Helper()
	tn, err := s.Backend.Registry().Get(context.Background(), slug)
	if err != nil {
		t.Fatal(err)
	}
	return tn.Status
}

// UserOrg is the organization id of a city's user, read from its storage
// (0 for a user without one).
func (s *Server) UserOrg(t testing.TB, city, login string) int64 {
	t.Helper()
	var id int64
	s.InCity(t, city, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw("SELECT organization_id FROM users WHERE login = ?", login).Scan(ctx, &id)
	})
	return id
}

// InviteManager has kazan's admin (its token) invite an organization
// manager "manager" of the demo operator's company, redeems the invitation
// and returns the manager's token.
func (s *Server) InviteManager(t testing.TB, admin string) string {
	t.Helper()
	c := s.Client.WithT(t)
	orgID := s.UserOrg(t, "kazan", "operator")
	r := c.Call("POST", "/t/kazan/api/v1/users", admin, map[string]any{"login": "manager", "role": "org_manager", "organization_id": orgID})
	if r.Status != http.StatusCreated {
		t.Fatalf("invite manager: %d %s", r.Status, r.Body)
	}
	invite := r.JSON(t)["invite_token"].(string)
	if r := c.Call("POST", "/t/kazan/api/v1/auth/invite", "", map[string]string{"token": invite, "password": "manager password"}); r.Status != http.StatusOK {
		t.Fatalf("redeem invite: %d %s", r.Status, r.Body)
	}
	return c.LoginPassword("kazan", "manager", "manager password")
}

// PeakCity provisions a city with the bench directory (every account's
// password "demo"), a year of history and thousands of requests waiting
// at the desk, written through the store (not HTTP) with their deadlines
// computed; the escalation has flagged the overdue ones. It returns the
// number of waiting requests.
func (s *Server) PeakCity(t testing.TB, slug string, waiting int) int {
	t.Helper()
	ctx := context.Background()
	loc, err := bench.PrepareCity(ctx, s.Backend, slug, 40, "demo")
	if err != nil {
		t.Fatalf("peak city: prepare: %v", err)
	}
	// Suspended while it is filled, so that the server's sweep leaves its
	// rows alone until they are ready.
	if _, err := s.Backend.Registry().SetStatus(ctx, "test", slug, tenants.StatusSuspended); err != nil {
		t.Fatalf("peak city: suspend: %v", err)
	}
	now := time.Now().In(loc)
	end := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	h := bench.History{Requests: 2 * waiting, Years: 1, End: end, Seed: 14, Buildings: 40}
	if _, err := bench.Fill(ctx, s.Backend, slug, h, nil); err != nil {
		t.Fatalf("peak city: fill: %v", err)
	}
	scope, err := s.Backend.Scope(slug)
	if err != nil {
		t.Fatalf("peak city: scope: %v", err)
	}
	if _, err := bench.MakeWaiting(ctx, scope, waiting); err != nil {
		t.Fatalf("peak city: make waiting: %v", err)
	}
	st := store.New(scope)
	// The deadlines of the generated history are computed here (a sweep
	// that began before the suspension may still be at it) until none is
	// left, so that no row moves while a test walks the pages.
	for {
		if _, err := st.Backfill(ctx, loc, 1000); err != nil {
			t.Fatalf("peak city: backfill: %v", err)
		}
		var left int
		s.InCity(t, slug, func(ctx context.Context, tx bun.Tx) error {
			return tx.NewRaw("SELECT count(*) FROM requests WHERE cycle_started_at IS NULL").Scan(ctx, &left)
		})
		if left == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for range 4 {
		if _, err := st.Escalate(ctx, time.Now()); err != nil {
			t.Fatalf("peak city: escalate: %v", err)
		}
	}
	if _, err := s.Backend.Registry().SetStatus(ctx, "test", slug, tenants.StatusActive); err != nil {
		t.Fatalf("peak city: activate: %v", err)
	}
	counts, err := st.DeskCounts(ctx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, core.DeskFilter{}, time.Now())
	if err != nil {
		t.Fatalf("peak city: desk counts: %v", err)
	}
	return counts[core.QueueAll]
}

// OverdueOne is an overdue request of the city with its category and
// district codes, read straight from its storage.
func (s *Server) OverdueOne(t testing.TB, slug string) (number, category, district string) {
	t.Helper()
	s.InCity(t, slug, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewRaw(`SELECT r.number, c.code, d.code FROM requests AS r JOIN categories AS c ON c.id = r.category_id
			JOIN districts AS d ON d.id = r.district_id WHERE r.status = 'in_progress' AND r.resolution_due_at < ?
			ORDER BY r.id LIMIT 1`, time.Now().UTC()).Scan(ctx, &number, &category, &district)
	})
	return number, category, district
}
