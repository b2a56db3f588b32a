package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// addUser adds a user to a demo city, with password "demo".
func addUser(t *testing.T, s *servertest.Server, city, login string, role core.Role, org string) {
	t.Helper()
	s.AddUser(t, city, core.User{Login: login, Name: login, Phone: "+7 900 555-00-00", Role: role}, org)
}

// sweepNow enqueues the city's sweep job and waits until the server's
// own job runner or this test has run it.
func sweepNow(t *testing.T, s *servertest.Server, city string) {
	t.Helper()
	ctx := context.Background()
	id, _, err := s.Backend.Jobs.Enqueue(ctx, nil, jobs.NewJob{Kind: tenants.JobSweep, Tenant: city, Attempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		if _, err := s.Backend.Jobs.RunOnce(ctx); err != nil {
			t.Fatal(err)
		}
		j, err := s.Backend.Jobs.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.State == jobs.StateDone {
			return
		}
		if j.State == jobs.StateFailed || time.Now().After(deadline) {
			t.Fatalf("sweep job %d: %s %s", id, j.State, j.LastError)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func historyKinds(m map[string]any) string {
	var ks []string
	for _, e := range m["history"].([]any) {
		ev := e.(map[string]any)
		ks = append(ks, ev["kind"].(string))
	}
	return strings.Join(ks, ",")
}

// A request goes from new to closed through the API, by the right roles,
// with correct deadlines and history; then through return, reopen,
// delegation and duplicates.
func TestLifecycle(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-13 16:00")) // a Friday
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			addUser(t, s, "kazan", "lifts", core.RoleOrgOperator, "lifttech-kazan")
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			lifts := s.Login("kazan", "lifts")

			// Yard work: 4 working hours to react, 24 working hours to
			// resolve; no rule routes it, so it waits in triage.
			r := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "building_id": 1, "description": "Яма во дворе"})
			if r.Status != 201 {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			n := r.JSON(t)["number"].(string)
			m := s.Get("kazan", cit, n)
			if m["status"] != "new" || historyKinds(m) != "created" {
				t.Fatalf("a citizen sees %v %s (the triage note is internal)", m["status"], historyKinds(m))
			}
			if k := historyKinds(s.Get("kazan", disp, n)); k != "created,triage" {
				t.Fatalf("dispatcher sees history %s", k)
			}
			// The operator cannot touch a request that is not its organization's.
			if r := s.Act("kazan", op, n, "accept", nil); r.Status != 404 {
				t.Errorf("operator accepts an unassigned request: %d", r.Status)
			}
			if r := s.Act("kazan", cit, n, "assign", map[string]string{"organization": "uk-aviastroitel"}); r.Status != 403 {
				t.Errorf("citizen assigns: %d", r.Status)
			}
			if r := s.Act("kazan", disp, n, "assign", map[string]string{"organization": "nowhere"}); r.Status != 422 {
				t.Errorf("assign to an unknown organization: %d %s", r.Status, r.Body)
			}
			m = s.MustAct("kazan", disp, n, "assign", map[string]string{"organization": "uk-aviastroitel"}, "assigned")
			// Friday 16:00 + 4 working hours = Monday 11:00; + 24 working hours
			// (9-18, 9 h a day) = Wednesday 13:00.
			if due := m["reaction_due_at"].(string); due != servertest.Moscow("2026-11-16 11:00").UTC().Format(time.RFC3339) {
				t.Errorf("reaction due %s", due)
			}
			if due := m["resolution_due_at"].(string); due != servertest.Moscow("2026-11-18 13:00").UTC().Format(time.RFC3339) {
				t.Errorf("resolution due %s", due)
			}
			clk.Add(30 * time.Minute)
			if r := s.Act("kazan", op, n, "resolve", map[string]string{"comment": "done"}); r.Status != 409 {
				t.Errorf("resolve before accept: %d %s", r.Status, r.Body)
			}
			m = s.MustAct("kazan", op, n, "accept", nil, "accepted")
			if m["reaction_seconds"] != float64(1800) {
				t.Errorf("reaction time %v", m["reaction_seconds"])
			}
			s.MustAct("kazan", op, n, "start", nil, "in_progress")
			if r := s.Act("kazan", op, n, "resolve", nil); r.Status != 422 {
				t.Errorf("resolve without a comment: %d", r.Status)
			}
			clk.Add(time.Hour)
			m = s.MustAct("kazan", op, n, "resolve", map[string]string{"comment": "Убрано"}, "resolved")
			if m["resolution_seconds"] != float64(5400) {
				t.Errorf("resolution time %v", m["resolution_seconds"])
			}
			// The minute's sweep runs at the server's clock, not at the wall
			// clock (weeks after this test's Friday): the resolved request
			// waits for its citizen however slowly the test goes.
			sweepNow(t, s, "kazan")
			if m := s.Get("kazan", cit, n); m["status"] != "resolved" {
				t.Fatalf("after the server's sweep the request is %v, want resolved", m["status"])
			}
			if r := s.Act("kazan", s.Login("kazan", "analyst"), n, "close", nil); r.Status != 403 {
				t.Errorf("analyst closes: %d", r.Status)
			}
			s.MustAct("kazan", cit, n, "close", nil, "closed")
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+n+"/rating", cit, map[string]any{"rating": 6}); r.Status != 422 {
				t.Errorf("rating 6: %d", r.Status)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/requests/"+n+"/rating", cit, map[string]any{"rating": 5, "comment": "Спасибо"}); r.Status != 200 || r.JSON(t)["rating"] != float64(5) {
				t.Errorf("rating: %d %s", r.Status, r.Body)
			}
			m = s.Get("kazan", cit, n)
			if k := historyKinds(m); k != "created,assign,accept,start,resolve,close,rated" {
				t.Errorf("citizen's history %s", k)
			}

			// Reopen: the citizen disputes; the request is the organization's again with new deadlines.
			if r := s.Act("kazan", cit, n, "reopen", map[string]string{}); r.Status != 422 {
				t.Errorf("reopen without a comment: %d", r.Status)
			}
			m = s.MustAct("kazan", cit, n, "reopen", map[string]string{"comment": "Снова грязно"}, "reopened")
			if m["organization"] != "uk-aviastroitel" || m["resolution_seconds"] != nil {
				t.Errorf("reopened: %v", m)
			}
			// Return: not ours, back to the dispatcher.
			if r := s.Act("kazan", op, n, "return", map[string]string{"comment": ""}); r.Status != 422 {
				t.Errorf("return without a reason: %d", r.Status)
			}
			m = s.MustAct("kazan", op, n, "return", map[string]string{"comment": "Не наш дом"}, "returned")
			if m["organization"] != nil {
				t.Errorf("returned request keeps organization %v", m["organization"])
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests?status=returned&total=true", disp, nil).JSON(t); r["total"] != float64(1) {
				t.Errorf("returned queue: %v", r)
			}

			// Delegation: the company stays responsible, the contractor works it.
			s.MustAct("kazan", disp, n, "assign", map[string]string{"organization": "uk-aviastroitel"}, "assigned")
			if r := s.Act("kazan", op, n, "delegate", map[string]string{"organization": "uk-vakhitovsky"}); r.Status != 422 {
				t.Errorf("delegate to a management company: %d %s", r.Status, r.Body)
			}
			if r := s.Act("kazan", lifts, n, "accept", nil); r.Status != 404 {
				t.Errorf("contractor sees a request before delegation: %d", r.Status)
			}
			m = s.MustAct("kazan", op, n, "delegate", map[string]string{"organization": "lifttech-kazan"}, "assigned")
			if m["organization"] != "uk-aviastroitel" || m["executor"] != "lifttech-kazan" {
				t.Errorf("after delegation: %v", m)
			}
			if r := s.Act("kazan", lifts, n, "delegate", map[string]string{"organization": "krovlya-kazan"}); r.Status != 403 {
				t.Errorf("the contractor re-delegates: %d", r.Status)
			}
			s.MustAct("kazan", lifts, n, "accept", nil, "accepted")
			s.MustAct("kazan", lifts, n, "resolve", map[string]string{"comment": "Сделано подрядчиком"}, "resolved")
			if r := s.Call("GET", "/t/kazan/api/v1/requests?organization=uk-aviastroitel&status=resolved", op, nil).JSON(t); len(r["items"].([]any)) != 1 {
				t.Errorf("the responsible company no longer sees its delegated request: %v", r)
			}

			// Duplicates point at the original; their citizen follows the original.
			dup := s.Submit("kazan", cit, "та же яма")
			if r := s.Act("kazan", disp, dup, "duplicate", map[string]string{"original": dup}); r.Status != 422 {
				t.Errorf("duplicate of itself: %d", r.Status)
			}
			if r := s.Act("kazan", disp, dup, "duplicate", map[string]string{"original": "2026-999999"}); r.Status != 422 {
				t.Errorf("duplicate of nothing: %d", r.Status)
			}
			s.MustAct("kazan", disp, dup, "duplicate", map[string]string{"original": n}, "duplicate")
			m = s.Get("kazan", cit, dup)
			orig, _ := m["original"].(map[string]any)
			if orig == nil || orig["number"] != n || orig["status"] != "resolved" {
				t.Errorf("the duplicate's citizen sees original %v", orig)
			}
			if trail := fmt.Sprint(orig); strings.Contains(trail, "triage") || strings.Contains(trail, "routed") {
				t.Errorf("internal events of the original leaked: %s", trail)
			}
			// Reject.
			spam := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "address": "везде", "description": "реклама"}).JSON(t)["number"].(string)
			if r := s.Act("kazan", disp, spam, "reject", nil); r.Status != 422 {
				t.Errorf("reject without a reason: %d", r.Status)
			}
			s.MustAct("kazan", disp, spam, "reject", map[string]string{"comment": "спам"}, "rejected")
			if r := s.Act("kazan", disp, spam, "assign", map[string]string{"organization": "uk-aviastroitel"}); r.Status != 409 {
				t.Errorf("assign a rejected request: %d", r.Status)
			}
		})
	}
}

// Every action, legal and illegal, by every role, from every status.
func TestTransitionMatrix(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			ctx := context.Background()
			tokens := map[string]string{}
			roleOf := map[string]core.Role{"admin": core.RoleCityAdmin, "dispatcher": core.RoleDispatcher, "operator": core.RoleOrgOperator,
				"analyst": core.RoleAnalyst, "citizen": core.RoleCitizen}
			for login := range roleOf {
				tokens[login] = s.Login("kazan", login)
			}
			n := s.Submit("kazan", tokens["citizen"], "матрица")
			orig := s.Submit("kazan", tokens["citizen"], "оригинал")
			scope, _ := s.Backend.Scope("kazan")
			var orgID int64
			_ = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT id FROM organizations WHERE code = 'uk-aviastroitel'").Scan(ctx, &orgID)
			})
			policy := core.StaticAuthorizer(core.DefaultPolicies)
			body := map[string]string{"comment": "причина", "organization": "uk-aviastroitel", "original": orig}
			cases := 0
			for _, action := range core.Actions {
				rule := core.Lifecycle[action]
				for _, from := range core.Statuses {
					for login, role := range roleOf {
						// Reset: the request belongs to the operator's company and the citizen.
						err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
							_, err := tx.NewRaw(`UPDATE requests SET status = ?, organization_id = ?, executor_id = NULL, duplicate_of = NULL,
								assigned_at = ?, accepted_at = NULL, resolved_at = NULL WHERE number = ?`, from, orgID, time.Now().UTC(), n).Exec(ctx)
							return err
						})
						if err != nil {
							t.Fatal(err)
						}
						b := map[string]string{"comment": body["comment"]}
						for field, acts := range core.ActionFields { // only the fields the action takes
							if slices.Contains(acts, action) {
								b[field] = body[field]
							}
						}
						if action == core.ActionDelegate {
							b = map[string]string{"organization": "lifttech-kazan"}
						}
						if action == core.ActionRecall { // to an organization other than the one holding it
							b["organization"] = "krovlya-kazan"
						}
						r := s.Act("kazan", tokens[login], n, string(action), b)
						allowed, _ := policy.Allowed(ctx, "kazan", role, core.ObjRequests, string(action))
						want := http.StatusOK
						switch {
						case !allowed:
							want = http.StatusForbidden
						case !contains(rule.From, from):
							want = http.StatusConflict
						}
						if r.Status != want {
							t.Errorf("%s by %s from %s: %d, want %d: %s", action, login, from, r.Status, want, r.Body)
							continue
						}
						if want == http.StatusOK {
							to := rule.To
							if to == "" {
								to = from
							}
							if got := r.JSON(t)["status"]; got != string(to) {
								t.Errorf("%s by %s from %s: ended %v, want %s", action, login, from, got, to)
							}
						}
						cases++
					}
				}
			}
			if cases != len(core.Actions)*len(core.Statuses)*len(roleOf) {
				t.Errorf("ran %d cases", cases)
			}
		})
	}
}

func contains(ss []core.Status, s core.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}
