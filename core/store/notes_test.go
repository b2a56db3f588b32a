package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// History events written before notes existed carried the system's English
// words in comment; the event_notes migration turns the known ones into
// catalog messages, so they read in the reader's language, and keeps the
// person's own words as the comment.
func TestEventNotesMigration(t *testing.T) {
	notes := migrationNamed(t, "event_notes")
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := provisionCity(t, kind, "notes")
			st, scope, reqs := c.Store, c.Scope, c.Requests
			citizen := core.Actor{UserID: 1, Role: core.RoleCitizen}
			var u struct{ ID int64 }
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT id FROM users WHERE role = 'citizen' ORDER BY id LIMIT 1").Scan(ctx, &u.ID)
			}); err == nil && u.ID != 0 {
				citizen.UserID = u.ID
			}
			r, _, err := reqs.Submit(ctx, citizen, core.NewRequest{Category: "lift", Address: "ул. Баумана, 1", Description: "Лифт стоит",
				Applicant: core.Applicant{Phone: "+79171234567"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			legacy := []struct{ kind, comment, note, text, left string }{
				{"escalated", "reaction time exceeded: not accepted in time", "event.reaction_late", "истекло время реакции: не принято вовремя", ""},
				{"rated", "4/5 Быстро починили", "event.rated", "4 из 5", "Быстро починили"},
				{"duplicate", "duplicate of 2026-000123. Та же поломка", "event.duplicate_of", "дубликат обращения 2026-000123", "Та же поломка"},
				{"close", "closed automatically: no confirmation within 3 days", "event.auto_closed", "закрыто автоматически: нет подтверждения в течение 3 дней", ""},
				{"triage", "no routing configured: the dispatcher decides [none]", "event.route", "маршрутизация не настроена: решает диспетчер [без маршрутизации]", ""},
				{"triage", `routing failed: plugin "x" said "no" [fallback]`, "event.route", `маршрутизация не удалась: plugin "x" said "no" [запасной путь]`, ""},
				{"assign", "rule 2 «Лифты»: fixed organization lift-service [rules]", "event.text", "rule 2 «Лифты»: fixed organization lift-service [rules]", ""},
				{"comment", "Жилец просит позвонить", "", "", "Жилец просит позвонить"},
			}
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "DELETE FROM request_events WHERE request_id = ?", r.ID); err != nil {
					return err
				}
				for _, l := range legacy {
					actor := any(nil)
					if l.kind == "comment" {
						actor = citizen.UserID
					}
					if _, err := tx.ExecContext(ctx, "INSERT INTO request_events (request_id, actor_id, kind, comment, note, public, created_at) VALUES (?, ?, ?, ?, '', ?, ?)",
						r.ID, actor, l.kind, l.comment, true, time.Now().UTC()); err != nil {
						return err
					}
				}
				for _, q := range store.Statements(store.Render(notes.SQL, scope.Postgres())) {
					if strings.Contains(q, "ALTER TABLE") {
						continue // the column is there: the city is migrated
					}
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			evs, err := st.RequestEvents(ctx, core.Actor{UserID: 1, Role: core.RoleCityAdmin}, r.ID)
			if err != nil || len(evs) != len(legacy) {
				t.Fatalf("events %v, %v", evs, err)
			}
			for i, e := range evs {
				l := legacy[i]
				if e.Note.Code != l.note || e.Note.Text("ru") != l.text || e.Comment != l.left {
					t.Errorf("%q became note %v (%q), comment %q; want %s (%q), comment %q", l.comment, e.Note, e.Note.Text("ru"), e.Comment, l.note, l.text, l.left)
				}
			}
		})
	}
}
