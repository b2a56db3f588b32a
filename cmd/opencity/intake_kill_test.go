package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// A server killed with SIGKILL while citizens submit with intake's group
// commit on, then started again on the same database, on both backends:
// every request it acknowledged is still there under the number it
// answered, a retry of a submit that got no answer (the same
// Idempotency-Key) creates at most one request, and the city's numbers have
// neither gaps nor duplicates.
func TestKillDuringBatchedIntake(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "opencity")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			db := tenanttest.New(t, kind)
			srv := startKillable(t, bin, db)
			token := killLogin(t, srv.base)

			var mu sync.Mutex
			acked := map[string]string{} // key → number answered
			var doubt []string           // keys whose submit got no answer
			var failed []string
			stop := make(chan struct{})
			enough := make(chan struct{}) // closed at killAfter acknowledgements
			var wg sync.WaitGroup
			client := &http.Client{Timeout: 10 * time.Second}
			for w := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; ; i++ {
						select {
						case <-stop:
							return
						default:
						}
						key := fmt.Sprintf("kill-%d-%d", w, i)
						status, number, err := killSubmit(client, srv.base, token, key)
						mu.Lock()
						switch {
						case err != nil:
							doubt = append(doubt, key)
						case status == http.StatusCreated:
							acked[key] = number
							if len(acked) == killAfter {
								close(enough)
							}
						default:
							failed = append(failed, fmt.Sprintf("%s: %d", key, status))
						}
						mu.Unlock()
						if err != nil {
							return // the server is gone
						}
					}
				}()
			}
			// The kill comes once killAfter submits are answered, not after
			// a fixed time: on a loaded machine the first answers can take
			// seconds, and the other workers are mid-submit either way.
			select {
			case <-enough:
			case <-time.After(2 * time.Minute):
				mu.Lock()
				t.Errorf("only %d submits answered in 2 minutes", len(acked))
				mu.Unlock()
			}
			if err := srv.cmd.Process.Signal(syscall.SIGKILL); err != nil {
				t.Fatal(err)
			}
			<-srv.exited
			close(stop)
			wg.Wait()
			if len(failed) > 0 {
				t.Fatalf("submits refused before the kill: %v", failed)
			}
			if len(acked) < killAfter {
				t.Fatalf("only %d submits were answered before the kill", len(acked))
			}
			t.Logf("%d submits acknowledged, %d in flight at the kill", len(acked), len(doubt))

			srv = startKillable(t, bin, db)
			// Every acknowledged submit, retried, is the request answered.
			for key, number := range acked {
				status, got, err := killSubmit(client, srv.base, token, key)
				if err != nil || status != http.StatusOK || got != number {
					t.Errorf("acknowledged %s (%s) retried after the restart: %d %q %v", key, number, status, got, err)
				}
			}
			// A submit that got no answer, retried, is stored once.
			for _, key := range doubt {
				status, _, err := killSubmit(client, srv.base, token, key)
				if err != nil || (status != http.StatusOK && status != http.StatusCreated) {
					t.Errorf("in-flight %s retried: %d %v", key, status, err)
				}
			}
			b, err := tenants.Open(context.Background(), db.DatabaseURL, db.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			defer b.Close()
			scope, err := b.Scope("kazan")
			if err != nil {
				t.Fatal(err)
			}
			var rows []struct {
				Key    string `bun:"idempotency_key"`
				Number string `bun:"number"`
			}
			var numbers []string
			err = scope.RunInTx(context.Background(), func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT idempotency_key, number FROM requests WHERE idempotency_key LIKE 'kill-%'").Scan(ctx, &rows); err != nil {
					return err
				}
				return tx.NewRaw("SELECT number FROM requests ORDER BY number").Scan(ctx, &numbers)
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(acked)+len(doubt) {
				t.Errorf("%d requests stored for %d keys", len(rows), len(acked)+len(doubt))
			}
			for _, r := range rows {
				if n, ok := acked[r.Key]; ok && n != r.Number {
					t.Errorf("%s answered %s, stored as %s", r.Key, n, r.Number)
				}
			}
			byYear := map[string]int{}
			for _, n := range numbers {
				year, seq, ok := strings.Cut(n, "-")
				if !ok {
					t.Errorf("number %q", n)
					continue
				}
				byYear[year]++
				if want := fmt.Sprintf("%06d", byYear[year]); seq != want {
					t.Fatalf("numbers of %s have a gap or a duplicate at %s (want %s-%s)", year, n, year, want)
				}
			}
		})
	}
}

// killAfter is how many acknowledged submits the kill waits for.
const killAfter = 40

type killable struct {
	cmd    *exec.Cmd
	base   string
	exited chan struct{} // closed when the process has exited
}

// startKillable runs `opencity serve --demo` on db with intake's group
// commit gathering for 5 ms, and waits until it is ready.
func startKillable(t *testing.T, bin string, db tenanttest.DB) *killable {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DATABASE_URL=") && !strings.HasPrefix(kv, "OPENCITY_") {
			env = append(env, kv)
		}
	}
	env = append(env, "OPENCITY_ADDR="+addr, "OPENCITY_DATA="+db.DataDir, "DATABASE_URL="+db.DatabaseURL,
		"OPENCITY_INTAKE_BATCH_WINDOW=5ms", "OPENCITY_INTAKE_BATCH_MAX=16", "STRIPE_SECRET_KEY=")
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	k := &killable{cmd: cmd, base: "http://" + addr, exited: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(k.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-k.exited
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		select {
		case <-k.exited:
			t.Fatalf("opencity serve exited: %v\n%s", cmd.ProcessState, log.String())
		default:
		}
		if r, err := http.Get(k.base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return k
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("opencity serve not ready\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// killLogin returns a bearer token of kazan's demo citizen.
func killLogin(t *testing.T, base string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"login": "citizen", "password": "demo"})
	resp, err := http.Post(base+"/t/kazan/api/v1/auth/token", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Token string `json:"token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("login: %d %v", resp.StatusCode, err)
	}
	return out.Token
}

// killSubmit submits a lift request with an idempotency key and returns
// the status and number answered; err when no answer came.
func killSubmit(client *http.Client, base, token, key string) (int, string, error) {
	body, _ := json.Marshal(map[string]any{"category": "lift", "building_id": 1, "description": "kill load " + key})
	req, _ := http.NewRequest("POST", base+"/t/kazan/api/v1/requests", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, "", err
	}
	var out struct {
		Number string `json:"number"`
	}
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out.Number, nil
}
