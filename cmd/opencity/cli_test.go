package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

func env(db tenanttest.DB, extra ...string) func(string) string {
	m := map[string]string{"DATABASE_URL": db.DatabaseURL, "OPENCITY_DATA": db.DataDir}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

// runner runs command lines of opencity against db and returns what they print.
func runner(db tenanttest.DB) func(args ...string) (string, error) {
	return func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), args, env(db), &out)
		return out.String(), err
	}
}

func TestCLI(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			cli := runner(db)
			out, err := cli("tenant", "create", "--slug", "almetyevsk", "--name", "Альметьевск", "--admin-password", "s3cret-pass")
			if err != nil || !strings.Contains(out, "almetyevsk (Альметьевск) is active") {
				t.Fatalf("create: %v\n%s", err, out)
			}
			out, err = cli("tenant", "create", "--slug", "yelabuga", "--name", "Елабуга")
			if err != nil || !strings.Contains(out, `password "`) {
				t.Fatalf("create with a generated password: %v\n%s", err, out)
			}
			if _, err := cli("tenant", "create", "--slug", `kazan"; drop schema x;--`, "--name", "x"); err == nil || !strings.Contains(err.Error(), "slug") {
				t.Errorf("forged slug accepted: %v", err)
			}
			if _, err := cli("tenant", "create", "--slug", "yelabuga", "--name", "again"); err == nil || !strings.Contains(err.Error(), "exists") {
				t.Errorf("duplicate slug: %v", err)
			}
			if out, err = cli("tenant", "suspend", "yelabuga"); err != nil || !strings.Contains(out, "yelabuga is now suspended") {
				t.Errorf("suspend: %v %s", err, out)
			}
			if _, err = cli("tenant", "suspend", "nowhere"); err == nil {
				t.Error("suspending an unknown city succeeded")
			}
			out, _ = cli("tenant", "list")
			if !strings.Contains(out, "almetyevsk") || !regexpLine(out, "yelabuga", "suspended") {
				t.Errorf("list:\n%s", out)
			}
			if out, err = cli("tenant", "resume", "yelabuga"); err != nil || !strings.Contains(out, "yelabuga is now active") {
				t.Errorf("resume: %v %s", err, out)
			}
			out, err = cli("migrate", "--parallel", "2")
			if err != nil || !strings.Contains(out, "2 cities, 0 migrations applied, 0 failed") || !strings.Contains(out, "[2/2]") {
				t.Errorf("migrate: %v\n%s", err, out)
			}
			if _, err = cli("seed"); err == nil {
				t.Error("seed without --demo succeeded")
			}
			if out, err = cli("seed", "--demo"); err != nil || !strings.Contains(out, "kazan, nizhnekamsk, nizhny-novgorod") {
				t.Errorf("seed: %v %s", err, out)
			}
			if out, _ = cli("tenant", "list"); strings.Count(out, "active") != 5 {
				t.Errorf("after seeding:\n%s", out)
			}
		})
	}
}

func regexpLine(out, a, b string) bool {
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, a) && strings.Contains(l, b) {
			return true
		}
	}
	return false
}

func TestHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--help"}, env(tenanttest.DB{}), &out); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"serve", "migrate", "tenant create", "tenant list", "tenant suspend", "tenant resume", "seed --demo", "DATABASE_URL", "OPENCITY_DATA", "OPENCITY_ADDR"} {
		if !strings.Contains(out.String(), cmd) {
			t.Errorf("--help does not explain %q", cmd)
		}
	}
	if err := run(context.Background(), []string{"fly"}, env(tenanttest.DB{}), io.Discard); err == nil {
		t.Error("unknown command accepted")
	}
}

// The zero-configuration path of the README: serve with nothing but a data
// folder comes up with the three demo cities and prints the demo accounts.
func TestServeZeroConfig(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve"}, env(tenanttest.DB{DataDir: dir}, "OPENCITY_ADDR", "127.0.0.1:0"), pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	var url string
	var lines []string
	deadline := time.AfterFunc(30*time.Second, func() { pw.CloseWithError(io.ErrUnexpectedEOF) })
	defer deadline.Stop()
	for sc.Scan() {
		l := sc.Text()
		lines = append(lines, l)
		if i := strings.Index(l, "http://"); i >= 0 && url == "" {
			url = strings.Fields(l[i:])[0]
		}
		if strings.Contains(l, "citizen") {
			break
		}
	}
	go io.Copy(io.Discard, pr)
	all := strings.Join(lines, "\n")
	for _, want := range []string{"kazan", "nizhnekamsk", "nizhny-novgorod", "vendor", "dispatcher", "operator", "analyst", "citizen", `password "demo"`} {
		if !strings.Contains(all, want) {
			t.Errorf("start-up output lacks %q:\n%s", want, all)
		}
	}
	resp, err := http.Get(url + "/t/nizhny-novgorod/api/v1")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET city index: %v %v", resp, err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve ended with %v", err)
	}
}

// One city never blocks the others: an unpaid signup (no storage) is
// skipped, a city whose migration fails is reported and kept out of service,
// `migrate` fails only for a city that was in service, and the server starts
// and serves every other city.
func TestMigrateAndServeAroundBrokenCities(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			ctx := context.Background()
			cli := runner(db)
			for _, slug := range []string{"alpha", "beta"} {
				if out, err := cli("tenant", "create", "--slug", slug, "--name", slug, "--admin-password", "s3cret-pass"); err != nil {
					t.Fatalf("create %s: %v\n%s", slug, err, out)
				}
			}
			b, err := tenants.Open(ctx, db.DatabaseURL, db.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			if _, err := b.Registry().CreatePending(ctx, tenants.NewTenant{Slug: "gamma", Name: "Гамма"}); err != nil {
				t.Fatal(err)
			}
			out, err := cli("migrate")
			if err != nil || !strings.Contains(out, "3 cities, 0 migrations applied, 0 failed") ||
				!regexpLine(out, "gamma", "no storage yet (pending)") || !strings.Contains(out, "skipped:    1") {
				t.Fatalf("migrate with a pending signup: %v\n%s", err, out)
			}
			// beta's ledger forgets its first migration, which then fails.
			beta, _ := b.Scope("beta")
			err = beta.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				_, err := tx.NewRaw("DELETE FROM schema_migrations WHERE version = 1").Exec(ctx)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			out, err = cli("migrate")
			if err == nil || !strings.Contains(err.Error(), "beta") || strings.Contains(err.Error(), "alpha") {
				t.Errorf("migrate with a broken city in service: err %v", err)
			}
			if !strings.Contains(out, "1 failed") || !regexpLine(out, "beta", "active") || !strings.Contains(out, "up to date: 1") {
				t.Errorf("migrate summary:\n%s", out)
			}
			if out, _ := cli("tenant", "list"); !regexpLine(out, "beta", "migration failed") {
				t.Errorf("tenant list does not show beta's failure:\n%s", out)
			}

			s, err := server.New(ctx, server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir})
			if err != nil {
				t.Fatalf("the server refuses to start because of one city: %v", err)
			}
			defer s.Close()
			if err := s.Start("127.0.0.1:0"); err != nil {
				t.Fatal(err)
			}
			for slug, want := range map[string]int{"alpha": 200, "beta": 404, "gamma": 404} {
				resp, err := http.Get(s.URL() + "/t/" + slug + "/api/v1")
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != want {
					t.Errorf("GET /t/%s/api/v1: %d, want %d", slug, resp.StatusCode, want)
				}
			}

			// A failure of a city not yet in service (its provisioning will
			// finish it) is reported but does not fail the run.
			if _, err := b.Control.NewRaw("UPDATE ? SET status = ? WHERE slug = 'beta'", b.ControlTable("tenants"), tenants.StatusProvisioning).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if out, err := cli("migrate"); err != nil || !regexpLine(out, "beta", "provisioning") || !strings.Contains(out, "1 failed") {
				t.Errorf("migrate with a broken provisioning city: %v\n%s", err, out)
			}
		})
	}
}

// serveOnce runs `opencity serve` until it is up, stops it and returns what
// it printed.
func serveOnce(t *testing.T, db tenanttest.DB, args []string, extra ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &servertest.Logs{} // written by the serving goroutine
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve"}, args...), env(db, append([]string{"OPENCITY_ADDR", "127.0.0.1:0"}, extra...)...), out)
	}()
	deadline := time.After(60 * time.Second)
	for !strings.Contains(out.String(), "is serving on") {
		select {
		case err := <-done:
			return out.String(), err
		case <-deadline:
			t.Fatalf("serve did not come up:\n%s", out.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	cancel() // the banner, cities and accounts included, is written in one piece
	return out.String(), <-done
}

// The demo is the embedded default of a fresh machine; a deployment runs in
// production unless --demo says otherwise.
func TestServeDemoMode(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			off := []string{}
			if kind == "sqlite" {
				off = []string{"OPENCITY_DEMO", "false"} // as the container image and the systemd unit set it
			}
			out, err := serveOnce(t, db, nil, off...)
			if err != nil || strings.Contains(out, "kazan") || strings.Contains(out, "Demo accounts") {
				t.Fatalf("production start: %v\n%s", err, out)
			}
			out, err = serveOnce(t, db, []string{"--demo"}, off...)
			if err != nil || !strings.Contains(out, "kazan") || !strings.Contains(out, `password "demo"`) {
				t.Fatalf("serve --demo: %v\n%s", err, out)
			}
		})
	}
	db := tenanttest.New(t, "sqlite")
	if _, err := serveOnce(t, db, nil, "OPENCITY_DEMO", "maybe"); err == nil || !strings.Contains(err.Error(), "OPENCITY_DEMO") {
		t.Errorf("OPENCITY_DEMO=maybe: %v", err)
	}
}
