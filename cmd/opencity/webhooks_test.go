package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/mail/mailtest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// receiver is a real HTTP webhook receiver that can be told to fail, to
// hang past the sender's timeout, or to accept; it keeps what it accepted
// with a valid signature.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	mode   string // "ok", "fail", "hang"
	secret string
	got    []map[string]any
	bad    int // requests with a wrong signature
	tries  int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{mode: "ok"}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) set(mode string) { rc.mu.Lock(); rc.mode = mode; rc.mu.Unlock() }

// verify checks the OpenCity-Signature header as the README tells
// receivers to: HMAC-SHA256 of "<t>.<body>" with the endpoint's secret.
func verify(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return ts != "" && hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	mode, secret := rc.mode, rc.secret
	rc.tries++
	rc.mu.Unlock()
	switch mode {
	case "fail":
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case "hang":
		<-r.Context().Done() // the sender gives up first
		return
	}
	if !verify(secret, r.Header.Get("OpenCity-Signature"), body) {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	rc.mu.Lock()
	rc.got = append(rc.got, p)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// events returns the distinct event ids received for a request, in the
// order first received, and how many deliveries there were in all.
func (rc *receiver) events(number string) (ids []string, all int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	for _, p := range rc.got {
		data, _ := p["data"].(map[string]any)
		if data["number"] != number {
			continue
		}
		all++
		id := p["id"].(string)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, all
}

// eventSeq is the history event number inside an event id
// (evt_<city>_<n>_<type>).
func eventSeq(id string) int {
	parts := strings.Split(id, "_")
	n, _ := strconv.Atoi(parts[2])
	return n
}

// The city and an organization subscribe real receivers. Intake never waits
// for them; a receiver that fails, then hangs, then recovers gets every
// event, signed, in order per request; a redelivery repeats the event id; an
// endpoint that fails for three days is disabled. Another organization's
// manager, an operator, a citizen and another city cannot see or touch the
// endpoints and deliveries.
func TestWebhooksDeliverAtLeastOnceInOrder(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := servertest.NewClock(time.Now())
			mp := mailtest.Start(t)
			s := startServerConfig(t, kind, func(c *server.Config) {
				c.Now, c.WebhookTimeout, c.SMTPURL = clock.Now, 300*time.Millisecond, mp.URL()
			})
			admin := s.login("kazan", "admin")
			disp := s.login("kazan", "dispatcher")
			citizen := s.login("kazan", "citizen")
			operator := s.login("kazan", "operator")
			manager := s.InviteManager(t, admin)
			var opOrg string
			s.inCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT o.code FROM users AS u JOIN organizations AS o ON o.id = u.organization_id WHERE u.login = 'operator'").Scan(ctx, &opOrg)
			})

			cityRC, orgRC := newReceiver(t), newReceiver(t)
			subscribe := func(token, url string, events []string) (int64, string) {
				r := s.call("POST", "/t/kazan/api/v1/webhooks/endpoints", token, map[string]any{"url": url, "events": events})
				if r.Status != http.StatusCreated {
					t.Fatalf("subscribe: %d %s", r.Status, r.Body)
				}
				m := r.json(t)
				sec, _ := m["secret"].(string)
				if !strings.HasPrefix(sec, "whsec_") {
					t.Fatalf("no secret in %s", r.Body)
				}
				return int64(m["id"].(float64)), sec
			}
			var cityEP, orgEP int64
			cityEP, cityRC.secret = subscribe(admin, cityRC.URL, []string{"request.assigned", "request.status_changed", "request.commented", "request.overdue"})
			orgEP, orgRC.secret = subscribe(manager, orgRC.URL+"/hook", []string{"request.assigned", "request.status_changed", "request.commented"})
			if r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints", admin, nil); r.Status != 200 || strings.Contains(string(r.Body), cityRC.secret) ||
				strings.Contains(string(r.Body), orgRC.secret) || !strings.Contains(string(r.Body), orgRC.URL) {
				t.Fatalf("list: %d %s", r.Status, r.Body)
			}
			for name, body := range map[string]map[string]any{
				"no url":      {"events": []string{"request.assigned"}},
				"ftp":         {"url": "ftp://example.org/x", "events": []string{"request.assigned"}},
				"credentials": {"url": "https://u:p@example.org/x", "events": []string{"request.assigned"}},
				"no events":   {"url": cityRC.URL},
				"unknown":     {"url": cityRC.URL, "events": []string{"request.exploded"}},
			} {
				if r := s.call("POST", "/t/kazan/api/v1/webhooks/endpoints", admin, body); r.Status != http.StatusUnprocessableEntity && r.Status != http.StatusBadRequest {
					t.Errorf("%s: %d %s", name, r.Status, r.Body)
				}
			}

			// The receivers are down; intake and the lifecycle go on.
			cityRC.set("fail")
			orgRC.set("fail")
			num := s.submit("kazan", citizen, "the lift is stuck between floors")
			if got := s.get("kazan", disp, num); got["status"] != "assigned" {
				s.mustAct("kazan", disp, num, "assign", map[string]string{"organization": opOrg}, "assigned")
			} else if got["organization"] != opOrg {
				s.mustAct("kazan", disp, num, "recall", map[string]string{"organization": opOrg, "comment": "wrong company"}, "assigned")
			}
			if r := s.call("POST", "/t/kazan/api/v1/requests/"+num+"/comments", disp, map[string]any{"comment": "internal note", "public": false}); r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			s.mustAct("kazan", operator, num, "accept", nil, "accepted")
			other := s.submit("kazan", citizen, "another lift")
			var otherOrg string
			s.inCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT code FROM organizations WHERE code <> ? AND kind = 'management_company' ORDER BY id LIMIT 1", opOrg).Scan(ctx, &otherOrg)
			})
			s.mustAct("kazan", disp, other, "recall", map[string]string{"organization": otherOrg, "comment": "wrong company"}, "assigned")
			if r := s.call("POST", "/t/kazan/api/v1/requests/"+other+"/comments", disp, map[string]any{"comment": "for the other company", "public": true}); r.Status != http.StatusCreated {
				t.Fatalf("comment: %d %s", r.Status, r.Body)
			}
			apitest.WaitFor(t, "a failed attempt", func() bool {
				cityRC.mu.Lock()
				defer cityRC.mu.Unlock()
				return cityRC.tries > 0
			})
			// Hanging: the relay gives up on each attempt after its timeout.
			cityRC.set("hang")
			orgRC.set("hang")
			clock.Add(time.Minute)
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "hanging attempts given up", func() bool {
				return endpointFailures(t, s, admin, cityEP) >= 2 && endpointFailures(t, s, admin, orgEP) >= 2
			})
			// Recovered: everything arrives, in order.
			cityRC.set("ok")
			orgRC.set("ok")
			s.mustAct("kazan", operator, num, "start", nil, "in_progress")
			clock.Add(time.Hour)
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "every event delivered", func() bool {
				ids, _ := cityRC.events(num)
				oids, _ := orgRC.events(num)
				if len(ids) >= 6 && len(oids) >= 4 {
					return true
				}
				if testing.Verbose() {
					t.Logf("city %v org %v bad %d", ids, oids, cityRC.bad)
					s.inCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
						var rows []map[string]any
						err := tx.NewRaw("SELECT id, retry_at, lease_until, failures FROM webhook_endpoints").Scan(ctx, &rows)
						t.Logf("endpoints %v %v now %v", rows, err, clock.Now().UTC())
						return nil
					})
				}
				return false
			})
			ids, _ := cityRC.events(num)
			for i := 1; i < len(ids); i++ {
				if eventSeq(ids[i]) < eventSeq(ids[i-1]) {
					t.Errorf("out of order: %v", ids)
				}
			}
			joined := strings.Join(ids, " ")
			for _, want := range []string{"_assigned", "_status_changed", "_commented"} {
				if !strings.Contains(joined, want) {
					t.Errorf("city endpoint lacks %s: %v", want, ids)
				}
			}
			oids, _ := orgRC.events(num)
			if strings.Contains(strings.Join(oids, " "), "_commented") {
				t.Errorf("the organization got an internal comment: %v", oids)
			}
			if oo, _ := orgRC.events(other); strings.Contains(strings.Join(oo, " "), "_commented") {
				t.Errorf("the organization got a comment on a request it no longer holds: %v", oo)
			}
			if cityRC.bad+orgRC.bad != 0 {
				t.Errorf("bad signatures: %d", cityRC.bad+orgRC.bad)
			}
			cityRC.mu.Lock()
			first := cityRC.got[0]
			cityRC.mu.Unlock()
			if first["api_version"] == nil || first["type"] == nil || strings.Contains(mustJSON(first), "Иван") ||
				strings.Contains(mustJSON(first), "917") {
				t.Errorf("payload: %v", first)
			}

			// The delivery log, and a redelivery with the same event id.
			r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(orgEP)+"/deliveries?limit=50", manager, nil)
			if r.Status != 200 {
				t.Fatalf("deliveries: %d %s", r.Status, r.Body)
			}
			items := r.json(t)["items"].([]any)
			var delID int64
			var delEvent string
			for _, it := range items {
				d := it.(map[string]any)
				if d["status"] == "delivered" && d["number"] == num && d["attempts"].(float64) >= 2 {
					delID, delEvent = int64(d["id"].(float64)), d["event_id"].(string)
				}
			}
			if delID == 0 {
				t.Fatalf("no retried delivery in the log: %s", r.Body)
			}

			// The attacker's side: another organization's manager, an operator,
			// a citizen, another city's administrator.
			cityDel := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/deliveries", admin, nil).json(t)["items"].([]any)
			cityDelID := int64(cityDel[0].(map[string]any)["id"].(float64))
			if r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/deliveries", manager, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager read the city's deliveries: %d", r.Status)
			}
			if r := s.call("POST", "/t/kazan/api/v1/webhooks/deliveries/"+itoa(cityDelID)+"/redeliver", manager, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager redelivered the city's delivery: %d", r.Status)
			}
			if r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints", manager, nil); strings.Contains(string(r.Body), cityRC.URL) {
				t.Errorf("a manager sees the city's endpoint: %s", r.Body)
			}
			for name, tok := range map[string]string{"operator": operator, "citizen": citizen, "dispatcher": disp} {
				if r := s.call("POST", "/t/kazan/api/v1/webhooks/endpoints", tok, map[string]any{"url": cityRC.URL, "events": []string{"request.assigned"}}); r.Status != http.StatusForbidden {
					t.Errorf("%s subscribed: %d", name, r.Status)
				}
				if r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(orgEP)+"/deliveries", tok, nil); r.Status != http.StatusForbidden {
					t.Errorf("%s read deliveries: %d", name, r.Status)
				}
			}
			nkm := s.login("nizhnekamsk", "admin")
			if r := s.call("GET", "/t/nizhnekamsk/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/deliveries", nkm, nil); r.Status != http.StatusNotFound {
				t.Errorf("another city read kazan's deliveries: %d", r.Status)
			}
			if r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints", nkm, nil); r.Status != http.StatusUnauthorized && r.Status != http.StatusForbidden {
				t.Errorf("another city's token in kazan: %d", r.Status)
			}

			_, before := orgRC.events(num)
			if r := s.call("POST", "/t/kazan/api/v1/webhooks/deliveries/"+itoa(delID)+"/redeliver", manager, nil); r.Status != http.StatusAccepted {
				t.Fatalf("redeliver: %d %s", r.Status, r.Body)
			}
			apitest.WaitFor(t, "the redelivery", func() bool { _, all := orgRC.events(num); return all > before })
			orgRC.mu.Lock()
			last := orgRC.got[len(orgRC.got)-1]["id"]
			orgRC.mu.Unlock()
			if last != delEvent {
				t.Errorf("redelivered %v, want %s", last, delEvent)
			}

			// The console shows the log with "Send again", which works there too.
			page := s.page("GET", "/t/kazan/admin/webhooks?endpoint="+itoa(orgEP), admin, nil, nil)
			if page.Status != 200 || !strings.Contains(string(page.Body), `action="/t/kazan/admin/webhooks/deliveries/`+itoa(delID)+`/redeliver"`) ||
				!strings.Contains(string(page.Body), delEvent) || strings.Contains(string(page.Body), orgRC.secret) {
				t.Fatalf("console: %d %s", page.Status, truncate(page.Body))
			}
			_, before = orgRC.events(num)
			if r := s.page("POST", "/t/kazan/admin/webhooks/deliveries/"+itoa(delID)+"/redeliver", admin, map[string]string{"endpoint": itoa(orgEP)}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("console redeliver: %d %s", r.Status, truncate(r.Body))
			}
			apitest.WaitFor(t, "the console's redelivery", func() bool { _, all := orgRC.events(num); return all > before })
			if r := s.page("POST", "/t/kazan/admin/webhooks/deliveries/"+itoa(cityDelID)+"/redeliver", manager, map[string]string{}, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager redelivered the city's delivery in the console: %d", r.Status)
			}

			// Down for three days: given up and disabled; nothing blocks intake.
			cityRC.set("fail")
			s.submit("kazan", citizen, "a third lift")
			state := func(id int64) (st string, failures int) {
				s.inCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT status, failures FROM webhook_endpoints WHERE id = ?", id).Scan(ctx, &st, &failures)
				})
				return st, failures
			}
			for i := 0; i < 10; i++ {
				if st, _ := state(cityEP); st == "disabled" {
					break
				}
				_, n := state(cityEP)
				clock.Add(12 * time.Hour)
				s.Backend.NudgeRelay("kazan")
				apitest.WaitFor(t, "a retry", func() bool { st, f := state(cityEP); return f > n || st == "disabled" })
			}
			if st, _ := state(cityEP); st != "disabled" {
				t.Fatalf("after three days of failures the endpoint is %s", st)
			}
			told := mp.Wait(t, "admin@kazan.example.org")
			if !strings.Contains(told.Subject, cityRC.URL) {
				t.Errorf("the owner was told %q", told.Subject)
			}
			if st, _ := state(orgEP); st != "enabled" {
				t.Errorf("the organization's healthy endpoint is %s", st)
			}
			admin, manager = s.login("kazan", "admin"), s.loginPassword("kazan", "manager", "manager password")
			if r := s.call("POST", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/enable", manager, nil); r.Status != http.StatusNotFound {
				t.Errorf("a manager enabled the city's endpoint: %d", r.Status)
			}
			if r := s.call("POST", "/t/kazan/api/v1/webhooks/endpoints/"+itoa(cityEP)+"/enable", admin, nil); r.Status != http.StatusNoContent {
				t.Errorf("enable: %d %s", r.Status, r.Body)
			}
			if st := endpointStatus(t, s, admin, cityEP); st != "enabled" {
				t.Errorf("re-enabled endpoint is %s", st)
			}
		})
	}
}

func endpointFailures(t *testing.T, s *testServer, token string, id int64) int {
	t.Helper()
	r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints", token, nil)
	for _, it := range r.json(t)["items"].([]any) {
		e := it.(map[string]any)
		if int64(e["id"].(float64)) == id {
			return int(e["failures"].(float64))
		}
	}
	return -1
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func endpointStatus(t *testing.T, s *testServer, token string, id int64) string {
	t.Helper()
	r := s.call("GET", "/t/kazan/api/v1/webhooks/endpoints", token, nil)
	for _, it := range r.json(t)["items"].([]any) {
		e := it.(map[string]any)
		if int64(e["id"].(float64)) == id {
			return e["status"].(string)
		}
	}
	return "missing"
}
