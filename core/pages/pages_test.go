package pages_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The pages without a browser: the queues and their scoping, the CSV export,
// the public list without personal data, the typeahead, field errors from
// the domain next to their fields, and the API's photo rules.
func TestPagesQueuesAndRules(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			mine := s.Submit("kazan", cit, "Лифт стоит PAGES-MINE") // building 1: the operator's company
			yard := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "building_id": 1,
				"description": "Яма во дворе PAGES-YARD"}).JSON(t)["number"].(string) // waits in triage

			// The office: the operator's queue and export hold its request, not the triage one.
			r := s.Page("GET", "/t/kazan/office/", op, nil, nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), mine) || strings.Contains(string(r.Body), yard) {
				t.Fatalf("office queue: %d %s", r.Status, r.Body)
			}
			r = s.Page("GET", "/t/kazan/office/export.csv?status=assigned", op, nil, nil)
			// For Russian Excel: a BOM, ';' and the city's language.
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff"))))
			cr.Comma = ';'
			rows, err := cr.ReadAll()
			if err != nil || r.Status != 200 || len(rows) < 2 || rows[0][0] != "Номер" || !bytes.HasPrefix(r.Body, []byte("\ufeff")) {
				t.Fatalf("export: %d %v %s", r.Status, err, r.Body)
			}
			found := false
			for _, row := range rows[1:] {
				found = found || row[0] == mine
				if row[0] == yard || row[1] != "назначено" {
					t.Errorf("export row outside the filter or the organization: %v", row)
				}
			}
			if !found || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
				t.Errorf("export misses %s: %v", mine, rows)
			}

			// The desk: the triage queue holds the yard request, not the routed one.
			r = s.Page("GET", "/t/kazan/desk/", disp, nil, nil)
			if r.Status != 200 || !strings.Contains(string(r.Body), yard) || strings.Contains(string(r.Body), mine) {
				t.Errorf("triage queue: %d", r.Status)
			}
			// An operator is no dispatcher, a citizen no operator.
			if r := s.Page("GET", "/t/kazan/desk/", op, nil, nil); r.Status != http.StatusForbidden {
				t.Errorf("operator on the desk: %d", r.Status)
			}
			if r := s.Page("GET", "/t/kazan/office/", cit, nil, nil); r.Status != http.StatusForbidden {
				t.Errorf("citizen in the office: %d", r.Status)
			}
			// Anonymous users are sent to the login page.
			if r := s.Page("GET", "/t/kazan/office/", "", nil, nil); r.Status != http.StatusSeeOther || !strings.Contains(r.Header.Get("Location"), "/t/kazan/login") {
				t.Errorf("anonymous office: %d %s", r.Status, r.Header.Get("Location"))
			}
			// The operator cannot open the triage request: not theirs.
			if r := s.Page("GET", "/t/kazan/requests/"+yard, op, nil, nil); r.Status != http.StatusNotFound || strings.Contains(string(r.Body), "PAGES-YARD") {
				t.Errorf("operator opened another organization's request: %d", r.Status)
			}

			// The public list: numbers and statuses, no applicant, no description.
			r = s.Page("GET", "/t/kazan/", "", nil, nil)
			body := string(r.Body)
			if r.Status != 200 || !strings.Contains(body, mine) || strings.Contains(body, "PAGES-MINE") ||
				strings.Contains(body, "917 123-45-67") || strings.Contains(body, "Иван Петров") {
				t.Errorf("public list: %d %s", r.Status, body)
			}

			// Typeahead: buildings of the registry by words of the address.
			r = s.Page("GET", "/t/kazan/addresses?q="+"копылова", cit, nil, nil)
			var hits []struct {
				ID      int64  `json:"id"`
				Address string `json:"address"`
			}
			if err := json.Unmarshal(r.Body, &hits); err != nil || len(hits) == 0 || !strings.Contains(hits[0].Address, "Копылова") {
				t.Errorf("addresses: %d %s", r.Status, r.Body)
			}

			// Domain errors land next to their fields.
			r = s.Page("POST", "/t/kazan/desk/call", disp, map[string]string{"category": "lift", "building_id": "1",
				"description": "", "applicant.phone": "not a phone"}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), `id="phone-error"`) ||
				!strings.Contains(string(r.Body), `id="description-error"`) {
				t.Errorf("call form errors: %d %s", r.Status, r.Body)
			}

			// The API's photo rules: a text file is no photo, the request stays accepted.
			if r := s.Page("POST", "/t/kazan/requests/"+mine+"/accept", op, map[string]string{}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("accept: %d %s", r.Status, r.Body)
			}
			big := append(apitest.PNG(t), make([]byte, 10<<20)...) // a PNG by its signature, over 10 MB
			r = s.Page("POST", "/t/kazan/requests/"+mine+"/resolve", op, map[string]string{"comment": "Готово"}, big)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "больше 10 МБ") {
				t.Errorf("resolve with an 11 MB photo: %d", r.Status)
			}
			r = s.Page("POST", "/t/kazan/requests/"+mine+"/resolve", op, map[string]string{"comment": "Готово"}, make([]byte, 12<<20))
			if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(string(r.Body), "не больше 10 МБ") {
				t.Errorf("resolve with a 12 MB body: %d", r.Status)
			}
			r = s.Page("POST", "/t/kazan/requests/"+mine+"/resolve", op, map[string]string{"comment": "Готово"}, []byte("plain text, not an image"))
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "нужна фотография в формате JPEG, PNG или WebP, а это текст") || strings.Contains(string(r.Body), "text/plain") {
				t.Errorf("resolve with a text photo: %d %s", r.Status, r.Body)
			}
			if st := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, op, nil).JSON(t)["status"]; st != "accepted" {
				t.Errorf("status after a refused photo: %v", st)
			}
			r = s.Page("POST", "/t/kazan/requests/"+mine+"/resolve", op, map[string]string{"comment": "Готово"}, apitest.PNG(t))
			if r.Status != http.StatusSeeOther {
				t.Fatalf("resolve with a photo: %d %s", r.Status, r.Body)
			}
			got := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, cit, nil).JSON(t)
			if got["status"] != "resolved" || len(got["photos"].([]any)) != 1 {
				t.Errorf("after resolve: %v", got)
			}

			// The citizen disputes the fix: a comment is required, then it is reopened.
			r = s.Page("POST", "/t/kazan/requests/"+mine+"/reopen", cit, map[string]string{"comment": ""}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "укажите причину") {
				t.Errorf("reopen without a comment: %d", r.Status)
			}
			if r := s.Page("POST", "/t/kazan/requests/"+mine+"/reopen", cit, map[string]string{"comment": "Лифт опять стоит"}, nil); r.Status != http.StatusSeeOther {
				t.Errorf("reopen: %d %s", r.Status, r.Body)
			}
			if st := s.Call("GET", "/t/kazan/api/v1/requests/"+mine, op, nil).JSON(t)["status"]; st != "reopened" {
				t.Errorf("after reopen: %v", st)
			}
		})
	}
}

// Someone without an account reports through the portal when the city
// allows it: the form needs the session's CSRF token, and the tracking page
// shows the request without its contacts.
func TestPagesAnonymousReport(t *testing.T) {
	s := servertest.StartOne(t)
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	get := func(path string) (*http.Response, string) {
		resp, err := browser.Get(s.URL() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	post := func(path string, form url.Values) (*http.Response, string) {
		resp, err := browser.PostForm(s.URL()+path, form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}
	// Off by default: the visitor is asked to log in.
	if resp, _ := get("/t/kazan/report"); !strings.HasSuffix(resp.Request.URL.Path, "/t/kazan/login") {
		t.Errorf("report in a city without anonymous requests ends at %s", resp.Request.URL)
	}
	admin := s.Login("kazan", "admin")
	if r := s.Call("PUT", "/t/kazan/api/v1/settings/access", admin, map[string]bool{"anonymous_submissions": true}); r.Status != 200 {
		t.Fatalf("settings: %d %s", r.Status, r.Body)
	}
	resp, body := get("/t/kazan/report")
	m := regexp.MustCompile(`name="csrf_token" value="([^"]+)"`).FindStringSubmatch(body)
	if resp.StatusCode != 200 || m == nil || strings.Contains(body, `name="photo"`) {
		t.Fatalf("report form: %d %s", resp.StatusCode, body)
	}
	form := url.Values{"category": {"lift"}, "building_id": {"1"}, "description": {"Лифт не работает ANON-DESC"},
		"applicant.phone": {"+7 917 444-55-66"}}
	if resp, _ := post("/t/kazan/report", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a report without the CSRF token: %d", resp.StatusCode)
	}
	form.Set("csrf_token", m[1])
	resp, body = post("/t/kazan/report", form)
	if resp.StatusCode != 200 || !strings.Contains(resp.Request.URL.Path, "/t/kazan/track/") ||
		!strings.Contains(body, "ANON-DESC") || strings.Contains(body, "444-55-66") {
		t.Fatalf("after the report: %d %s %s", resp.StatusCode, resp.Request.URL, body)
	}
	number := regexp.MustCompile(`id="number">([^<]+)<`).FindStringSubmatch(body)
	if number == nil {
		t.Fatalf("no number on the tracking page: %s", body)
	}
	got := s.Call("GET", "/t/kazan/api/v1/requests/"+number[1], admin, nil).JSON(t)
	if got["status"] != "assigned" || got["channel"] != "portal" {
		t.Errorf("the reported request: %v", got)
	}
	if resp, _ := get("/t/kazan/track/AAAA-BBBB-CCCC-DDDD"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a made-up tracking code: %d", resp.StatusCode)
	}
}
