package httpapi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Deadlines follow the city's working calendar, set through the API: a
// holiday and a weekend are skipped, and night in the city's time zone
// waits for the morning. Emergencies are answered in 30 calendar minutes.
func TestDeadlinesAndOverdueSweep(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			// Tuesday 3 November 2026, 23:30 in Kazan (20:30 UTC).
			clk := servertest.NewClock(servertest.Moscow("2026-11-03 23:30"))
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			admin, disp, op, cit := s.Login("kazan", "admin"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator"), s.Login("kazan", "citizen")
			settings := map[string]any{"work_start": "08:00", "work_end": "17:00", "weekend": []int{0, 6},
				"days":            []map[string]any{{"day": "2026-11-04", "working": false, "name": "День народного единства"}},
				"auto_close_days": 2}
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", disp, settings); r.Status != 403 {
				t.Errorf("dispatcher changes settings: %d", r.Status)
			}
			for _, bad := range []map[string]any{
				{"work_start": "18:00", "work_end": "09:00", "weekend": []int{}, "days": []any{}, "auto_close_days": 3},
				{"work_start": "09:00", "work_end": "18:00", "weekend": []int{7}, "days": []any{}, "auto_close_days": 3},
				{"work_start": "09:00", "work_end": "18:00", "weekend": []int{}, "days": []map[string]any{{"day": "04.11.2026"}}, "auto_close_days": 3},
				{"work_start": "9am", "work_end": "18:00", "weekend": []int{}, "days": []any{}, "auto_close_days": 0},
			} {
				if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, bad); r.Status != 422 {
					t.Errorf("bad settings %v: %d %s", bad, r.Status, r.Body)
				}
			}
			if r := s.Call("PUT", "/t/kazan/api/v1/settings", admin, settings); r.Status != 200 {
				t.Fatalf("settings: %d %s", r.Status, r.Body)
			}
			// Yard work is measured in working time: 4 h to react, 24 h to resolve.
			yard := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "building_id": 1, "description": "Яма во дворе"}).JSON(t)["number"].(string)
			m := s.MustAct("kazan", disp, yard, "assign", map[string]string{"organization": "uk-aviastroitel"}, "assigned")
			// 23:30 Tue; Wed 4th is a holiday → Thu 5th 08:00 + 4 h = 12:00.
			// 24 h of 9-hour days: Thu 8-17 (9), Fri 8-17 (18), the weekend
			// skipped, Mon 9th 8:00 + 6 h = 14:00.
			if got, want := m["reaction_due_at"], servertest.Moscow("2026-11-05 12:00").UTC().Format(time.RFC3339); got != want {
				t.Errorf("reaction due %v, want %s", got, want)
			}
			if got, want := m["resolution_due_at"], servertest.Moscow("2026-11-09 14:00").UTC().Format(time.RFC3339); got != want {
				t.Errorf("resolution due %v, want %s", got, want)
			}
			// A lift is an emergency: 30 minutes, at night too. The built-in
			// rules give it to the building's company at intake.
			lift := s.Submit("kazan", cit, "Застряли в лифте")
			m = s.Get("kazan", disp, lift)
			if m["status"] != "assigned" || m["organization"] != "uk-aviastroitel" {
				t.Fatalf("lift routed to %v (%v)", m["organization"], m["status"])
			}
			if got, want := m["reaction_due_at"], servertest.Moscow("2026-11-04 00:00").UTC().Format(time.RFC3339); got != want {
				t.Errorf("emergency reaction due %v, want %s", got, want)
			}

			// 40 minutes later the lift is overdue; the sweep escalates it once.
			clk.Add(40 * time.Minute)
			esc, closed, err := s.Backend.Sweep(context.Background(), "kazan", clk.Now())
			if err != nil || esc != 1 || closed != 0 {
				t.Fatalf("sweep: escalated %d closed %d err %v", esc, closed, err)
			}
			if esc, _, _ := s.Backend.Sweep(context.Background(), "kazan", clk.Now()); esc != 0 {
				t.Errorf("a second sweep escalated %d again", esc)
			}
			over := s.Call("GET", "/t/kazan/api/v1/requests?overdue=true", disp, nil).JSON(t)["items"].([]any)
			if len(over) != 1 || over[0].(map[string]any)["number"] != lift || over[0].(map[string]any)["overdue"] != true {
				t.Errorf("overdue queue %v", over)
			}
			hist := historyKinds(s.Get("kazan", disp, lift))
			if !strings.HasSuffix(hist, "escalated") {
				t.Errorf("dispatcher's history %s lacks the escalation", hist)
			}
			if strings.Contains(historyKinds(s.Get("kazan", cit, lift)), "escalated") {
				t.Error("the citizen sees the internal escalation")
			}

			// Resolved and not confirmed for 2 days (the city's setting): closed by the sweep.
			s.MustAct("kazan", op, lift, "accept", nil, "accepted")
			s.MustAct("kazan", op, lift, "resolve", map[string]string{"comment": "Освободили"}, "resolved")
			clk.Add(47 * time.Hour)
			if _, closed, _ := s.Backend.Sweep(context.Background(), "kazan", clk.Now()); closed != 0 {
				t.Errorf("closed %d before the 2 days passed", closed)
			}
			clk.Add(2 * time.Hour)
			if _, closed, _ := s.Backend.Sweep(context.Background(), "kazan", clk.Now()); closed != 1 {
				t.Errorf("auto-close closed %d, want 1", closed)
			}
			m = s.Get("kazan", s.Login("kazan", "citizen"), lift) // the old token has expired
			if m["status"] != "closed" || !strings.HasSuffix(historyKinds(m), "close") {
				t.Errorf("after auto-close: %v %s", m["status"], historyKinds(m))
			}
		})
	}
}

// The sweep runs as a durable job: enqueued once per city and minute even by
// two processes, and run once.
func TestSweepJobOncePerSlot(t *testing.T) {
	s := servertest.Start(t, "postgres")
	ctx := context.Background()
	slot := time.Now().UTC().Truncate(time.Minute)
	for i := 0; i < 3; i++ { // three processes scheduling the same minute
		for _, city := range []string{"kazan", "nizhnekamsk"} {
			key := fmt.Sprintf("city.sweep:%s:%s", city, slot.Format(time.RFC3339))
			if _, _, err := s.Backend.Jobs.Enqueue(ctx, nil, jobsNew(city, key)); err != nil {
				t.Fatal(err)
			}
		}
	}
	stats, _ := s.Backend.Jobs.Stats(ctx)
	if stats["available"]+stats["done"]+stats["running"] < 2 {
		t.Fatalf("jobs %v", stats)
	}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stats, _ = s.Backend.Jobs.Stats(ctx)
		if stats["available"] == 0 && stats["running"] == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var perCity []int
	err := s.Backend.Control.NewRaw("SELECT count(*) FROM control.jobs WHERE kind = 'city.sweep' AND unique_key LIKE ? GROUP BY tenant",
		"%"+slot.Format(time.RFC3339)).Scan(ctx, &perCity)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range perCity {
		if n != 1 {
			t.Errorf("a city has %d sweep jobs for one minute", n)
		}
	}
	if len(perCity) < 2 || stats["failed"] != 0 || stats["available"] != 0 {
		t.Errorf("sweeps for %d cities, stats %v", len(perCity), stats)
	}
}

func jobsNew(city, key string) jobs.NewJob {
	return jobs.NewJob{Kind: tenants.JobSweep, Tenant: city, UniqueKey: key, Payload: map[string]string{}}
}
