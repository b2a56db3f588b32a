package server_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// multipartBody is a form with a csrf_token field and a file part of n
// bytes named field.
func multipartBody(t *testing.T, field string, n int) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("csrf_token", "x")
	_ = w.WriteField("login", "admin")
	fw, err := w.CreateFormFile(field, "big.jpg")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = fw.Write(bytes.Repeat([]byte{0xAB}, n))
	_ = w.Close()
	return w.FormDataContentType(), buf.Bytes()
}

func tempEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// postRaw sends body to path as content type ct, with a length unless
// chunked, and returns the status, content type and body of the answer.
func postRaw(t *testing.T, client *http.Client, method, url, ct string, body []byte, chunked bool, header ...string) (int, string, string) {
	t.Helper()
	var rd io.Reader = bytes.NewReader(body)
	if chunked {
		rd = io.MultiReader(rd) // hides the length: sent chunked
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// TestBodyLimits is the attacker who posts large multipart bodies to every
// route that takes a body — city and vendor consoles, login, logout,
// invitation, signup, the API — anonymous and logged in: every answer is a
// 413 or a refusal (never a 500), the temporary folder is the same after
// each request, API paths answer problem+json and pages a page.
func TestBodyLimits(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			s := servertest.Start(t, kind)
			dispatcher := s.Login("kazan", "dispatcher")
			number := s.Submit("kazan", dispatcher, "лифт")
			routes := s.Engine().Routes()
			mounted := map[string]bool{}
			for _, r := range routes {
				mounted[r.Method+" "+r.Path] = true
			}
			for route := range s.Limits().BodyLimits(nil).Routes {
				if !mounted[route] {
					t.Errorf("upload route %s is not mounted: update uploadRoutes", route)
				}
			}
			client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			before := tempEntries(t, tmp)
			check := func(label string, status int, ctype, body string, want ...int) {
				t.Helper()
				if status >= 500 || (len(want) > 0 && !slices.Contains(want, status)) {
					t.Errorf("%s: %d (want %v, never 5xx) %.200s", label, status, want, body)
				}
				if after := tempEntries(t, tmp); !slices.Equal(after, before) {
					t.Fatalf("%s: the temporary folder changed: %v → %v", label, before, after)
				}
			}
			checked := 0
			for _, r := range routes {
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					continue
				}
				limit := s.Limits().BodyLimits(nil).Limit(r.Method, r.Path).Bytes
				url := s.URL() + servertest.Concrete(r.Path, number)
				ct, big := multipartBody(t, "photo", int(limit)+32<<10)
				for _, who := range []string{"anonymous", "dispatcher"} {
					var auth []string
					if who == "dispatcher" {
						auth = []string{"Authorization", "Bearer " + dispatcher}
					}
					label := who + " " + r.Method + " " + r.Path
					status, rct, body := postRaw(t, client, r.Method, url, ct, big, false, auth...)
					// 429: a per-client rate limit may refuse before the body is looked at.
					check(label+" (too large)", status, rct, body, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests)
					api := strings.Contains(r.Path, "/api/") || strings.HasPrefix(r.Path, "/billing/")
					if api && rct != "application/problem+json" {
						t.Errorf("%s: %d as %q, want a problem document", label, status, rct)
					}
					if strings.Contains(r.Path, "/open311/") && !strings.HasPrefix(rct, "text/xml") {
						t.Errorf("%s: %d as %q, want an Open311 error document", label, status, rct)
					}
					if !api && !strings.Contains(r.Path, "/open311/") && !strings.HasPrefix(rct, "text/html") && r.Path != "/signup/api" {
						t.Errorf("%s: %d as %q, want a page", label, status, rct)
					}
				}
				// Within the bound, with a file large enough for a temporary
				// file: whatever refuses it (CSRF, login, type) leaves none.
				if limit > 1<<20 {
					ct, body := multipartBody(t, "photo", 5<<20)
					for _, auth := range [][]string{nil, {"Authorization", "Bearer " + dispatcher}} {
						status, rct, text := postRaw(t, client, r.Method, url, ct, body, false, auth...)
						check(fmt.Sprintf("%s %s within the bound (auth %v)", r.Method, r.Path, auth != nil), status, rct, text)
					}
				}
				checked++
			}
			if checked < 100 {
				t.Fatalf("only %d routes with a body were walked", checked)
			}
			// A body without a length is cut at the bound too, on the forms
			// an anonymous visitor reaches first.
			for _, path := range []string{"/t/kazan/login", "/t/kazan/logout", "/t/kazan/invite", "/admin/login",
				"/admin/logout", "/signup", "/t/kazan/api/v1/auth/token", "/t/kazan/new", "/t/kazan/api/v1/requests/" + number + "/photos"} {
				limit := s.Limits().BodyLimits(nil).Limit(http.MethodPost, servertest.RouteOf(routes, http.MethodPost, path)).Bytes
				ct, big := multipartBody(t, "photo", int(limit)+32<<10)
				status, rct, body := postRaw(t, client, http.MethodPost, s.URL()+path, ct, big, true)
				check("chunked "+path, status, rct, body, http.StatusRequestEntityTooLarge, http.StatusTooManyRequests)
				var want []int // an upload route leaves a body of another kind to its handler's refusal
				if limit <= server.DefaultLimits.Body {
					want = []int{http.StatusRequestEntityTooLarge, http.StatusTooManyRequests}
				}
				status, rct, body = postRaw(t, client, http.MethodPost, s.URL()+path, "application/json",
					bytes.Repeat([]byte(" "), int(limit)+1), true)
				check("chunked JSON "+path, status, rct, body, want...)
			}
		})
	}
}

// TestSlowClientsAreCut is the attacker who sends headers or a body one
// byte at a time, or holds a keep-alive connection open without asking
// anything: the connection is cut after the header, read or idle timeout,
// the upload routes after their own longer deadline; a header block over
// the bound gets 431.
func TestSlowClientsAreCut(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) { slowClientsAreCut(t, kind) })
	}
}

func slowClientsAreCut(t *testing.T, kind string) {
	s := servertest.Start(t, kind, func(c *server.Config) {
		c.Limits = server.Limits{ReadHeader: time.Second, Read: time.Second, Idle: time.Second, Upload: 3 * time.Second}
	})
	addr := strings.TrimPrefix(s.URL(), "http://")
	// closedAfter sends head, then a byte of drip every 400 ms until the
	// server closes the connection, and says how long that took.
	closedAfter := func(label, head, drip string) time.Duration {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		start := time.Now()
		fmt.Fprint(conn, head)
		closed := make(chan struct{})
		go func() {
			_, _ = io.Copy(io.Discard, conn) // the answers, if any, then the close
			close(closed)
		}()
		tick := time.NewTicker(400 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-closed:
				return time.Since(start)
			case <-tick.C:
				if time.Since(start) > 20*time.Second {
					t.Fatalf("%s: still connected after 20 s", label)
				}
				if drip != "" {
					_, _ = conn.Write([]byte(drip))
				}
			}
		}
	}
	if d := closedAfter("slow headers", fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Slow: ", addr), "a"); d > 5*time.Second {
		t.Errorf("headers one byte at a time: cut after %s, want about the 1 s header timeout", d)
	}
	if d := closedAfter("idle keep-alive", fmt.Sprintf("GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr), ""); d > 5*time.Second {
		t.Errorf("an idle keep-alive connection: closed after %s, want about the 1 s idle timeout", d)
	}
	trickle := func(path, ctype string) time.Duration {
		t.Helper()
		return closedAfter(path, fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: %s\r\nContent-Length: 100000\r\n\r\n", path, addr, ctype), "-")
	}
	if d := trickle("/t/kazan/api/v1/auth/token", "application/json"); d > 5*time.Second {
		t.Errorf("JSON route: cut after %s, want about the 1 s read timeout", d)
	}
	if d := trickle("/t/kazan/login", "application/x-www-form-urlencoded"); d > 5*time.Second {
		t.Errorf("login page: cut after %s, want about the 1 s read timeout", d)
	}
	d := trickle("/t/kazan/api/v1/requests/2026-000001/photos", "multipart/form-data; boundary=x")
	if d < 2500*time.Millisecond || d > 8*time.Second {
		t.Errorf("photo upload: cut after %s, want about its 3 s upload deadline", d)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /healthz HTTP/1.1\r\nHost: %s\r\nX-Padding: %s\r\n\r\n", addr, strings.Repeat("a", 200<<10))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("200 KB of headers: %d, want 431", resp.StatusCode)
	}
}

// TestLimitsFromEnv reads the timeouts and refuses a value that is not a
// positive duration, naming the variable.
func TestLimitsFromEnv(t *testing.T) {
	env := map[string]string{"OPENCITY_READ_TIMEOUT": "45s", "OPENCITY_UPLOAD_TIMEOUT": "20m"}
	l := server.LimitsFromEnv(func(k string) string { return env[k] })
	if l.Err != nil || l.Read != 45*time.Second || l.Upload != 20*time.Minute {
		t.Fatalf("%+v", l)
	}
	if d := l.WithDefaults(); d.Write != server.DefaultLimits.Write || d.Read != 45*time.Second || d.MaxHeaderBytes != 64<<10 {
		t.Errorf("defaults: %+v", d)
	}
	for _, bad := range []string{"fast", "-1s", "0"} {
		env = map[string]string{"OPENCITY_WRITE_TIMEOUT": bad}
		l = server.LimitsFromEnv(func(k string) string { return env[k] })
		if l.Err == nil || !strings.Contains(l.Err.Error(), "OPENCITY_WRITE_TIMEOUT") {
			t.Errorf("OPENCITY_WRITE_TIMEOUT=%s: %v", bad, l.Err)
		}
		if _, err := server.New(context.Background(), server.Config{DataDir: t.TempDir(), Limits: l}); err == nil {
			t.Errorf("a server starts with OPENCITY_WRITE_TIMEOUT=%s", bad)
		}
	}
}
