package server

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/plugins/host"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// MetricsConfig says where the Prometheus metrics are served. With neither
// Token nor Addr they are not served at all: they are never public.
type MetricsConfig struct {
	// Token (OPENCITY_METRICS_TOKEN) serves GET /metrics on the main address
	// to scrapers that send "Authorization: Bearer <Token>".
	Token string
	// Addr (OPENCITY_METRICS_ADDR) serves GET /metrics on a listen address
	// of its own, e.g. 127.0.0.1:9090 or a pod's port that only the
	// scraper reaches; the token is required there too when set.
	Addr string
	// Profiling (OPENCITY_PPROF=true) also serves Go's runtime profiles
	// (net/http/pprof: /debug/pprof/, e.g. /debug/pprof/profile?seconds=30
	// for 30 s of CPU) where /metrics is served, behind the same token. Off
	// by default: a profile names the code's functions and costs CPU while
	// it is taken.
	Profiling bool
	// CityLimit (OPENCITY_METRICS_CITY_LIMIT): metrics carry a city label
	// while the registry holds at most this many cities; above it they are
	// summed under city="all", so the number of series stays bounded.
	CityLimit int
	// Err is what was wrong with the settings read from the environment;
	// New refuses to start with it.
	Err error
}

// DefaultMetricsCityLimit is MetricsConfig.CityLimit when unset.
const DefaultMetricsCityLimit = 50

// MetricsConfigFromEnv reads the metrics settings.
func MetricsConfigFromEnv(getenv func(string) string) MetricsConfig {
	m := MetricsConfig{Token: getenv("OPENCITY_METRICS_TOKEN"), Addr: getenv("OPENCITY_METRICS_ADDR")}
	var errs []error
	if v := getenv("OPENCITY_METRICS_CITY_LIMIT"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("OPENCITY_METRICS_CITY_LIMIT %q: use a whole number of cities, 1 or more", v))
		}
		m.CityLimit = n
	}
	if v := getenv("OPENCITY_PPROF"); v != "" {
		on, err := strconv.ParseBool(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("OPENCITY_PPROF %q: use true or false", v))
		}
		m.Profiling = on
	}
	m.Err = errors.Join(errs...)
	return m
}

// allCities is the city label of metrics summed over every city.
const allCities = "all"

// cityGaugesTTL bounds how often a scrape recounts every city's queues.
const cityGaugesTTL = 15 * time.Second

// metrics is the server's Prometheus registry and the instruments the
// server's parts report to.
type metrics struct {
	cfg      MetricsConfig
	registry *prometheus.Registry
	cities   atomic.Int64 // cities in the registry, as last counted

	httpRequests   *prometheus.CounterVec
	httpLatency    *prometheus.HistogramVec
	intake         *prometheus.CounterVec
	jobRuns        *prometheus.CounterVec
	pluginCalls    *prometheus.CounterVec
	pluginLatency  *prometheus.HistogramVec
	pluginRestarts *prometheus.CounterVec

	srv  *http.Server
	ln   net.Listener
	done chan error
}

func newMetrics(cfg MetricsConfig) *metrics {
	if cfg.CityLimit <= 0 {
		cfg.CityLimit = DefaultMetricsCityLimit
	}
	m := &metrics{cfg: cfg, registry: prometheus.NewRegistry()}
	f := func(c prometheus.Collector) { m.registry.MustRegister(c) }
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opencity_http_requests_total",
		Help: "HTTP requests answered, by method, route template and status (499: the client left first)."},
		[]string{"method", "route", "status"})
	m.httpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opencity_http_request_duration_seconds",
		Help: "Time to answer HTTP requests, by method and route template.", Buckets: prometheus.DefBuckets},
		[]string{"method", "route"})
	m.intake = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opencity_intake_total",
		Help: "New requests stored, by city, channel and the source of the routing decision."},
		[]string{"city", "channel", "source"})
	m.jobRuns = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opencity_job_runs_total",
		Help: "Jobs this process ran, by kind and outcome: done, retried (runs again later) or failed (after its last attempt)."},
		[]string{"kind", "outcome"})
	m.pluginCalls = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opencity_plugin_calls_total",
		Help: "Route calls to routing plugins, by plugin (name@version) and outcome (ok or error)."},
		[]string{"plugin", "outcome"})
	m.pluginLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "opencity_plugin_call_duration_seconds",
		Help:    "Time of Route calls to routing plugins, by plugin; a call's deadline is 200 ms.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .2, .5, 1}}, []string{"plugin"})
	m.pluginRestarts = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "opencity_plugin_restarts_total",
		Help: "Plugin processes started again after a crash or a hang, by plugin."}, []string{"plugin"})
	for _, c := range []prometheus.Collector{m.httpRequests, m.httpLatency, m.intake, m.jobRuns, m.pluginCalls,
		m.pluginLatency, m.pluginRestarts, collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})} {
		f(c)
	}
	return m
}

// pluginHooks are the plugin host's options that report to m.
func (m *metrics) pluginHooks(o host.Options) host.Options {
	o.OnCall = func(ref string, took time.Duration, err error) {
		outcome := "ok"
		if err != nil {
			outcome = "error"
		}
		m.pluginCalls.WithLabelValues(ref, outcome).Inc()
		m.pluginLatency.WithLabelValues(ref).Observe(took.Seconds())
	}
	o.OnRestart = func(ref string) { m.pluginRestarts.WithLabelValues(ref).Inc() }
	return o
}

// watch registers what is read from the server on each scrape — the
// database pool, the job queue, each city's overdue and waiting requests —
// and counts the queue's job outcomes.
func (m *metrics) watch(ctx context.Context, s *Server) {
	b := s.Backend
	m.registry.MustRegister(collectors.NewDBStatsCollector(b.Control.DB, "control"))
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opencity_db_statements_total",
		Help: "Statements this process sent to PostgreSQL, BEGIN and COMMIT included: its round trips."},
		func() float64 { n, _ := b.Sent(); return float64(n) }))
	m.registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "opencity_db_transactions_total",
		Help: "Transactions this process began on PostgreSQL."},
		func() float64 { _, n := b.Sent(); return float64(n) }))
	b.Jobs.OnFinish = func(kind, outcome string) { m.jobRuns.WithLabelValues(kind, outcome).Inc() }
	m.registry.MustRegister(&queueCollector{s: s, desc: prometheus.NewDesc("opencity_job_queue_jobs",
		"Jobs in the durable queue, by state (available: waiting to run).", []string{"state"}, nil)})
	m.registry.MustRegister(&cityCollector{m: m, s: s,
		overdue: prometheus.NewDesc("opencity_requests_overdue",
			"Open requests past their reaction or resolution time, by city.", []string{"city"}, nil),
		waiting: prometheus.NewDesc("opencity_requests_waiting",
			"Requests waiting in the dispatcher's triage queue (new or returned), by city.", []string{"city"}, nil)})
	if ts, err := b.Registry().List(ctx); err == nil {
		m.cities.Store(int64(len(ts)))
	}
}

// city is the city label of a metric: the slug while the cities are few
// enough, else allCities.
func (m *metrics) city(slug string) string {
	if m.cities.Load() > int64(m.cfg.CityLimit) {
		return allCities
	}
	return slug
}

// Intake implements core.IntakeObserver.
func (m *metrics) Intake(city string, channel core.Channel, source string) {
	m.intake.WithLabelValues(m.city(city), string(channel), source).Inc()
}

// observeHTTP is the middleware that counts and times every request by
// its route template (gin's FullPath), never by its raw path.
func (m *metrics) observeHTTP(c *gin.Context) {
	start := time.Now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	m.httpRequests.WithLabelValues(c.Request.Method, route, strconv.Itoa(answeredStatus(c))).Inc()
	m.httpLatency.WithLabelValues(c.Request.Method, route).Observe(time.Since(start).Seconds())
}

// handler serves the registry in Prometheus' text format, to holders of the
// token when one is set.
func (m *metrics) handler() gin.HandlerFunc {
	return m.guard(promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(slog.Default().Handler(), slog.LevelWarn)}))
}

// routes adds /metrics and, with Profiling, /debug/pprof/ to r.
func (m *metrics) routes(r *gin.Engine) {
	r.GET("/metrics", m.handler())
	if !m.cfg.Profiling {
		return
	}
	r.GET("/debug/pprof/*name", m.guard(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		switch strings.TrimPrefix(req.URL.Path, "/debug/pprof/") {
		case "cmdline":
			pprof.Cmdline(w, req)
		case "profile":
			pprof.Profile(w, req)
		case "symbol":
			pprof.Symbol(w, req)
		case "trace":
			pprof.Trace(w, req)
		default: // the index and the named profiles: heap, goroutine, allocs, …
			pprof.Index(w, req)
		}
	})))
}

// guard serves h to holders of the token when one is set.
func (m *metrics) guard(h http.Handler) gin.HandlerFunc {
	return func(c *gin.Context) {
		if m.cfg.Token != "" {
			got := []byte(c.GetHeader("Authorization"))
			if subtle.ConstantTimeCompare(got, []byte("Bearer "+m.cfg.Token)) != 1 {
				c.Header("WWW-Authenticate", `Bearer realm="opencity metrics"`)
				c.AbortWithStatus(http.StatusUnauthorized)
				return
			}
		}
		h.ServeHTTP(c.Writer, c.Request)
	}
}

// mount serves /metrics on the main router when a token protects it and no
// address of its own is set.
func (m *metrics) mount(r *gin.Engine) {
	if m.cfg.Token != "" && m.cfg.Addr == "" {
		m.routes(r)
	}
}

// listen serves /metrics on the address of its own, if one is set.
func (m *metrics) listen() error {
	if m.cfg.Addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", m.cfg.Addr)
	if err != nil {
		return err
	}
	r := gin.New()
	m.routes(r)
	m.ln, m.srv, m.done = ln, &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second}, make(chan error, 1)
	go func() { m.done <- m.srv.Serve(ln) }()
	return nil
}

// addr is the address /metrics listens on of its own; "" when none.
func (m *metrics) addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr().String()
}

func (m *metrics) close() error {
	if m.srv == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := m.srv.Shutdown(ctx)
	if serr := <-m.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

// queueCollector reads the job queue's depth at each scrape.
type queueCollector struct {
	s    *Server
	desc *prometheus.Desc
}

func (q *queueCollector) Describe(ch chan<- *prometheus.Desc) { ch <- q.desc }

func (q *queueCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	stats, err := q.s.Backend.Jobs.Stats(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(q.desc, err)
		return
	}
	for state, n := range stats {
		ch <- prometheus.MustNewConstMetric(q.desc, prometheus.GaugeValue, float64(n), state)
	}
}

// cityCollector counts every serving city's overdue and waiting requests,
// at most once per cityGaugesTTL (a scrape in between gets the last
// counts), and keeps the city count that bounds the city labels. A city
// whose storage cannot be read is left out (and logged), not the others.
type cityCollector struct {
	m                *metrics
	s                *Server
	overdue, waiting *prometheus.Desc

	mu     sync.Mutex
	at     time.Time
	counts map[string][2]int // city label → overdue, waiting
}

func (cc *cityCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- cc.overdue
	ch <- cc.waiting
}

func (cc *cityCollector) Collect(ch chan<- prometheus.Metric) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.counts == nil || time.Since(cc.at) >= cityGaugesTTL {
		counts, err := cc.count()
		if err != nil {
			ch <- prometheus.NewInvalidMetric(cc.overdue, err)
			return
		}
		cc.counts, cc.at = counts, time.Now()
	}
	for city, n := range cc.counts {
		ch <- prometheus.MustNewConstMetric(cc.overdue, prometheus.GaugeValue, float64(n[0]), city)
		ch <- prometheus.MustNewConstMetric(cc.waiting, prometheus.GaugeValue, float64(n[1]), city)
	}
}

func (cc *cityCollector) count() (map[string][2]int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := cc.s.Backend
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return nil, err
	}
	cc.m.cities.Store(int64(len(ts)))
	now := cc.s.now()
	counts := map[string][2]int{}
	for _, t := range ts {
		if !t.Serving() {
			continue
		}
		st, err := b.Store(t.Slug)
		if err != nil {
			slog.Warn("metrics: city not counted", "city", t.Slug, "err", err)
			continue
		}
		overdue, waiting, err := st.QueueCounts(ctx, now)
		if err != nil {
			slog.Warn("metrics: city not counted", "city", t.Slug, "err", err)
			continue
		}
		label := cc.m.city(t.Slug)
		n := counts[label]
		counts[label] = [2]int{n[0] + overdue, n[1] + waiting}
	}
	return counts, nil
}

var (
	_ core.IntakeObserver  = (*metrics)(nil)
	_ prometheus.Collector = (*cityCollector)(nil)
)
