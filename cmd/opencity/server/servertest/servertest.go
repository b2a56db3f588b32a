// Package servertest starts a real OpenCity server, built by package server
// from the real wiring, on 127.0.0.1:0 over a fresh test database of either
// backend, with the demo cities; tests talk to it through an apitest.Client.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Main runs a package's tests with the request logs silenced (warnings and
// errors stay): call it from TestMain.
func Main(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}

// Server is a started server and a client of its kazan API.
type Server struct {
	*server.Server
	*apitest.Client
	DB tenanttest.DB
}

// Start starts a demo server on a new database of kind ("sqlite",
// "postgres" or "pgbouncer", see tenanttest.New) with the base domain
// opencity.test; edit, when given, changes the configuration first. The
// server stops when the test ends.
func Start(t testing.TB, kind string, edit ...func(*server.Config)) *Server {
	t.Helper()
	db := tenanttest.New(t, kind)
	cfg := server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true, BaseDomain: "opencity.test"}
	for _, e := range edit {
		e(&cfg)
	}
	return StartConfig(t, db, cfg)
}

// StartOne starts a demo server as Start does, on one backend: the first
// that the run selects (tenanttest.Kinds), for a test whose subject does
// not depend on the database. A run under the race detector on PostgreSQL
// so takes it on PostgreSQL, the SQLite run on SQLite.
func StartOne(t testing.TB, edit ...func(*server.Config)) *Server {
	t.Helper()
	return Start(t, tenanttest.Kinds[0], edit...)
}

// StartConfig starts a server on db with cfg as it is (two servers over one
// database, a server without the demo).
func StartConfig(t testing.TB, db tenanttest.DB, cfg server.Config) *Server {
	t.Helper()
	s, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Server{Server: s, Client: apitest.NewClient(t, s.URL(), "kazan"), DB: db}
}

// InCity runs fn in a transaction of the city's storage.
func (s *Server) InCity(t testing.TB, city string, fn func(context.Context, bun.Tx) error) {
	t.Helper()
	scope, err := s.Backend.Scope(city)
	if err != nil {
		t.Fatal(err)
	}
	if err := scope.RunInTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// AddUser adds an active user with password "demo" to a city straight into
// its storage: org is the organization's code ("" for none); user's
// password hash, role and activity are set here.
func (s *Server) AddUser(t testing.TB, city string, user core.User, org string) {
	t.Helper()
	scope, err := s.Backend.Scope(city)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := core.HashPassword(apitest.DemoPassword)
	user.PasswordHash, user.Active = hash, true
	if err := store.New(scope).Seed(context.Background(), store.SeedData{Users: []store.SeedUser{{User: user, Organization: org}}}); err != nil {
		t.Fatal(err)
	}
}

// Clock is a clock a test sets and moves forward; its Now is the server's
// Config.Now. It is safe for the server's goroutines.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock that reads t until moved.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now is the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Add moves the clock forward by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Moscow is the time "2006-01-02 15:04" in Europe/Moscow, the demo cities'
// zone.
func Moscow(s string) time.Time {
	loc, err := time.LoadLocation("Europe/Moscow")
	if err != nil {
		panic(err)
	}
	t, err := time.ParseInLocation("2006-01-02 15:04", s, loc)
	if err != nil {
		panic(err)
	}
	return t
}

// OrgIDs maps the organization codes of a city to their ids.
func (s *Server) OrgIDs(t testing.TB, city string) map[string]int64 {
	t.Helper()
	scope, err := s.Backend.Scope(city)
	if err != nil {
		t.Fatal(err)
	}
	dir, err := store.New(scope).Directory(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]int64{}
	for _, o := range dir.Organizations {
		m[o.Code] = o.ID
	}
	return m
}

var (
	kazanBuild    sync.Once
	kazanBinary   string
	kazanBuildErr error
)

// KazanPlugin builds Kazan's routing plugin once per test run and returns a
// copy of the binary in the test's temporary folder (a server may be given
// it as Config.KazanPlugin).
func KazanPlugin(t testing.TB) string {
	t.Helper()
	kazanBuild.Do(func() {
		root, err := exec.Command("go", "env", "GOMOD").Output()
		if err != nil {
			kazanBuildErr = fmt.Errorf("go env GOMOD: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "opencity-kazan-")
		if err != nil {
			kazanBuildErr = err
			return
		}
		kazanBinary = filepath.Join(dir, "opencity-kazan")
		cmd := exec.Command("go", "build", "-o", kazanBinary, "./plugins/cities/kazan")
		cmd.Dir = filepath.Dir(strings.TrimSpace(string(root)))
		if out, err := cmd.CombinedOutput(); err != nil {
			kazanBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if kazanBuildErr != nil {
		t.Fatal(kazanBuildErr)
	}
	b, err := os.ReadFile(kazanBinary)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "opencity-kazan")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}
