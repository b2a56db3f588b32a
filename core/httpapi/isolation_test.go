package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

var roles = []string{"admin", "dispatcher", "operator", "analyst", "citizen"}

// A request created in kazan cannot be read, listed, counted or guessed from
// nizhnekamsk, by any role and by any path.
func TestCityIsolation(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			secret := "KAZAN-SECRET-лифт-" + kind
			kznCitizen := s.Login("kazan", "citizen")
			kznNumber := s.Submit("kazan", kznCitizen, secret)
			// nizhnekamsk has a request of its own with the same number.
			nkmNumber := s.Submit("nizhnekamsk", s.Login("nizhnekamsk", "citizen"), "nizhnekamsk's own")
			if kznNumber != nkmNumber {
				t.Fatalf("numbers %s and %s: each city numbers its own requests", kznNumber, nkmNumber)
			}
			kznRead := s.Call("GET", "/t/kazan/api/v1/requests/"+kznNumber, kznCitizen, nil)
			if kznRead.Status != 200 || !bytes.Contains(kznRead.Body, []byte(secret)) {
				t.Fatalf("kazan cannot read its own request: %d %s", kznRead.Status, kznRead.Body)
			}
			kznID := fmt.Sprint(kznRead.JSON(t)["id"])

			for _, role := range roles {
				tok := s.Login("nizhnekamsk", role)
				probes := []string{
					"/t/nizhnekamsk/api/v1/requests/" + kznNumber,
					"/t/nizhnekamsk/api/v1/requests/" + kznID,
					"/t/nizhnekamsk/api/v1/requests?total=true",
					"/t/nizhnekamsk/api/v1/requests?limit=100&total=true",
					"/t/nizhnekamsk/api/v1/requests/" + url.PathEscape("../../kazan/api/v1/requests/"+kznNumber),
					"/t/nizhnekamsk/../kazan/api/v1/requests/" + kznNumber,
					"/api/v1/requests/" + kznNumber,
				}
				for _, p := range probes {
					r := s.Call("GET", p, tok, nil, "Host", "nizhnekamsk.opencity.test")
					if bytes.Contains(r.Body, []byte(secret)) {
						t.Errorf("%s of nizhnekamsk read kazan's request via %s: %s", role, p, r.Body)
					}
					if r.Status >= 500 {
						t.Errorf("%s %s: %d", role, p, r.Status)
					}
				}
				list := s.Call("GET", "/t/nizhnekamsk/api/v1/requests?total=true", tok, nil).JSON(t)
				if total, ok := list["total"].(float64); ok && total > 1 {
					t.Errorf("%s of nizhnekamsk counts %v requests, nizhnekamsk has 1", role, total)
				}
				// A nizhnekamsk token is worthless in kazan, by path and by host.
				for _, r := range []apitest.Response{
					s.Call("GET", "/t/kazan/api/v1/requests/"+kznNumber, tok, nil),
					s.Call("GET", "/api/v1/requests/"+kznNumber, tok, nil, "Host", "kazan.opencity.test"),
					s.Call("GET", "/t/kazan/api/v1/requests", tok, nil),
				} {
					if r.Status != http.StatusUnauthorized || bytes.Contains(r.Body, []byte(secret)) {
						t.Errorf("%s token of nizhnekamsk in kazan: %d %s", role, r.Status, r.Body)
					}
				}
			}
			// Host resolution reaches kazan's request only at kazan's host.
			r := s.Call("GET", "/api/v1/requests/"+kznNumber, kznCitizen, nil, "Host", "kazan.opencity.test:8080")
			if r.Status != 200 || !bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("kazan by host: %d %s", r.Status, r.Body)
			}
		})
	}
}

// Forged slugs are refused without touching any schema or file.
func TestForgedSlugs(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			before := storageNames(t, s)
			tok := s.Login("kazan", "admin")
			forged := []string{`kazan"; drop schema x;--`, `kazan";drop schema "city_kazan" cascade;--`, "KAZAN", "kazan ",
				"kazan\x00", "kazan%", "city_kazan", "..", "kazan'", "казань", strings.Repeat("k", 60), "public", "control"}
			for _, slug := range forged {
				for _, p := range []string{"/t/" + url.PathEscape(slug) + "/api/v1/requests", "/t/" + url.PathEscape(slug) + "/api/v1/auth/token"} {
					method := "GET"
					var body any
					if strings.HasSuffix(p, "token") {
						method, body = "POST", map[string]string{"login": "admin", "password": "demo"}
					}
					r := s.Call(method, p, tok, body)
					if r.Status != http.StatusNotFound || r.Header.Get("Content-Type") != "application/problem+json" {
						t.Errorf("slug %q at %s: %d %s", slug, p, r.Status, r.Body)
					}
				}
				if strings.ToLower(slug) == "kazan" {
					continue // host names are case-insensitive: KAZAN.opencity.test is kazan
				}
				r := s.Call("GET", "/api/v1/requests", tok, nil, "Host", slug+".opencity.test")
				if r.Status != http.StatusNotFound {
					t.Errorf("host %q: %d %s", slug, r.Status, r.Body)
				}
			}
			if after := storageNames(t, s); strings.Join(before, ",") != strings.Join(after, ",") {
				t.Errorf("storage changed: %v → %v", before, after)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/requests", tok, nil); r.Status != 200 {
				t.Errorf("kazan after the attempts: %d %s", r.Status, r.Body)
			}
		})
	}
}

// storageNames lists city schemas (PostgreSQL) or city files (SQLite).
func storageNames(t *testing.T, s *servertest.Server) []string {
	var names []string
	if s.Backend.Postgres() {
		err := s.Backend.Control.NewRaw("SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema'").
			Scan(context.Background(), &names)
		if err != nil {
			t.Fatal(err)
		}
	} else {
		files, _ := os.ReadDir(filepath.Join(s.DB.DataDir, "cities"))
		for _, f := range files {
			names = append(names, f.Name())
		}
	}
	sort.Strings(names)
	return names
}

// A POST retried with the same Idempotency-Key creates exactly one request,
// also when the retries run concurrently.
func TestIdempotentIntake(t *testing.T) {
	for _, kind := range tenanttest.KindsWithPgBouncer {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			tok := s.Login("kazan", "dispatcher")
			first := s.Submit("kazan", tok, "retry me", "Idempotency-Key", "call-1")
			body := map[string]any{"category": "lift", "building_id": 1, "description": "retry me",
				"applicant": map[string]string{"name": "Иван Петров", "phone": "+7 917 123-45-67"}}
			again := s.Call("POST", "/t/kazan/api/v1/requests", tok, body, "Idempotency-Key", "call-1")
			if again.Status != http.StatusOK || again.JSON(t)["number"] != first || again.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("retry: %d %s", again.Status, again.Body)
			}
			other := body
			other["description"] = "something else"
			if r := s.Call("POST", "/t/kazan/api/v1/requests", tok, other, "Idempotency-Key", "call-1"); r.Status != http.StatusConflict {
				t.Errorf("same key, other body: %d %s", r.Status, r.Body)
			}

			const n = 16
			var wg sync.WaitGroup
			numbers := make([]string, n)
			statuses := make([]int, n)
			body["description"] = "concurrent"
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					r := s.Call("POST", "/t/kazan/api/v1/requests", tok, body, "Idempotency-Key", "burst-7")
					statuses[i] = r.Status
					if r.Status < 300 {
						numbers[i] = r.JSON(t)["number"].(string)
					}
				}(i)
			}
			wg.Wait()
			created := 0
			for i := range numbers {
				if statuses[i] == http.StatusCreated {
					created++
				}
				if numbers[i] == "" || numbers[i] != numbers[0] {
					t.Errorf("concurrent retry %d: %d %q (first %q)", i, statuses[i], numbers[i], numbers[0])
				}
			}
			if created != 1 {
				t.Errorf("%d answers said created, want 1", created)
			}
			list := s.Call("GET", "/t/kazan/api/v1/requests?total=true", tok, nil).JSON(t)
			if list["total"] != float64(2) {
				t.Errorf("kazan holds %v requests, want 2", list["total"])
			}
			// The key belongs to its user: another dispatcher's key "call-1"
			// is a new request.
			cit := s.Login("kazan", "citizen")
			if n := s.Submit("kazan", cit, "retry me", "Idempotency-Key", "call-1"); n == first {
				t.Error("another user's request with the same key returned the first user's request")
			}
		})
	}
}
