package vendorconsole_test

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// A job whose last attempt failed is listed on the vendor's health page with
// its error; a vendor user retries it there and it runs again. A city's
// administrator can neither see the list nor retry.
func TestDeadLetterJobsInVendorConsole(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			ctx := context.Background()
			var healthy atomic.Bool
			s.Backend.Jobs.Handle("test.peer", func(ctx context.Context, j *jobs.Job) error {
				if !healthy.Load() {
					return errors.New("peer refused: 503")
				}
				return nil
			})
			id, _, err := s.Backend.Jobs.Enqueue(ctx, nil, jobs.NewJob{Kind: "test.peer", Tenant: "kazan", Attempts: 1})
			if err != nil {
				t.Fatal(err)
			}
			waitJob(t, s, id, jobs.StateFailed)

			r := s.Call("POST", "/api/v1/vendor/auth/token", "", map[string]string{"login": "vendor", "password": "demo"})
			vtok, _ := r.JSON(t)["token"].(string)
			r = s.Call("POST", apitest.Path("kazan", "/auth/token"), "", map[string]string{"login": "admin", "password": "demo"})
			ctok, _ := r.JSON(t)["token"].(string)
			if vtok == "" || ctok == "" {
				t.Fatal("login failed")
			}
			page := s.Page("GET", "/admin/health", vtok, nil, nil)
			body := string(page.Body)
			if page.Status != http.StatusOK || !strings.Contains(body, `action="/admin/jobs/`+strconv.FormatInt(id, 10)+`/retry"`) ||
				!strings.Contains(body, "peer refused: 503") || !strings.Contains(body, "test.peer") {
				t.Fatalf("health page: %d %s", page.Status, apitest.Truncate(page.Body))
			}
			for name, tok := range map[string]string{"city admin": ctok, "nobody": ""} {
				if r := s.Page("POST", "/admin/jobs/"+strconv.FormatInt(id, 10)+"/retry", tok, map[string]string{}, nil); r.Status == http.StatusSeeOther && strings.HasPrefix(r.Header.Get("Location"), "/admin/health") {
					t.Errorf("%s retried a job: %d", name, r.Status)
				}
			}
			if j, _ := s.Backend.Jobs.Get(ctx, id); j.State != jobs.StateFailed {
				t.Fatalf("job after refused retries: %s", j.State)
			}
			for _, bad := range []string{"999999", "x"} {
				if r := s.Page("POST", "/admin/jobs/"+bad+"/retry", vtok, map[string]string{}, nil); r.Status != http.StatusNotFound {
					t.Errorf("retry of job %s: %d", bad, r.Status)
				}
			}
			healthy.Store(true)
			if r := s.Page("POST", "/admin/jobs/"+strconv.FormatInt(id, 10)+"/retry", vtok, map[string]string{}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("retry: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			waitJob(t, s, id, jobs.StateDone)
			if page := s.Page("GET", "/admin/health", vtok, nil, nil); strings.Contains(string(page.Body), "/admin/jobs/"+strconv.FormatInt(id, 10)+"/retry") {
				t.Error("a retried job is still listed as failed")
			}
		})
	}
}

// waitJob waits until the server's queue has taken job id to state.
func waitJob(t *testing.T, s *servertest.Server, id int64, state string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := s.Backend.Jobs.Get(context.Background(), id)
		if err == nil && j.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d never reached %s (%+v, %v)", id, state, j, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
