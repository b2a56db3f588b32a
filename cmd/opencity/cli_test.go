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

	"github.com/opencity/opencity/tenants/tenanttest"
)

func env(db tenanttest.DB, extra ...string) func(string) string {
	m := map[string]string{"DATABASE_URL": db.DatabaseURL, "OPENCITY_DATA": db.DataDir}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return func(k string) string { return m[k] }
}

func TestCLI(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			ctx := context.Background()
			cli := func(args ...string) (string, error) {
				var out bytes.Buffer
				err := run(ctx, args, env(db), &out)
				return out.String(), err
			}
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
