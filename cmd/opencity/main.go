// Command opencity runs OpenCity: the server, migrations across all cities,
// tenant administration and demo seeding.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mattn/go-isatty"
	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
	"github.com/opencity/opencity/tenants/demo"
)

const usage = `opencity — citizens' requests about housing and communal services, for many cities.

Usage:
  opencity serve [--demo]     run the server (embedded SQLite with demo cities unless DATABASE_URL or OPENCITY_DEMO=false)
  opencity migrate            bring every city's schema to the latest version
                              [--cities a,b] only these cities (an upgrade rolled out city by city)
  opencity tenant create      provision a city: --slug, --name, [--locale ru|en] [--timezone]
                              [--admin-login] [--admin-email] [--admin-password]
  opencity tenant list        list cities with status, plan and schema version
  opencity tenant suspend S   make city S read-only
  opencity tenant resume S    make a suspended city S active again
  opencity seed --demo        add the demo cities and accounts (password "demo")
  opencity plugin add|list|assign   the routing plugin catalog and a city's router
  opencity photos clean [--city S]  re-encode stored photos that still carry metadata (EXIF, GPS)
  opencity bench generate|load|run|report   history generator, load driver, performance budget

Environment:
  DATABASE_URL          postgres://… to use PostgreSQL (a schema per city); unset: SQLite under OPENCITY_DATA
  OPENCITY_DATA         data folder for SQLite and uploads (default ./data)
  OPENCITY_S3_ENDPOINT  keep photos in an S3-compatible bucket at host[:port] instead of OPENCITY_DATA/uploads;
                        with OPENCITY_S3_BUCKET, _ACCESS_KEY, _SECRET_KEY, _REGION, _USE_SSL (default true)
  OPENCITY_ADDR         listen address of serve (default :8080)
  OPENCITY_DEMO         serve's demo mode when --demo is not given: true or false (default: true without DATABASE_URL)
  OPENCITY_BASE_DOMAIN  serve <slug>.<domain> as that city (e.g. opencity.example.org)
  OPENCITY_KAZAN_PLUGIN demo mode: Kazan's plugin binary (default: opencity-kazan next to the executable)
  OPENCITY_TRUSTED_PROXIES  reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For
                        and X-Real-IP name the client; unset: the connection's address is the client
  OPENCITY_SESSION_LIFETIME  a page session's absolute life from its login (default 24h)
  OPENCITY_SESSION_IDLE  end a page session unused this long (default: no idle end)
  OPENCITY_SECURE_COOKIES  true: session cookies only over HTTPS (behind a TLS-terminating proxy)
  STRIPE_SECRET_KEY     turns billing on (self-signup pays through Stripe Checkout); unset: trial cities once confirmed
  STRIPE_WEBHOOK_SECRET verifies POST /billing/webhook (whsec_…)
  STRIPE_API_URL        another Stripe API address (stripe-mock); STRIPE_METER_EVENT meter event name
  OPENCITY_PUBLIC_URL   the server's public address for Stripe's redirects (default: from the request)
  OPENCITY_BILLING_GRACE  past due → suspended after this long (default 168h)
  OPENCITY_PLANS_FILE   JSON list of plans instead of the built-in ones
  OPENCITY_SMTP_URL     mail server, smtp://[user:password@]host[:port] or smtps://… (signup confirmations);
                        unset: demo mode logs e-mails, other servers refuse signups
  OPENCITY_MAIL_FROM    sender of e-mails (default OpenCity <noreply@opencity.localhost>)
  OPENCITY_SMSRU_API_ID  sends notification SMS through SMS.ru with this api_id; unset: no SMS
  OPENCITY_SMSRU_FROM    SMS.ru sender name approved for the account (default: the account's)
  OPENCITY_SMSRU_URL     another SMS.ru API address (default https://sms.ru)
  OPENCITY_SIGNUP_CONFIRM_TTL  an unconfirmed signup is removed after this long (default 48h)
  OPENCITY_METRICS_TOKEN  serve /metrics on the main address to "Authorization: Bearer <token>"
  OPENCITY_FLEET_URL      a dedicated installation: the vendor's server, to send heartbeats to
  OPENCITY_FLEET_TOKEN    the installation's heartbeat token from the vendor's fleet page
  OPENCITY_FLEET_EVERY    time between heartbeats (default 5m)
  OPENCITY_FLEET_SILENCE  the vendor's server: an installation without a heartbeat this long is silent (default 15m)
  OPENCITY_METRICS_ADDR   serve /metrics on an address of its own (none of the two: not served)
  OPENCITY_METRICS_CITY_LIMIT  per-city metric labels up to this many cities (default 50)
  OPENCITY_PPROF        true: also serve Go's profiles at /debug/pprof/ where /metrics is served, same token
  OPENCITY_LOG_FORMAT   json or text (default: text on a terminal, JSON otherwise)
  OPENCITY_READ_TIMEOUT   reading a whole request, body included (default 30s)
  OPENCITY_WRITE_TIMEOUT  writing an answer (default 2m)
  OPENCITY_IDLE_TIMEOUT   closing an idle keep-alive connection (default 2m)
  OPENCITY_UPLOAD_TIMEOUT reading and answering a photo or import upload (default 10m)
  OPENCITY_INTAKE_BATCH_WINDOW  intake's group commit: how long a new request waits for others
                        of its city to share its transaction (default 1ms; 0: only those that
                        came while the previous one was written)
  OPENCITY_INTAKE_BATCH_MAX  new requests per transaction (default 64; 1: no batching)

Run "opencity COMMAND -h" for a command's flags.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(logHandler(os.Stderr, os.Getenv("OPENCITY_LOG_FORMAT"))))
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "opencity:", err)
		os.Exit(1)
	}
}

// configFromEnv reads the server configuration.
func configFromEnv(getenv func(string) string) server.Config {
	cfg := server.Config{
		DatabaseURL: getenv("DATABASE_URL"),
		DataDir:     getenv("OPENCITY_DATA"),
		Addr:        getenv("OPENCITY_ADDR"),
		BaseDomain:  getenv("OPENCITY_BASE_DOMAIN"),
		KazanPlugin: getenv("OPENCITY_KAZAN_PLUGIN"),
		Billing:     billing.ConfigFromEnv(getenv),
		Sessions:    server.SessionConfigFromEnv(getenv),
		Limits:      server.LimitsFromEnv(getenv),
		Metrics:     server.MetricsConfigFromEnv(getenv),
		SMTPURL:     getenv("OPENCITY_SMTP_URL"),
		MailFrom:    getenv("OPENCITY_MAIL_FROM"),
		SMS:         server.SMSConfigFromEnv(getenv),
		Photos:      server.PhotoStorageFromEnv(getenv),
		Fleet:       server.FleetConfigFromEnv(getenv),
		Intake:      server.IntakeFromEnv(getenv),
	}
	for _, p := range strings.Split(getenv("OPENCITY_TRUSTED_PROXIES"), ",") {
		if p = strings.TrimSpace(p); p != "" {
			cfg.TrustedProxies = append(cfg.TrustedProxies, p)
		}
	}
	if cfg.DataDir == "" {
		cfg.DataDir = "data"
	}
	if cfg.Addr == "" {
		cfg.Addr = ":8080"
	}
	return cfg
}

// demoDefault decides whether serve runs the demo when --demo is not
// given: OPENCITY_DEMO when set (true/false, 1/0), otherwise only the
// embedded default without DATABASE_URL — so `opencity serve` on a fresh
// machine is the demo, and a deployment (PostgreSQL, or OPENCITY_DEMO=false
// in the image and the unit) is production.
func demoDefault(cfg server.Config, getenv func(string) string) (bool, error) {
	v := strings.TrimSpace(getenv("OPENCITY_DEMO"))
	if v == "" {
		return cfg.DatabaseURL == "", nil
	}
	on, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("OPENCITY_DEMO=%q: want true or false", v)
	}
	return on, nil
}

// run executes one command line; it is what main and the tests call.
func run(ctx context.Context, args []string, getenv func(string) string, out io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(out, usage)
		if len(args) == 0 {
			return errors.New("no command given")
		}
		return nil
	}
	cfg := configFromEnv(getenv)
	switch args[0] {
	case "serve":
		demo, err := demoDefault(cfg, getenv)
		if err != nil {
			return err
		}
		cfg.Demo = demo
		return serve(ctx, cfg, args[1:], out)
	case "migrate":
		return migrate(ctx, cfg, args[1:], out)
	case "tenant":
		return tenant(ctx, cfg, args[1:], out)
	case "seed":
		return seed(ctx, cfg, args[1:], out)
	case "plugin":
		return pluginCmd(ctx, cfg, args[1:], out)
	case "photos":
		return photosCmd(ctx, cfg, args[1:], out)
	case "bench":
		return benchCmd(ctx, cfg, args[1:], out) // load and benchmarks
	}
	fmt.Fprint(out, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newFlags(name, help string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: opencity %s\n\n%s\n", name, help)
		fs.PrintDefaults()
	}
	return fs
}

func serve(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("serve [--addr :8080]", "Runs the HTTP server. Without DATABASE_URL it uses SQLite under OPENCITY_DATA\nand seeds the demo cities.", out)
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address")
	fs.BoolVar(&cfg.Demo, "demo", cfg.Demo, "seed and serve the demo cities and accounts (password \"demo\");\n"+
		"default: on without DATABASE_URL, unless OPENCITY_DEMO=false (as in the container image and the systemd unit)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	start := time.Now()
	s, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	if err := s.Start(cfg.Addr); err != nil {
		s.Close()
		return err
	}
	where := "SQLite under " + cfg.DataDir
	if cfg.DatabaseURL != "" {
		where = "PostgreSQL"
	}
	ts, err := s.Backend.Registry().List(ctx)
	if err != nil {
		s.Close()
		return err
	}
	// The banner is written in one piece, so whoever reads the output (a
	// person, a supervisor, a test) never sees the first line without the
	// cities and accounts that belong to it.
	var banner strings.Builder
	fmt.Fprintf(&banner, "OpenCity is serving on %s (%s), ready in %s\n", s.URL(), where, time.Since(start).Round(time.Millisecond))
	for _, t := range ts {
		fmt.Fprintf(&banner, "  %-18s %-10s %s/t/%s/api/v1\n", t.Slug, t.Status, s.URL(), t.Slug)
	}
	if cfg.Demo {
		printDemoAccounts(&banner)
	}
	if _, err := io.WriteString(out, banner.String()); err != nil {
		s.Close()
		return err
	}
	<-ctx.Done()
	fmt.Fprintln(out, "shutting down")
	return s.Close()
}

func printDemoAccounts(out io.Writer) {
	fmt.Fprintf(out, "Demo accounts (password %q):\n", demo.Password)
	for _, a := range demo.Accounts {
		where := "every demo city"
		if a.City == "" {
			where = "vendor console"
		}
		fmt.Fprintf(out, "  %-11s %-13s %s\n", a.Login, a.Role, where)
	}
}

func openBackend(ctx context.Context, cfg server.Config) (*tenants.Backend, error) {
	return tenants.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
}

func migrate(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("migrate [--parallel 4] [--cities a,b]", "Migrates every city (or those named); each city has its own ledger, so a failed run resumes where it stopped.", out)
	parallel := fs.Int("parallel", 4, "cities migrated at once")
	only := fs.String("cities", "", "comma-separated slugs: migrate only these cities (an upgrade rolled out city by city)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *parallel < 1 || *parallel > 64 {
		return errors.New("--parallel must be between 1 and 64")
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	var cities []string
	for _, c := range strings.Split(*only, ",") {
		if c = strings.TrimSpace(c); c != "" {
			cities = append(cities, c)
		}
	}
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	total := len(ts)
	if len(cities) > 0 {
		total = len(cities)
	}
	p := newProgress(out, total)
	start := time.Now()
	results, err := b.MigrateAll(ctx, tenants.MigrateOptions{Parallel: *parallel, Progress: p.step, Cities: cities})
	p.finish()
	var failures tenants.MigrationFailures
	if err != nil && !errors.As(err, &failures) {
		return err
	}
	return migrationSummary(out, results, time.Since(start))
}

// migrationSummary prints what a migration run did, city by city where it
// matters, and fails only when a city that was in service failed: a pending
// or provisioning city is finished by its provisioning.
func migrationSummary(out io.Writer, results []tenants.MigrationResult, took time.Duration) error {
	applied, migrated := 0, 0
	var skipped, failed []tenants.MigrationResult
	var servingFailed []string
	for _, r := range results {
		applied += r.Applied
		switch {
		case r.Err != nil:
			failed = append(failed, r)
			if r.Serving() {
				servingFailed = append(servingFailed, r.Slug)
			}
		case r.Skipped != "":
			skipped = append(skipped, r)
		default:
			migrated++
		}
	}
	fmt.Fprintf(out, "%d cities, %d migrations applied, %d failed, in %s\n", len(results), applied, len(failed), took.Round(time.Millisecond))
	fmt.Fprintf(out, "  up to date: %d\n", migrated)
	if len(skipped) > 0 {
		fmt.Fprintf(out, "  skipped:    %d\n", len(skipped))
		for _, r := range skipped {
			fmt.Fprintf(out, "    %-18s %s\n", r.Slug, r.Skipped)
		}
	}
	if len(failed) > 0 {
		fmt.Fprintf(out, "  failed:     %d (out of service until a run migrates them; run again after fixing)\n", len(failed))
		for _, r := range failed {
			fmt.Fprintf(out, "    %-18s %-12s %v\n", r.Slug, r.Status, r.Err)
		}
	}
	if len(servingFailed) > 0 {
		return fmt.Errorf("%d cities in service failed to migrate: %s", len(servingFailed), strings.Join(servingFailed, ", "))
	}
	return nil
}

// progress draws a bar on a terminal and plain lines otherwise.
type progress struct {
	out   io.Writer
	tty   bool
	total int
	done  int
}

func newProgress(out io.Writer, total int) *progress {
	f, ok := out.(*os.File)
	return &progress{out: out, total: total, tty: ok && isatty.IsTerminal(f.Fd())}
}

func (p *progress) step(r tenants.MigrationResult) {
	p.done++
	status := fmt.Sprintf("%d applied, version %d", r.Applied, r.Version)
	switch {
	case r.Err != nil:
		status = "FAILED: " + r.Err.Error()
	case r.Skipped != "":
		status = "skipped: " + r.Skipped
	}
	if !p.tty {
		fmt.Fprintf(p.out, "[%d/%d] %s: %s (%s)\n", p.done, p.total, r.Slug, status, r.Took.Round(time.Millisecond))
		return
	}
	if r.Err != nil {
		fmt.Fprintf(p.out, "\r\033[K%s: %s\n", r.Slug, status)
	}
	const width = 30
	filled := width * p.done / max(p.total, 1)
	fmt.Fprintf(p.out, "\r\033[K[%s%s] %d/%d %s", strings.Repeat("#", filled), strings.Repeat(".", width-filled), p.done, p.total, r.Slug)
}

func (p *progress) finish() {
	if p.tty && p.done > 0 {
		fmt.Fprintln(p.out)
	}
}

func tenant(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	if len(args) == 0 {
		return errors.New("tenant needs a subcommand: create, list, suspend or resume")
	}
	switch args[0] {
	case "create":
		return tenantCreate(ctx, cfg, args[1:], out)
	case "list":
		return tenantList(ctx, cfg, out)
	case "suspend", "resume":
		if len(args) != 2 {
			return fmt.Errorf("usage: opencity tenant %s SLUG", args[0])
		}
		b, err := openBackend(ctx, cfg)
		if err != nil {
			return err
		}
		defer b.Close()
		status := tenants.StatusSuspended
		if args[0] == "resume" {
			status = tenants.StatusActive
		}
		t, err := b.Registry().SetStatus(ctx, "cli", args[1], status)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s is now %s\n", t.Slug, t.Status)
		return nil
	}
	return fmt.Errorf("unknown tenant subcommand %q: use create, list, suspend or resume", args[0])
}

func tenantCreate(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("tenant create --slug SLUG --name NAME", "Provisions a city: schema, migrations, starter categories and its first admin.", out)
	var n tenants.NewTenant
	var a tenants.Admin
	fs.StringVar(&n.Slug, "slug", "", "the city's slug: 2-40 of a-z, 0-9 and -, starting with a letter")
	fs.StringVar(&n.Name, "name", "", "the city's name")
	fs.StringVar(&n.Locale, "locale", "ru", "ru or en")
	fs.StringVar(&n.Timezone, "timezone", "Europe/Moscow", "IANA time zone")
	fs.StringVar(&n.Plan, "plan", "trial", "billing plan")
	fs.StringVar(&a.Login, "admin-login", "admin", "login of the first city admin")
	fs.StringVar(&a.Email, "admin-email", "", "e-mail of the first city admin")
	fs.StringVar(&a.Password, "admin-password", "", "password of the first admin (generated and printed when empty)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// The server as it would serve, without listening: its routes reserve
	// their names, so a city made here is refused the slugs the signup
	// and the vendor console refuse.
	s, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	p, err := s.Backend.Provision(ctx, n, a)
	if err != nil {
		return describe(err)
	}
	fmt.Fprintf(out, "city %s (%s) is %s, provisioned in %s\n", p.Tenant.Slug, p.Tenant.Name, p.Tenant.Status, p.Took.Round(time.Millisecond))
	if p.AdminPassword != "" {
		fmt.Fprintf(out, "admin login %q, password %q (shown once)\n", a.Login, p.AdminPassword)
	}
	return nil
}

// describe turns a domain error with field messages into one readable line.
func describe(err error) error {
	var e *core.Error
	if errors.As(err, &e) {
		return errors.New(e.Error())
	}
	return err
}

func tenantList(ctx context.Context, cfg server.Config, out io.Writer) error {
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	ts, err := b.Registry().List(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tNAME\tSTATUS\tPLAN\tLOCALE\tTIME ZONE\tSCHEMA\tCREATED")
	for _, t := range ts {
		status := t.Status
		if t.MigrationError != "" {
			status += " (migration failed: out of service)"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%d\t%s\n", t.Slug, t.Name, status, t.Plan, t.Locale, t.Timezone,
			t.SchemaVersion, t.CreatedAt.Format("2006-01-02"))
	}
	return w.Flush()
}

func seed(ctx context.Context, cfg server.Config, args []string, out io.Writer) error {
	fs := newFlags("seed --demo", "Adds the demo cities (kazan, nizhnekamsk, nizhny-novgorod) and demo accounts.", out)
	isDemo := fs.Bool("demo", false, "seed the demo cities and accounts")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*isDemo {
		return errors.New("seed needs --demo: demo data is only ever added on purpose")
	}
	b, err := openBackend(ctx, cfg)
	if err != nil {
		return err
	}
	defer b.Close()
	if err := demo.Seed(ctx, b); err != nil {
		return err
	}
	fmt.Fprintf(out, "demo cities seeded: %s\n", strings.Join(demo.Slugs, ", "))
	printDemoAccounts(out)
	return nil
}

// logHandler writes log lines to w from Info up, in format (see
// newLogHandler: JSON unless w is a terminal or format says otherwise); a
// line logged with a request's context carries its request id, city and
// user id.
func logHandler(w io.Writer, format string) slog.Handler {
	return httpapi.NewLogHandler(server.NewLogHandler(w, format, slog.LevelInfo))
}
