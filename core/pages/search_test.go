package pages_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The dispatcher finds a caller's request from the desk's search box by
// words in any order and case, seeing the phone written one way; a search
// too long is refused and a citizen may not use it. The call-taking form
// reports every fault at once, a NUL character included.
func TestDeskSearchAndCallFormFaults(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			tok := s.Login("kazan", "dispatcher")
			r := s.Call("POST", "/t/kazan/api/v1/requests", tok, map[string]any{"category": "lift", "building_id": 1,
				"description": "Зюзюкин лифт гудит ночью", "applicant": map[string]string{"name": "Семёнов", "phone": "8 (917) 482-19-37"}})
			if r.Status != http.StatusCreated {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			number := r.JSON(t)["number"].(string)
			desk := s.Page("GET", "/t/kazan/desk/", tok, nil, nil)
			if !strings.Contains(string(desk.Body), `action="/t/kazan/desk/search"`) {
				t.Error("the desk has no search box")
			}
			p := s.Page("GET", "/t/kazan/desk/search?q="+url.QueryEscape("ЛИФТ Зюзюкин"), tok, nil, nil)
			if p.Status != http.StatusOK || !strings.Contains(string(p.Body), number) || !strings.Contains(string(p.Body), "7 917 482-19-37") {
				t.Errorf("search page: %d %s", p.Status, p.Body)
			}
			if p := s.Page("GET", "/t/kazan/desk/search?q="+strings.Repeat("я", 201), tok, nil, nil); p.Status != http.StatusUnprocessableEntity {
				t.Errorf("a search too long: %d", p.Status)
			}
			citizen := s.Login("kazan", "citizen")
			if p := s.Page("GET", "/t/kazan/desk/search?q=лифт", citizen, nil, nil); p.Status != http.StatusForbidden {
				t.Errorf("a citizen on the dispatcher's search: %d", p.Status)
			}

			// Every fault of the call-taking form at once.
			p = s.Page("POST", "/t/kazan/desk/call", tok, map[string]string{"building_id": "first", "category": "",
				"description": "лифт\x00стоит", "applicant.phone": "12345", "form_key": "faults"}, nil)
			if n := strings.Count(string(p.Body), `class="field-error"`); p.Status != http.StatusUnprocessableEntity || n < 4 {
				t.Errorf("call form: %d, %d field messages, want building, category, description and phone at once", p.Status, n)
			}
		})
	}
}

// While a call is taken, the open requests of the chosen building and
// category are shown beside the form (no JavaScript needed), and one button
// adds the caller to one of them instead of filing a new request.
func TestCallFormDuplicates(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			tok := s.Login("kazan", "dispatcher")
			number := s.Submit("kazan", tok, "Лифт встал между этажами")
			p := s.Page("POST", "/t/kazan/desk/call", tok, map[string]string{"building_id": "1", "category": "lift", "matches": "1"}, nil)
			body := string(p.Body)
			if p.Status != http.StatusOK || !strings.Contains(body, `data-number="`+number+`"`) || !strings.Contains(body, `formaction="/t/kazan/desk/call/join"`) {
				t.Fatalf("matches beside the form: %d %s", p.Status, body)
			}
			p = s.Page("POST", "/t/kazan/desk/call/join", tok, map[string]string{"join": number, "applicant.name": "Соседка",
				"applicant.phone": "8 (917) 482-00-11", "building_id": "1", "category": "lift"}, nil)
			if p.Status != http.StatusSeeOther || !strings.Contains(p.Header.Get("Location"), number) {
				t.Fatalf("join: %d %s", p.Status, p.Body)
			}
			if p := s.Page("GET", "/t/kazan/requests/"+number, tok, nil, nil); !strings.Contains(string(p.Body), "7 917 482-00-11") {
				t.Errorf("the request page does not show the co-applicant: %s", p.Body)
			}
			p = s.Page("POST", "/t/kazan/desk/call/join", tok, map[string]string{"join": number, "applicant.phone": "12345"}, nil)
			if p.Status != http.StatusUnprocessableEntity || !strings.Contains(string(p.Body), `class="field-error"`) {
				t.Errorf("a bad number: %d", p.Status)
			}
			if p := s.Page("POST", "/t/kazan/desk/call/join", s.Login("kazan", "operator"), map[string]string{"join": number, "applicant.phone": "+79174820012"}, nil); p.Status != http.StatusForbidden {
				t.Errorf("an operator joined a caller: %d", p.Status)
			}
		})
	}
}
