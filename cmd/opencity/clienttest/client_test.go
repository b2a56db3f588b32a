package clienttest

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/util"
)

// server runs `opencity serve` in demo mode on SQLite, in a temporary data
// folder and on a free local port, and returns its address; it is stopped
// when the test ends.
func server(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	bin := filepath.Join(tmp, "opencity")
	build := exec.Command("go", "build", "-o", bin, "./cmd/opencity")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/opencity: %v\n%s", err, out)
	}
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
	var log bytes.Buffer
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Dir = tmp
	cmd.Env = append(env, "OPENCITY_ADDR="+addr, "OPENCITY_DATA="+filepath.Join(tmp, "data"))
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if t.Failed() {
			t.Logf("server log:\n%s", log.String())
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			t.Fatalf("opencity serve exited: %v\n%s", err, log.String())
		default:
		}
		if r, err := http.Get(base + "/readyz"); err == nil {
			r.Body.Close()
			if r.StatusCode == http.StatusOK {
				return base
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("opencity serve not ready after a minute\n%s", log.String())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// generate is what oapi-codegen makes of the description the server serves:
// models and a client, in package client.
func generate(t *testing.T, base string) string {
	t.Helper()
	r, err := http.Get(base + "/t/kazan/api/v1/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := io.ReadAll(r.Body)
	r.Body.Close()
	if err != nil || r.StatusCode != http.StatusOK {
		t.Fatalf("openapi.json: %d %v", r.StatusCode, err)
	}
	file := filepath.Join(t.TempDir(), "openapi.json")
	if err := os.WriteFile(file, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	spec, err := util.LoadSwagger(file)
	if err != nil {
		t.Fatalf("oapi-codegen cannot load the description: %v", err)
	}
	code, err := codegen.Generate(spec, codegen.Configuration{PackageName: "client",
		Generate: codegen.GenerateOptions{Models: true, Client: true}})
	if err != nil {
		t.Fatalf("oapi-codegen cannot generate a client: %v", err)
	}
	return code
}

// A client oapi-codegen generates from the served description compiles,
// passes go vet and runs the README's first request against the real
// server (testdata/flow_test.go): a token, a request submitted twice with
// one Idempotency-Key, the request read back, a photo uploaded and
// downloaded, a buildings CSV imported and exported.
func TestGeneratedClient(t *testing.T) {
	base := server(t)
	code := generate(t, base)
	mod := t.TempDir()
	files := map[string][]byte{"client/client.gen.go": []byte(code)}
	for from, to := range map[string]string{"go.mod": "go.mod", "go.sum": "go.sum", "testdata/flow_test.go": "flow_test.go"} {
		b, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		files[to] = b
	}
	for name, b := range files {
		p := filepath.Join(mod, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"vet", "./..."}, {"test", "-count=1", "-v", "./..."}} {
		cmd := exec.Command("go", args...)
		cmd.Dir = mod
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=readonly", "OPENCITY_API="+base+"/t/kazan/api/v1")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %s with the generated client: %v\n%s", strings.Join(args, " "), err, out)
		}
		t.Logf("go %s:\n%s", strings.Join(args, " "), out)
	}
}
