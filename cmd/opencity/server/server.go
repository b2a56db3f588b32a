// Package server wires one OpenCity server: the backend over every city,
// the JSON API, the pages and consoles, billing, metrics, the job queue and
// the fleet heartbeat. `opencity serve` runs it; tests start it on
// 127.0.0.1:0 with the configuration they need.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/admin/cityconsole"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/core/sms"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/plugins/host"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/access"
	"github.com/opencity/opencity/tenants/billing"
	"github.com/opencity/opencity/tenants/demo"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/signup"
	"github.com/opencity/opencity/tenants/vendorapi"
)

// Config is everything the server reads from its environment.
type Config struct {
	DatabaseURL string // PostgreSQL when set, embedded SQLite otherwise
	DataDir     string // SQLite files (and local uploads) live here
	Addr        string
	BaseDomain  string // <slug>.<BaseDomain> resolves to a city
	Demo        bool   // seed the demo cities and accounts at start
	KazanPlugin string // demo mode: Kazan's plugin binary (OPENCITY_KAZAN_PLUGIN)
	// Now is the clock; nil means time.Now. Tests set it to check deadlines.
	Now func() time.Time
	// Intake: the group commit of new requests.
	Intake IntakeConfig
	// Billing: Stripe keys, plans, grace period; off without a key.
	Billing billing.Config
	// Sessions: the page sessions' lifetime, idle timeout and cookies.
	Sessions SessionConfig
	// Limits bound time and sizes per request; zero fields take DefaultLimits.
	Limits Limits
	// TrustedProxies are the addresses and CIDR ranges of the reverse
	// proxies whose X-Forwarded-For and X-Real-IP headers name the client
	// (OPENCITY_TRUSTED_PROXIES, comma-separated). Empty: no proxy is
	// trusted and the client is the connection's peer address.
	TrustedProxies []string
	// RateLimits are the per-address rate limits; zero rules take
	// ratelimit.Defaults.
	RateLimits ratelimit.Rules
	// Metrics says where /metrics is served (never publicly).
	Metrics MetricsConfig
	// SMTPURL is the mail server (OPENCITY_SMTP_URL, smtp://[user:pw@]host:port
	// or smtps://…) and MailFrom the sender (OPENCITY_MAIL_FROM). Without a
	// server, demo mode writes e-mails to the log and other modes refuse
	// signups, which need the administrator's confirmation.
	SMTPURL, MailFrom string
	// Photos: the folder DataDir/uploads, or an S3-compatible bucket that
	// every replica sees.
	Photos PhotoStorage
	// Fleet: a dedicated installation's heartbeat to the vendor, and the
	// vendor's silence limit for its installations.
	Fleet FleetConfig
	// SMS is the gateway of notification SMS; none when its key is empty.
	SMS SMSConfig
	// WebhookTimeout bounds how long a webhook receiver may take to answer;
	// zero is tenants.RelayTimeout.
	WebhookTimeout time.Duration
}

// DefaultMailFrom is the sender of e-mails unless OPENCITY_MAIL_FROM says.
const DefaultMailFrom = "OpenCity <noreply@opencity.localhost>"

// mailer returns the configured mail sender: SMTP, the log in demo mode, or
// nil (signups refused).
func mailer(cfg Config) (mail.Sender, error) {
	from := cfg.MailFrom
	if from == "" {
		from = DefaultMailFrom
	}
	switch {
	case cfg.SMTPURL != "":
		s, err := mail.ParseURL(cfg.SMTPURL, from)
		if err != nil {
			return nil, fmt.Errorf("OPENCITY_SMTP_URL: %w", err)
		}
		return s, nil
	case cfg.Demo:
		slog.Warn("OPENCITY_SMTP_URL is not set: demo mode writes e-mails (signup confirmation links) to the log")
		return mail.Log{}, nil
	}
	slog.Warn("OPENCITY_SMTP_URL is not set: signups are refused, as nobody could confirm them")
	return nil, nil
}

// Server is a running OpenCity: backend, resolver and HTTP server. Tests
// start it on 127.0.0.1:0.
type Server struct {
	Backend    *tenants.Backend
	Cities     *tenants.Cities
	Plugins    *host.Host // routing plugin processes; stopped by Close
	Handler    http.Handler
	Billing    *billing.Service
	Kit        *web.Kit // the shared page kit
	authz      *access.Authorizer
	rateLimits *ratelimit.Limiters
	proxies    []string

	http   *http.Server
	ln     net.Listener
	done   chan error
	photos core.Blobs
	limits Limits
	// notifyChannels are the notification channels configured.
	notifyChannels cityconsole.Channels
	now            func() time.Time
	metrics        *metrics
	stopJobs       context.CancelFunc
	jobsDone       chan struct{}
	fleet          FleetConfig
	requests       atomic.Int64 // requests processed since the start, for the heartbeat
	beatDone       chan struct{}
}

// New opens the backend, migrates every city, seeds demo data in demo
// mode and builds the HTTP handler.
func New(ctx context.Context, cfg Config) (*Server, error) {
	gin.SetMode(gin.ReleaseMode) // before the first engine, so gin prints no debug banner
	if cfg.Limits.Err != nil {
		return nil, cfg.Limits.Err
	}
	if cfg.Fleet.Err != nil {
		return nil, cfg.Fleet.Err
	}
	if cfg.Intake.Err != nil {
		return nil, cfg.Intake.Err
	}
	if cfg.Metrics.Err != nil {
		return nil, cfg.Metrics.Err
	}
	photos, err := OpenPhotos(ctx, cfg)
	if err != nil {
		return nil, err
	}
	b, err := tenants.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	b.Now = cfg.Now // the cities' stores read it
	b.Batching = cfg.Intake.Batching
	if cfg.Demo {
		if err := demo.Seed(ctx, b); err != nil {
			b.Close()
			return nil, fmt.Errorf("demo seed: %w", err)
		}
	}
	// One city never blocks the others: a city without storage yet is
	// skipped, a city whose migration fails is logged and stays out of
	// service (until `opencity migrate` or a later start migrates it).
	results, err := b.MigrateAll(ctx, tenants.MigrateOptions{})
	var failed tenants.MigrationFailures
	if err != nil && !errors.As(err, &failed) {
		b.Close()
		return nil, fmt.Errorf("migrate cities: %w", err)
	}
	for _, r := range results {
		switch {
		case r.Err != nil:
			slog.Error("city not migrated: it is out of service", "city", r.Slug, "status", r.Status, "err", r.Err)
		case r.Skipped != "":
			slog.Info("city not migrated", "city", r.Slug, "reason", r.Skipped)
		}
	}
	if err := gin.New().SetTrustedProxies(cfg.TrustedProxies); err != nil {
		b.Close()
		return nil, fmt.Errorf("OPENCITY_TRUSTED_PROXIES: %w", err)
	}
	m := newMetrics(cfg.Metrics)
	s := &Server{Backend: b, Cities: tenants.NewCities(b, cfg.BaseDomain), Plugins: newPluginHost(b, m),
		photos: photos, now: cfg.Now, limits: cfg.Limits.WithDefaults(), metrics: m, fleet: cfg.Fleet,
		proxies: cfg.TrustedProxies, rateLimits: ratelimit.NewLimiters(cfg.RateLimits.OrDefaults())}
	m.watch(ctx, s)
	b.RegisterSweep(b.Jobs, cfg.Now)
	if bin := demoKazanPlugin(cfg.KazanPlugin); cfg.Demo && bin != "" {
		if err := useDemoKazanPlugin(ctx, b, s.Plugins, bin); err != nil {
			slog.Error("demo Kazan plugin not used; Kazan routes by its built-in rules", "err", err)
		}
	}
	b.Jobs.Every(jobs.Periodic{Every: time.Hour, Enqueue: func(ctx context.Context, q *jobs.Queue, slot time.Time) error {
		_, err := q.Prune(ctx, 7*24*time.Hour)
		return err
	}})
	expireSessions(b)
	// Billing: signup, webhooks and the billing jobs.
	if cfg.Billing.Mail == nil {
		if cfg.Billing.Mail, err = mailer(cfg); err != nil {
			b.Close()
			return nil, err
		}
	}
	if s.Billing, err = billing.New(b, cfg.Billing); err != nil {
		b.Close()
		return nil, fmt.Errorf("billing: %w", err)
	}
	s.Billing.Changed = s.Cities.Invalidate
	// Outbound webhooks: the relay, told of changes by the API and pages.
	relay := tenants.RelayConfig{Mail: cfg.Billing.Mail, Now: cfg.Now}
	if cfg.WebhookTimeout > 0 {
		relay.HTTP = &http.Client{Timeout: cfg.WebhookTimeout}
	}
	b.RegisterRelay(b.Jobs, relay)
	// Notifications of citizens, organizations and staff: e-mail where SMTP
	// is configured (never the demo log: addresses are personal data), SMS
	// where a gateway is.
	notify := tenants.NotifyConfig{Now: cfg.Now, Base: func(slug string) string { return cityBase(cfg, slug) }, SMS: cfg.SMS.Sender()}
	if cfg.SMTPURL != "" && cfg.Billing.Mail != nil {
		notify.Mail = cfg.Billing.Mail
	}
	s.notifyChannels = cityconsole.Channels{Email: notify.Mail != nil}
	if notify.SMS != nil {
		s.notifyChannels.SMS = notify.SMS.Name()
	}
	b.RegisterNotify(b.Jobs, notify)
	// Pages: one authorizer and the page kit.
	s.authz = access.ForBackend(b) // one authorizer (and policy cache) for the API and the pages
	if cfg.SMTPURL != "" && cfg.Billing.Mail != nil {
		b.RegisterWeeklySummary(b.Jobs, tenants.WeeklySummaryMail{Sender: cfg.Billing.Mail, Now: cfg.Now,
			Gate: func(slug string) core.Gate { return core.Gate{Authz: s.authz, City: slug} },
			Link: func(slug string) string { return summaryLink(cfg, slug) }})
	}
	if s.Kit, err = s.newKit(cfg.Sessions, s.authz); err != nil {
		b.Close()
		return nil, err
	}
	s.Handler = s.routes()
	var paths []string
	for _, rt := range s.Engine().Routes() {
		paths = append(paths, rt.Path)
	}
	b.ReserveRoutes(paths) // no city is named like one of the server's own pages
	return s, nil
}

// Engine returns the gin engine behind Handler: its Routes are the mounted
// routes that the access matrix and the OpenAPI check walk.
func (s *Server) Engine() *gin.Engine { return s.Handler.(*gin.Engine) }

// Limits are the server's limits, defaults filled in.
func (s *Server) Limits() Limits { return s.limits }

// Photos is where the server keeps request photos.
func (s *Server) Photos() core.Blobs { return s.photos }

// MetricsAddr is the address of the separate metrics listener of a started
// server ("" when /metrics has no address of its own).
func (s *Server) MetricsAddr() string { return s.metrics.addr() }

func (s *Server) routes() http.Handler {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	_ = r.SetTrustedProxies(s.proxies) // checked by NewServer; nil trusts no proxy
	// The security headers come first, so that every answer carries them,
	// a refused body's and a recovered panic's too.
	r.Use(web.SecurityHeaders, s.metrics.observeHTTP, s.countRequests, requestLog, recoverProblem, s.limits.BodyLimits(s.Kit).Handler,
		web.CompressAssets(web.AssetPrefix, "/signup/assets/"))
	s.metrics.mount(r)
	r.HandleMethodNotAllowed = true
	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "alive"}) })
	r.GET("/readyz", s.ready)
	authz := s.authz
	api := &httpapi.API{Cities: s.Cities, Authz: authz, Policies: authz, Now: s.now, Photos: s.photos,
		Routing: routing{host: s.Plugins, backend: s.Backend}, Intake: s.metrics, Limits: s.rateLimits,
		Statistics: core.NewStatisticsCache(1024), Baselines: core.NewBaselineCache(32), Changes: relayNudge{s.Backend}}
	api.Register(r.Group("/t/:slug"), true)
	api.Register(r, false)
	s.registerImports(api) // scheduled pulls of the import connectors
	open311 := httpapi.Open311{API: api}
	open311.Register(r.Group("/t/:slug"), true)
	open311.Register(r, false)
	signup.Register(r, s.Billing, s.Kit.Forms, s.rateLimits) // /signup… and /billing/webhook
	(&vendorapi.API{Backend: s.Backend, Authz: authz, Now: s.now, Login: s.rateLimits.Login, Heartbeat: s.rateLimits.Heartbeat}).Register(r)
	s.mountPages(r, api) // the page kit, consoles and working pages
	// working pages: the desk, the office and the portal
	s.mountWorkPages(r, api)
	r.NoRoute(s.Kit.NotFound)
	r.NoMethod(func(c *gin.Context) {
		httpapi.WriteProblem(c, core.E(core.EMETHOD, "error.method_not_allowed", "Method", c.Request.Method))
	})
	return r
}

func (s *Server) ready(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	if err := s.Backend.Control.PingContext(ctx); err != nil {
		c.Header("Retry-After", strconv.Itoa(httpapi.RetryAfterUnavailable))
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "database unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready"})
}

// Start listens on addr and serves in the background.
func (s *Server) Start(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	if err := s.metrics.listen(); err != nil {
		ln.Close()
		return fmt.Errorf("metrics address: %w", err)
	}
	s.ln = ln
	s.http = s.limits.httpServer(s.Handler)
	s.done = make(chan error, 1)
	go func() { s.done <- s.http.Serve(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	s.stopJobs, s.jobsDone = cancel, make(chan struct{})
	go func() {
		defer close(s.jobsDone)
		s.Backend.Jobs.Run(ctx)
	}()
	if s.fleet.URL != "" {
		s.beatDone = make(chan struct{})
		go func() {
			defer close(s.beatDone)
			s.heartbeats(ctx)
		}()
	}
	return nil
}

// URL is the base URL of a started server.
func (s *Server) URL() string {
	addr := s.ln.Addr().String()
	// A server listening on every address (":8080") is reached by a
	// person at localhost, not at "[::]".
	if host, port, err := net.SplitHostPort(addr); err == nil {
		if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
			addr = net.JoinHostPort("localhost", port)
		}
	}
	return "http://" + addr
}

// Close stops serving, waits for requests in flight and closes the database.
func (s *Server) Close() error {
	var err error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		err = s.http.Shutdown(ctx)
		if serr := <-s.done; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
			err = errors.Join(err, serr)
		}
		s.stopJobs()
		<-s.jobsDone
		if s.beatDone != nil {
			<-s.beatDone
		}
	}
	err = errors.Join(err, s.metrics.close(), s.Plugins.Close())
	return errors.Join(err, s.Backend.Close())
}

// requestLog gives each request an id, puts it into the request's context
// (so every line logged in the request's scope carries it: see
// httpapi.LogHandler) and logs the request's outcome.
func requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-ID")
	if id == "" || len(id) > 64 {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	}
	c.Header("X-Request-ID", id)
	c.Request = c.Request.WithContext(httpapi.NewContextWithRequestID(c.Request.Context(), id))
	c.Next()
	// c.Request now carries what later handlers learnt: the city, the user.
	slog.InfoContext(c.Request.Context(), "http", "method", c.Request.Method, "path", c.Request.URL.Path,
		"status", answeredStatus(c), "took", time.Since(start))
}

// recoverProblem turns a panic into a logged internal-error problem.
func recoverProblem(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			httpapi.WriteProblem(c, fmt.Errorf("panic: %v", v))
		}
	}()
	c.Next()
}

// summaryLink is the address of a city's weekly summary page in e-mails:
// under OPENCITY_PUBLIC_URL, else the city's own host under the base
// domain, else a path on this server.
func summaryLink(cfg Config, slug string) string {
	path := "/t/" + slug + "/hq/summary"
	switch {
	case cfg.Billing.PublicURL != "":
		return cfg.Billing.PublicURL + path
	case cfg.BaseDomain != "":
		return "https://" + slug + "." + cfg.BaseDomain + path
	}
	return path
}

// cityBase is the address of a city's pages in e-mails and SMS: under
// OPENCITY_PUBLIC_URL, else the city's own host under the base domain,
// else a path on this server.
func cityBase(cfg Config, slug string) string {
	switch {
	case cfg.Billing.PublicURL != "":
		return strings.TrimRight(cfg.Billing.PublicURL, "/") + "/t/" + slug
	case cfg.BaseDomain != "":
		return "https://" + slug + "." + cfg.BaseDomain
	}
	return "/t/" + slug
}

// relayNudge runs a city's webhook relay and notifier soon after its
// requests changed.
type relayNudge struct{ b *tenants.Backend }

func (r relayNudge) Changed(city string) {
	r.b.NudgeRelay(city)
	r.b.NudgeNotify(city)
}

// SMSConfig chooses the SMS gateway: SMS.ru with its api_id
// (OPENCITY_SMSRU_API_ID), sender name (OPENCITY_SMSRU_FROM) and API
// address (OPENCITY_SMSRU_URL, for a test double).
type SMSConfig struct {
	SMSRuAPIID, SMSRuFrom, SMSRuURL string
}

// SMSConfigFromEnv reads SMSConfig from the environment.
func SMSConfigFromEnv(getenv func(string) string) SMSConfig {
	return SMSConfig{SMSRuAPIID: getenv("OPENCITY_SMSRU_API_ID"), SMSRuFrom: getenv("OPENCITY_SMSRU_FROM"), SMSRuURL: getenv("OPENCITY_SMSRU_URL")}
}

// Sender is the configured gateway, nil for none.
func (c SMSConfig) Sender() sms.Sender {
	if c.SMSRuAPIID == "" {
		return nil
	}
	return &sms.SMSRu{APIID: c.SMSRuAPIID, From: c.SMSRuFrom, BaseURL: c.SMSRuURL}
}
