package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// steadyLoad is a small steady load on kazan: workers that list requests
// and submit new ones with an Idempotency-Key, retrying a submit that got
// 503 with the same key, as a client following Retry-After would (sooner,
// to keep the test short).
type steadyLoad struct {
	base, citizen string
	client        *http.Client

	mu          sync.Mutex
	answers     int
	unavailable int       // 503 with Retry-After, as problem+json: retryable
	failed      []string  // anything else that is not a success
	lastBad     time.Time // when the last non-success answer came
	firstBad    time.Time
	backAt      time.Time         // when the database was back (markBack)
	firstOK     time.Time         // the first success after backAt
	numbers     map[string]string // Idempotency-Key → request number
	round       int
	stop        chan struct{}
	wg          sync.WaitGroup
}

func startLoad(base, citizen string, workers int) *steadyLoad {
	return (&steadyLoad{base: base, citizen: citizen, numbers: map[string]string{}}).again(workers)
}

// again starts a new load on the same server that remembers the requests
// the earlier one created.
func (l *steadyLoad) again(workers int) *steadyLoad {
	l = &steadyLoad{base: l.base, citizen: l.citizen, client: &http.Client{Timeout: 15 * time.Second},
		numbers: l.numbers, stop: make(chan struct{}), round: l.round + 1}
	for w := range workers {
		l.wg.Add(1)
		go l.work(w)
	}
	return l
}

func (l *steadyLoad) work(w int) {
	defer l.wg.Done()
	for i := 0; ; i++ {
		select {
		case <-l.stop:
			return
		case <-time.After(20 * time.Millisecond):
		}
		if i%2 == 0 {
			l.record(l.send("GET", "/t/kazan/api/v1/requests?limit=5", "", nil))
			continue
		}
		key := fmt.Sprintf("load-%d-%d-%d", l.round, w, i)
		body := map[string]any{"category": "lift", "building_id": 1, "description": "steady load " + key}
		for {
			r := l.send("POST", "/t/kazan/api/v1/requests", key, body)
			l.record(r)
			if r.Status == http.StatusCreated || r.Status == http.StatusOK {
				var m map[string]any
				_ = json.Unmarshal(r.Body, &m)
				l.mu.Lock()
				l.numbers[key] = fmt.Sprint(m["number"])
				l.mu.Unlock()
				break
			}
			if r.Status != http.StatusServiceUnavailable {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
}

func (l *steadyLoad) send(method, path, key string, body any) response {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, l.base+path, rd)
	req.Header.Set("Authorization", "Bearer "+l.citizen)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := l.client.Do(req)
	if err != nil {
		return response{Status: 0, Body: []byte(err.Error())}
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, b}
}

func (l *steadyLoad) record(r response) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answers++
	if r.Status < 300 {
		if !l.backAt.IsZero() && l.firstOK.IsZero() {
			l.firstOK = time.Now()
		}
		return
	}
	now := time.Now()
	if l.firstBad.IsZero() {
		l.firstBad = now
	}
	l.lastBad = now
	if retryable(r) {
		l.unavailable++
		return
	}
	l.failed = append(l.failed, fmt.Sprintf("%d %s", r.Status, truncate(r.Body)))
}

// retryable is the answer a client may retry: 503, problem+json, with a
// Retry-After in seconds.
func retryable(r response) bool {
	return r.Status == http.StatusServiceUnavailable && r.Header.Get("Retry-After") != "" &&
		strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json")
}

// markBack notes that the database is reachable again.
func (l *steadyLoad) markBack() {
	l.mu.Lock()
	l.backAt = time.Now()
	l.mu.Unlock()
}

// finish stops the load and reports what it saw.
func (l *steadyLoad) finish() *steadyLoad {
	close(l.stop)
	l.wg.Wait()
	return l
}

// waitHealthy waits until kazan answers a listing with 200.
func waitHealthy(t *testing.T, l *steadyLoad, within time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	for {
		r := l.send("GET", "/t/kazan/api/v1/requests?limit=1", "", nil)
		if r.Status == http.StatusOK {
			return time.Since(start)
		}
		if time.Since(start) > within {
			t.Fatalf("not recovered after %s: %d %s", within, r.Status, truncate(r.Body))
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// checkOutage asserts what the server answers while its database is down:
// the API and the pages 503 with Retry-After, /readyz 503, /healthz 200.
func checkOutage(t *testing.T, s *testServer, l *steadyLoad) {
	t.Helper()
	for _, path := range []string{"/t/kazan/api/v1/requests", "/t/kazan/api/v1/categories"} {
		var r response
		// The registry is cached for a second; the city's own data is not.
		deadline := time.Now().Add(5 * time.Second)
		for r = l.send("GET", path, "", nil); r.Status != http.StatusServiceUnavailable && time.Now().Before(deadline); r = l.send("GET", path, "", nil) {
			time.Sleep(50 * time.Millisecond)
		}
		if !retryable(r) {
			t.Errorf("GET %s with the database down: %d %v %s", path, r.Status, r.Header, r.Body)
		}
	}
	desk := l.send("GET", "/t/kazan/desk/", "", nil)
	if desk.Status != http.StatusServiceUnavailable || desk.Header.Get("Retry-After") == "" {
		t.Errorf("the desk page with the database down: %d %s", desk.Status, truncate(desk.Body))
	}
	if r := l.send("GET", "/readyz", "", nil); r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
		t.Errorf("/readyz with the database down: %d %s", r.Status, r.Body)
	}
	if r := l.send("GET", "/healthz", "", nil); r.Status != http.StatusOK {
		t.Errorf("/healthz with the database down: %d %s", r.Status, r.Body)
	}
}

// checkLoad asserts that nothing but retryable answers failed and that each
// submit created exactly one request, and logs the figures.
func checkLoad(t *testing.T, s *testServer, l *steadyLoad, what string) {
	t.Helper()
	if len(l.failed) > 0 {
		t.Errorf("%s: %d of %d answers failed in a way a client cannot retry: %v", what, len(l.failed), l.answers, l.failed)
	}
	span, firstOK := time.Duration(0), time.Duration(-1)
	if !l.firstBad.IsZero() {
		span = l.lastBad.Sub(l.firstBad)
	}
	if !l.firstOK.IsZero() {
		firstOK = l.firstOK.Sub(l.backAt)
	}
	t.Logf("%s: %d answers, %d non-retryable failures, %d retryable 503s over %s; first success %s after the database was back",
		what, l.answers, len(l.failed), l.unavailable, span.Round(time.Millisecond), firstOK.Round(time.Millisecond))
	seen := map[string]string{}
	for key, n := range l.numbers {
		if other, dup := seen[n]; dup {
			t.Errorf("keys %s and %s got the same request %s", key, other, n)
		}
		seen[n] = key
	}
	disp := s.login("kazan", "dispatcher")
	list := s.call("GET", "/t/kazan/api/v1/requests?q=steady+load&total=true&limit=1", disp, nil).json(t)
	if total, _ := list["total"].(float64); int(total) != len(l.numbers) {
		t.Errorf("%d submits succeeded but kazan holds %v load requests: a retried submit was lost or doubled", len(l.numbers), list["total"])
	}
}

// A PgBouncer restart under a small steady load: no answer a client cannot
// retry, the pooled connections it closed are replaced, and while it is
// down the API, the pages and /readyz say 503 with Retry-After.
func TestPgBouncerRestart(t *testing.T) {
	db := tenanttest.New(t, "pgbouncer")
	s := startServerWith(t, db)
	l := startLoad(s.URL(), s.login("kazan", "citizen"), 4)
	time.Sleep(time.Second) // the pool fills with connections through PgBouncer
	t0 := time.Now()
	db.PgBouncer.Restart()
	back := time.Now()
	l.markBack()
	time.Sleep(2 * time.Second)
	checkLoad(t, s, l.finish(), "PgBouncer restart")
	t.Logf("PgBouncer was down for %s", back.Sub(t0).Round(time.Millisecond))

	l = l.again(1)
	db.PgBouncer.Stop()
	checkOutage(t, s, l)
	db.PgBouncer.Start()
	l.markBack()
	t.Logf("recovered %s after PgBouncer came back", waitHealthy(t, l, 10*time.Second).Round(time.Millisecond))
	checkLoad(t, s, l.finish(), "PgBouncer outage")
}

// The same for PostgreSQL itself: a cluster of the test's own, restarted
// (fast shutdown ends every session) under load, then down for a while.
func TestPostgresRestart(t *testing.T) {
	cluster := tenanttest.StartCluster(t)
	s := startServerWith(t, tenanttest.DB{Kind: "postgres", DatabaseURL: cluster.URL("postgres"), DataDir: t.TempDir()})
	l := startLoad(s.URL(), s.login("kazan", "citizen"), 4)
	time.Sleep(time.Second)
	t0 := time.Now()
	cluster.Stop()
	cluster.Start()
	back := time.Now()
	l.markBack()
	time.Sleep(2 * time.Second)
	checkLoad(t, s, l.finish(), "PostgreSQL restart")
	t.Logf("PostgreSQL was down for %s", back.Sub(t0).Round(time.Millisecond))

	l = l.again(1)
	cluster.Stop()
	checkOutage(t, s, l)
	cluster.Start()
	l.markBack()
	t.Logf("recovered %s after PostgreSQL came back", waitHealthy(t, l, 10*time.Second).Round(time.Millisecond))
	checkLoad(t, s, l.finish(), "PostgreSQL outage")
}

// startServerWith starts a demo server on an existing test database.
func startServerWith(t *testing.T, db tenanttest.DB) *testServer {
	t.Helper()
	return wrap(t, servertest.StartConfig(t, db, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true}))
}
