package cityconsole_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/webhooktest"
	"github.com/opencity/opencity/tenants/jobs"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// feed is a real HTTP feed of an external system whose records the test
// repeats, reorders and changes between pulls.
type feed struct {
	*httptest.Server
	mu      sync.Mutex
	records []map[string]any
	pulls   int
}

func newFeed(t *testing.T) *feed {
	f := &feed{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.pulls++
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"data": map[string]any{"total": len(f.records), "items": f.records}})
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *feed) set(recs ...map[string]any) {
	f.mu.Lock()
	f.records = recs
	f.mu.Unlock()
}

// record is a source record in the feed's shape.
func record(id, kind, text, fias, address string) map[string]any {
	r := map[string]any{"problem": map[string]any{"kind": kind, "text": text},
		"where":  map[string]any{"fias": fias, "address": address},
		"author": map[string]any{"name": "Иван Петров", "phone": "+7 917 555-01-23"}}
	if id != "" {
		r["id"] = id
	}
	return r
}

var (
	runLine     = regexp.MustCompile(`Fetched (\d+), created (\d+), updated (\d+), unchanged (\d+), refused (\d+)\.`)
	connectorID = regexp.MustCompile(`action="/t/kazan/admin/imports/(\d+)/run"`)
	secretCode  = regexp.MustCompile(`<code id="secret">(whsec_[^<]+)</code>`)
)

// A connector configured in the console pulls a feed on its schedule
// (through the job queue) and by hand, and takes uploaded batches: a
// record is created once per source id however often and in whatever
// order the feed repeats it, a changed record updates its request,
// unknown categories and addresses go to triage with the source's text,
// refused records are logged with their reason, and status changes reach
// the source's callback, signed, after it recovers from failing. Bad
// configuration gets field messages; a dispatcher and another city's
// admin reach no connector.
func TestImportConnector(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clock := servertest.NewClock(time.Now())
			s := servertest.Start(t, kind, func(c *server.Config) {
				c.Now, c.WebhookTimeout = clock.Now, 300*time.Millisecond
			})
			admin := s.Login("kazan", "admin")
			disp := s.Login("kazan", "dispatcher")
			citizen := s.Login("kazan", "citizen")
			var regID, opOrg string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT registry_id FROM buildings WHERE registry_id <> '' ORDER BY id LIMIT 1").Scan(ctx, &regID); err != nil {
					return err
				}
				return tx.NewRaw("SELECT o.code FROM users AS u JOIN organizations AS o ON o.id = u.organization_id WHERE u.login = 'operator'").Scan(ctx, &opOrg)
			})
			src, rc := newFeed(t), webhooktest.Start(t)
			good := map[string]string{"code": "narcontrol", "name": "Народный контроль", "feed_url": src.URL + "/api/appeals",
				"format": "json", "every_minutes": "5", "mapping.items": "data.items", "mapping.external_id": "id",
				"mapping.category": "problem.kind", "mapping.description": "problem.text", "mapping.address": "where.address",
				"mapping.building": "where.fias", "mapping.applicant_name": "author.name", "mapping.applicant_phone": "author.phone",
				"default_category": "lift", "category_map": "Лифт = lift\nНе работает лифт = lift", "callback_url": rc.URL + "/status"}

			// Bad configuration: every fault at once, in the page's language.
			bad := map[string]string{}
			for k, v := range good {
				bad[k] = v
			}
			bad["code"], bad["feed_url"], bad["every_minutes"] = "Народный", "ftp://example.org/feed", "3"
			bad["mapping.category"], bad["mapping.description"] = "problem..kind", ""
			bad["default_category"], bad["category_map"] = "no-such", "Лифт = lift\nкрыша"
			r := s.Page("POST", "/t/kazan/admin/imports?lang=en", admin, bad, nil)
			if r.Status != http.StatusUnprocessableEntity {
				t.Fatalf("bad connector: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			for _, want := range []string{`id="e-code"`, `id="e-feed_url"`, `id="e-every_minutes"`, `id="e-mapping.category"`,
				`id="e-mapping.description"`, `id="e-default_category"`, `id="e-category_map"`, "line 2: write", "names of letters"} {
				if !strings.Contains(string(r.Body), want) {
					t.Errorf("the bad connector's page lacks %s", want)
				}
			}
			if r := s.Page("POST", "/t/kazan/admin/imports?lang=ru", admin, bad, nil); !strings.Contains(string(r.Body), "строка 2: пишите") {
				t.Errorf("no Russian field message: %s", apitest.Truncate(r.Body))
			}

			// The attacker's side: a dispatcher configures nothing.
			if r := s.Page("POST", "/t/kazan/admin/imports", disp, good, nil); r.Status != http.StatusForbidden {
				t.Errorf("a dispatcher created a connector: %d", r.Status)
			}

			r = s.Page("POST", "/t/kazan/admin/imports", admin, good, nil)
			if r.Status != http.StatusCreated {
				t.Fatalf("connector: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			m := connectorID.FindSubmatch(r.Body)
			sm := secretCode.FindSubmatch(r.Body)
			if m == nil || sm == nil {
				t.Fatalf("no connector id or secret: %s", apitest.Truncate(r.Body))
			}
			id := string(m[1])
			rc.SetSecret(string(sm[1]))
			if r := s.Page("POST", "/t/kazan/admin/imports", admin, good, nil); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), `id="e-code"`) {
				t.Errorf("a second connector of the same code: %d", r.Status)
			}

			// The first scheduled pull, through the durable queue.
			rc.Set(webhooktest.Fail)
			src.set(
				record("pk-1", "Лифт", "Лифт стоит между этажами", regID, ""),
				record("pk-2", "НЛО", "Над домом висит тарелка", "", "ул. Несуществующая, 13"),
				record("pk-3", "Лифт", "", regID, ""),
				record("", "Лифт", "без номера", regID, ""),
				record("pk-1", "Лифт", "Лифт стоит между этажами", regID, ""),
			)
			// scheduled runs the city's import job through the queue and
			// waits until it is done.
			scheduled := func() {
				t.Helper()
				ctx := context.Background()
				jid, _, err := s.Backend.Jobs.Enqueue(ctx, nil, jobs.NewJob{Kind: server.JobImport, Tenant: "kazan"})
				if err != nil {
					t.Fatal(err)
				}
				apitest.WaitFor(t, "the import job", func() bool {
					j, err := s.Backend.Jobs.Get(ctx, jid)
					if err != nil {
						t.Fatal(err)
					}
					if j.State == jobs.StateFailed {
						t.Fatalf("the import job failed: %s", j.LastError)
					}
					return j.State == jobs.StateDone
				})
			}
			runs := func() int {
				var n int
				s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT count(*) FROM import_runs").Scan(ctx, &n)
				})
				return n
			}
			scheduled()
			if n := runs(); n != 1 {
				t.Fatalf("%d runs after the first scheduled pull", n)
			}
			page := s.Page("GET", "/t/kazan/admin/imports/"+id+"?lang=en", admin, nil, nil)
			if page.Status != 200 || !strings.Contains(string(page.Body), "Runs of") {
				t.Fatalf("connector page: %d %s", page.Status, apitest.Truncate(page.Body))
			}
			var counts [5]int
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT fetched, created, updated, unchanged, refused FROM import_runs ORDER BY id DESC LIMIT 1").
					Scan(ctx, &counts[0], &counts[1], &counts[2], &counts[3], &counts[4])
			})
			if counts != [5]int{5, 2, 0, 1, 2} {
				t.Errorf("first run fetched, created, updated, unchanged, refused = %v", counts)
			}
			if !strings.Contains(string(page.Body), "record 3 (id «pk-3»): description") || !strings.Contains(string(page.Body), "record 4 (id «»): external_id") {
				t.Errorf("the run log lacks the refusals: %s", apitest.Truncate(page.Body))
			}
			number := func(ext string) (num, status, channel string) {
				s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
					return tx.NewRaw("SELECT number, status, channel FROM requests WHERE external_source = 'narcontrol' AND external_id = ?", ext).
						Scan(ctx, &num, &status, &channel)
				})
				return
			}
			n1, st1, ch1 := number("pk-1")
			n2, st2, _ := number("pk-2")
			if ch1 != "external" || st1 == "" || st2 != "new" {
				t.Errorf("pk-1 %s %s, pk-2 %s", st1, ch1, st2)
			}
			var note string
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT e.note FROM request_events AS e JOIN requests AS r ON r.id = e.request_id WHERE r.number = ? AND e.kind = 'triage'", n2).Scan(ctx, &note)
			})
			if !strings.Contains(note, "НЛО") || !strings.Contains(note, "Несуществующая") {
				t.Errorf("pk-2's triage note keeps not the source's text: %s", note)
			}
			if got, _ := json.Marshal(s.Get("kazan", disp, n2)); !strings.Contains(string(got), "Несуществующая") {
				t.Errorf("pk-2 lost the source's address: %s", got)
			}

			// Repeated and reordered: nothing changes. By hand, from the console.
			src.set(
				record("pk-2", "НЛО", "Над домом висит тарелка", "", "ул. Несуществующая, 13"),
				record("pk-1", "Лифт", "Лифт стоит между этажами", regID, ""),
				record("pk-1", "Лифт", "Лифт стоит между этажами", regID, ""),
			)
			r = s.Page("POST", "/t/kazan/admin/imports/"+id+"/run?lang=en", admin, map[string]string{}, nil)
			if lm := runLine.FindStringSubmatch(string(r.Body)); r.Status != 200 || lm == nil || lm[2] != "0" || lm[3] != "0" || lm[4] != "3" {
				t.Errorf("a repeated feed: %d %v", r.Status, lm)
			}
			// Changed: the request follows.
			src.set(
				record("pk-1", "Лифт", "Лифт стоит между этажами", regID, ""),
				record("pk-2", "НЛО", "Над домом висит тарелка, мигает", "", "ул. Несуществующая, 13"),
			)
			clock.Add(6 * time.Minute)
			scheduled()
			if n := runs(); n != 3 {
				t.Fatalf("%d runs after the second scheduled pull", n)
			}
			if got := s.Get("kazan", disp, n2); got["description"] != "Над домом висит тарелка, мигает" {
				t.Errorf("the changed record did not update its request: %v", got["description"])
			}
			var total int
			s.InCity(t, "kazan", func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT count(*) FROM requests WHERE external_source = 'narcontrol'").Scan(ctx, &total)
			})
			if total != 2 {
				t.Errorf("%d requests from 2 source records", total)
			}
			// Not yet due: the schedule holds.
			scheduled()
			if n := runs(); n != 3 {
				t.Errorf("a pull before its time: %d runs", n)
			}

			// An uploaded CSV batch (Russian Excel's semicolons), twice.
			csvBatch := "id;problem.kind;problem.text;where.fias;author.phone\npk-10;Не работает лифт;Лифт не едет;" + regID + ";89175550124\n"
			for i, want := range []string{"1", "0"} {
				r := uploadImport(t, s, "/t/kazan/admin/imports/"+id+"/upload?lang=en", admin, "batch.csv", []byte(csvBatch))
				if lm := runLine.FindStringSubmatch(string(r.Body)); r.Status != 200 || lm == nil || lm[2] != want {
					t.Errorf("upload %d: %d %v %s", i, r.Status, lm, apitest.Truncate(r.Body))
				}
			}
			if r := uploadImport(t, s, "/t/kazan/admin/imports/"+id+"/upload?lang=en", admin, "batch.json", []byte(`{"items": [`)); r.Status != http.StatusUnprocessableEntity ||
				!strings.Contains(string(r.Body), "not valid JSON") {
				t.Errorf("a broken upload: %d", r.Status)
			}

			// Status changes go back to the source once it answers.
			s.MustAct("kazan", disp, n2, "assign", map[string]string{"organization": opOrg}, "assigned")
			other := s.Submit("kazan", citizen, "not from the source")
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "a failed callback", func() bool { return rc.Tries() > 0 })
			rc.Set(webhooktest.Accept)
			clock.Add(time.Hour)
			s.Backend.NudgeRelay("kazan")
			apitest.WaitFor(t, "the status callback", func() bool {
				for _, p := range rc.Got() {
					d, _ := p["data"].(map[string]any)
					if d["external_id"] == "pk-2" && d["status"] == "assigned" && d["external_source"] == "narcontrol" {
						return true
					}
				}
				return false
			})
			if ids, _ := rc.Events(other); len(ids) > 0 {
				t.Errorf("the source was told of a request it did not send: %v", ids)
			}
			if ids, _ := rc.Events(n1); len(ids) == 0 {
				t.Errorf("the source was not told pk-1's number")
			}
			if bad := rc.Bad(); bad != 0 {
				t.Errorf("%d callbacks with a bad signature", bad)
			}

			// Console in both languages; the run log's causes.
			ru := s.Page("GET", "/t/kazan/admin/imports/"+id+"?lang=ru", admin, nil, nil)
			for _, want := range []string{"Запуски коннектора", "по расписанию", "вручную", "загрузка", "Доставки обратного вызова"} {
				if !strings.Contains(string(ru.Body), want) {
					t.Errorf("the Russian page lacks %q", want)
				}
			}

			// Another city's administrator, with kazan's connector id.
			nkm := s.Login("nizhnekamsk", "admin")
			for _, try := range []struct{ method, path string }{
				{"GET", "/t/nizhnekamsk/admin/imports/" + id}, {"POST", "/t/nizhnekamsk/admin/imports/" + id},
				{"POST", "/t/nizhnekamsk/admin/imports/" + id + "/run"},
			} {
				form := map[string]string(nil)
				if try.method == "POST" {
					form = good
				}
				if r := s.Page(try.method, try.path, nkm, form, nil); r.Status != http.StatusNotFound {
					t.Errorf("%s %s by another city's admin: %d", try.method, try.path, r.Status)
				}
			}
			if r := uploadImport(t, s, "/t/nizhnekamsk/admin/imports/"+id+"/upload", nkm, "batch.csv", []byte(csvBatch)); r.Status != http.StatusNotFound {
				t.Errorf("upload to kazan's connector from another city: %d", r.Status)
			}
			if r := s.Page("GET", "/t/kazan/admin/imports/"+id, nkm, nil, nil); r.Status == http.StatusOK {
				t.Errorf("another city's token read kazan's connector")
			}
			if r := s.Page("GET", "/t/kazan/admin/imports/"+id, disp, nil, nil); r.Status != http.StatusForbidden {
				t.Errorf("a dispatcher read the connector: %d", r.Status)
			}
			src.mu.Lock()
			defer src.mu.Unlock()
			if src.pulls < 3 {
				t.Errorf("the feed was pulled %d times", src.pulls)
			}
		})
	}
}

// uploadImport posts a file to a console upload form as a browser does:
// with the page session's CSRF token.
func uploadImport(t *testing.T, s *servertest.Server, path, token, name string, data []byte) apitest.Response {
	t.Helper()
	cookie, csrf := s.PageSession(path)
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("csrf_token", csrf)
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write(data)
	w.Close()
	req, _ := http.NewRequest("POST", s.Base+path, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept-Language", "en")
	req.AddCookie(cookie)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return apitest.Response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}
