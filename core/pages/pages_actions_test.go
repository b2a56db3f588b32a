package pages_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// The forms of a request's page apply the lifecycle's rules: a reason is
// required where the lifecycle requires one, and the error is shown next to
// the field of the form that was sent; assignment, return "not ours",
// delegation and rejection change the request as the API would.
func TestPagesLifecycleForms(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			opOrg := s.Call("GET", "/t/kazan/api/v1/requests/"+s.Submit("kazan", cit, "probe"), op, nil).JSON(t)["organization"].(string)
			yard := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": "yard-improvement", "building_id": 1,
				"description": "Скамейка сломана"}).JSON(t)["number"].(string)
			page := "/t/kazan/requests/" + yard
			statusOf := func() string {
				return s.Call("GET", "/t/kazan/api/v1/requests/"+yard, disp, nil).JSON(t)["status"].(string)
			}

			// The dispatcher's forms: assignment needs an organization, rejection a reason.
			r := s.Page("GET", page, disp, nil, nil)
			for _, id := range []string{`id="f-assign"`, `id="f-duplicate"`, `id="f-reject"`} {
				if !strings.Contains(string(r.Body), id) {
					t.Errorf("the dispatcher's page lacks %s", id)
				}
			}
			if strings.Contains(string(r.Body), `id="f-accept"`) {
				t.Errorf("the dispatcher is offered the organization's accept")
			}
			r = s.Page("POST", page+"/reject", disp, map[string]string{"comment": " "}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "укажите причину") || statusOf() != "new" {
				t.Errorf("reject without a reason: %d %s", r.Status, statusOf())
			}
			r = s.Page("POST", page+"/assign", disp, map[string]string{"organization": "no-such-org"}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "нет организации") {
				t.Errorf("assign to an unknown organization: %d", r.Status)
			}
			if r := s.Page("POST", page+"/assign", disp, map[string]string{"organization": opOrg}, nil); r.Status != http.StatusSeeOther ||
				r.Header.Get("Location") != page+"?ok=done_assign" || statusOf() != "assigned" {
				t.Fatalf("assign: %d %s %s", r.Status, r.Header.Get("Location"), statusOf())
			}

			// The organization: "not ours" needs a reason and sends it back to triage.
			r = s.Page("GET", page, op, nil, nil)
			for _, id := range []string{`id="f-accept"`, `id="f-return"`, `id="f-delegate"`} {
				if !strings.Contains(string(r.Body), id) {
					t.Errorf("the operator's page lacks %s", id)
				}
			}
			r = s.Page("POST", page+"/delegate", op, map[string]string{"organization": opOrg}, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "нужна организация вида «подрядчик»") {
				t.Errorf("delegate to a management company: %d", r.Status)
			}
			if r := s.Page("POST", page+"/delegate", op, map[string]string{"organization": "zeleny-dvor"}, nil); r.Status != http.StatusSeeOther {
				t.Errorf("delegate: %d %s", r.Status, r.Body)
			}
			if got := s.Call("GET", "/t/kazan/api/v1/requests/"+yard, disp, nil).JSON(t)["executor"]; got != "zeleny-dvor" {
				t.Errorf("executor after delegation: %v", got)
			}
			r = s.Page("POST", page+"/return", op, map[string]string{"comment": ""}, nil)
			if r.Status != http.StatusUnprocessableEntity || statusOf() != "assigned" {
				t.Errorf("return without a reason: %d %s", r.Status, statusOf())
			}
			if r := s.Page("POST", page+"/return", op, map[string]string{"comment": "Скамейки у нас на балансе нет"}, nil); r.Status != http.StatusSeeOther || statusOf() != "returned" {
				t.Fatalf("return: %d %s", r.Status, statusOf())
			}
			if r := s.Page("GET", "/t/kazan/desk/", disp, nil, nil); !strings.Contains(string(r.Body), yard) {
				t.Errorf("the returned request is not in triage")
			}
			// The operator no longer sees it; the dispatcher rejects it with a reason.
			if r := s.Page("GET", page, op, nil, nil); r.Status != http.StatusNotFound {
				t.Errorf("operator after return: %d", r.Status)
			}
			if r := s.Page("POST", page+"/reject", disp, map[string]string{"comment": "Не относится к ЖКХ"}, nil); r.Status != http.StatusSeeOther || statusOf() != "rejected" {
				t.Errorf("reject: %d %s", r.Status, statusOf())
			}
			r = s.Page("GET", page, cit, nil, nil)
			if !strings.Contains(string(r.Body), "Не относится к ЖКХ") || strings.Contains(string(r.Body), `id="f-reject"`) {
				t.Errorf("the citizen's page after rejection: %s", r.Body)
			}
		})
	}
}

// The office puts what waits to be accepted first and highlights what is
// overdue; overdue requests also come back to the dispatcher's triage.
func TestPagesQueueOrderAndOverdue(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-25 10:00"))
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			older := s.Submit("kazan", cit, "Лифт: принят")
			if r := s.Page("POST", "/t/kazan/requests/"+older+"/accept", op, map[string]string{}, nil); r.Status != http.StatusSeeOther {
				t.Fatalf("accept: %d", r.Status)
			}
			clk.Add(time.Minute)
			newer := s.Submit("kazan", cit, "Лифт: ждёт")
			row := func(body, number string) string {
				m := regexp.MustCompile(`<tr class="([^"]*)" data-number="` + number + `">`).FindStringSubmatch(body)
				if m == nil {
					return "missing"
				}
				return m[1]
			}
			body := string(s.Page("GET", "/t/kazan/office/", op, nil, nil).Body)
			if i, j := strings.Index(body, `data-number="`+newer), strings.Index(body, `data-number="`+older); i < 0 || j < 0 || i > j {
				t.Errorf("the request waiting to be accepted is not first: %d %d", i, j)
			}
			if c := row(body, newer); strings.Contains(c, "overdue") {
				t.Errorf("overdue before its time: %q", c)
			}

			clk.Add(2 * time.Hour) // the lift's 30 minutes to react are long gone
			body = string(s.Page("GET", "/t/kazan/office/", op, nil, nil).Body)
			if c := row(body, newer); !strings.Contains(c, "overdue") {
				t.Errorf("the late request is not highlighted: %q", c)
			}
			if c := row(body, older); strings.Contains(c, "overdue") {
				t.Errorf("the accepted request is highlighted: %q", c)
			}
			body = string(s.Page("GET", "/t/kazan/office/?overdue=1", op, nil, nil).Body)
			if !strings.Contains(body, newer) || strings.Contains(body, older) {
				t.Errorf("the overdue filter")
			}
			csvBody := string(s.Page("GET", "/t/kazan/office/export.csv", op, nil, nil).Body)
			for _, line := range strings.Split(csvBody, "\n") {
				if strings.HasPrefix(line, newer) && !strings.HasSuffix(strings.TrimSpace(line), ";Да") ||
					strings.HasPrefix(line, older) && !strings.HasSuffix(strings.TrimSpace(line), ";Нет") {
					t.Errorf("export overdue column: %s", line)
				}
			}
			body = string(s.Page("GET", "/t/kazan/desk/", disp, nil, nil).Body)
			if c := row(body, newer); !strings.Contains(c, "overdue") || strings.Contains(body, `data-number="`+older) {
				t.Errorf("triage and the overdue request: %q", c)
			}
		})
	}
}
