package httpapi_test

import (
	"bytes"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

func TestDirectoryAPI(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			admin, disp, cit := s.Login("kazan", "admin"), s.Login("kazan", "dispatcher"), s.Login("kazan", "citizen")
			base := "/t/kazan/api/v1"
			cat := map[string]any{"code": "bulb", "group": "building", "name_ru": "Перегорела лампочка", "name_en": "Burnt-out bulb",
				"reaction_minutes": 120, "resolution_minutes": 120, "working_time": true, "citizen_visible": true, "active": true}
			if r := s.Call("POST", base+"/categories", disp, cat); r.Status != 403 {
				t.Errorf("dispatcher adds a category: %d", r.Status)
			}
			r := s.Call("POST", base+"/categories", admin, cat)
			if r.Status != 201 || r.JSON(t)["default_priority"] != "normal" {
				t.Fatalf("add category: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", base+"/categories", admin, cat); r.Status != 409 {
				t.Errorf("the same code again: %d", r.Status)
			}
			for name, bad := range map[string]map[string]any{
				"code":               {"code": "Bad Code", "name_ru": "x", "name_en": "x", "reaction_minutes": 1, "resolution_minutes": 1},
				"resolution_minutes": {"code": "ok-code", "name_ru": "x", "name_en": "x", "reaction_minutes": 60, "resolution_minutes": 30},
				"reaction_minutes":   {"code": "ok-code", "name_ru": "x", "name_en": "x", "emergency": true, "reaction_minutes": 60, "resolution_minutes": 600},
				"group":              {"code": "ok-code", "group": "nogroup", "name_ru": "x", "name_en": "x", "reaction_minutes": 1, "resolution_minutes": 1},
				"name_en":            {"code": "ok-code", "name_ru": "x", "reaction_minutes": 1, "resolution_minutes": 1},
			} {
				r := s.Call("POST", base+"/categories", admin, bad)
				if errs, _ := r.JSON(t)["errors"].(map[string]any); r.Status != 422 || errs[name] == nil {
					t.Errorf("category with bad %s: %d %s", name, r.Status, r.Body)
				}
			}
			cat["resolution_minutes"] = 480
			if r := s.Call("PUT", base+"/categories/bulb", admin, cat); r.Status != 200 || r.JSON(t)["resolution_minutes"] != float64(480) {
				t.Errorf("change category: %d %s", r.Status, r.Body)
			}
			cat["code"] = "renamed"
			if r := s.Call("PUT", base+"/categories/bulb", admin, cat); r.Status != 422 {
				t.Errorf("renaming a code: %d", r.Status)
			}
			// The citizen can now file it, and it is used: it cannot be deleted.
			n := s.Call("POST", base+"/requests", cit, map[string]any{"category": "bulb", "building_id": 2, "description": "Темно"})
			if n.Status != 201 {
				t.Fatalf("file in the new category: %d %s", n.Status, n.Body)
			}
			if r := s.Call("DELETE", base+"/categories/bulb", admin, nil); r.Status != 409 {
				t.Errorf("delete a used category: %d %s", r.Status, r.Body)
			}
			cat["code"], cat["active"] = "bulb", false
			s.Call("PUT", base+"/categories/bulb", admin, cat)
			if r := s.Call("POST", base+"/requests", cit, map[string]any{"category": "bulb", "building_id": 2, "description": "Темно"}); r.Status != 422 {
				t.Errorf("file in an inactive category: %d", r.Status)
			}

			org := map[string]any{"code": "svet-servis", "kind": "contractor", "name_ru": "ООО «Свет»", "name_en": "Svet LLC",
				"phone": "+7 843 555-99-99", "districts": []string{"vakhitovsky", "kirovsky"}, "categories": []string{"street-lighting"}, "active": true}
			r = s.Call("POST", base+"/organizations", admin, org)
			if r.Status != 201 || fmt.Sprint(r.JSON(t)["districts"]) != "[kirovsky vakhitovsky]" {
				t.Fatalf("add organization: %d %s", r.Status, r.Body)
			}
			org["districts"] = []string{"atlantis"}
			if r := s.Call("PUT", base+"/organizations/svet-servis", admin, org); r.Status != 422 {
				t.Errorf("unknown district: %d %s", r.Status, r.Body)
			}
			org["districts"], org["kind"], org["utility"] = []string{}, "resource_supplier", ""
			if r := s.Call("PUT", base+"/organizations/svet-servis", admin, org); r.Status != 422 {
				t.Errorf("supplier without a utility: %d", r.Status)
			}
			if r := s.Call("POST", base+"/districts", admin, map[string]any{"code": "new-district", "name_ru": "Новый", "name_en": "New"}); r.Status != 201 {
				t.Errorf("add district: %d %s", r.Status, r.Body)
			}
			if r := s.Call("DELETE", base+"/districts/aviastroitelny", admin, nil); r.Status != 409 {
				t.Errorf("delete a district with buildings: %d", r.Status)
			}
			if r := s.Call("DELETE", base+"/districts/new-district", admin, nil); r.Status != 204 {
				t.Errorf("delete an empty district: %d", r.Status)
			}
			// Address search folds case in Russian on both backends.
			found := s.Call("GET", base+"/buildings?q=копылова", cit, nil).JSON(t)["items"].([]any)
			if len(found) == 0 || !strings.Contains(fmt.Sprint(found[0]), "Копылова") {
				t.Errorf("address search: %v", found)
			}
			if r := s.Call("GET", base+"/categories", cit, nil).JSON(t); strings.Contains(fmt.Sprint(r), "bulb") {
				t.Errorf("citizen sees an inactive category")
			}
		})
	}
}

func buildingsCSV(n int, sep string) string {
	var b strings.Builder
	b.WriteString(strings.Join([]string{"registry_id", "address_ru", "address_en", "district", "management_company", "apartments", "lat", "lon"}, sep) + "\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "IMP-%05d%sул. Тестовая, д. %d%s%d Testovaya St%ssovetsky%suk-sovetsky-kvartal%s%d%s55.7%d%s49.1%d\n",
			i, sep, i+1, sep, i+1, sep, sep, sep, 20+i%300, sep, i%10, sep, i%10)
	}
	return b.String()
}

// A 5,000-row import takes seconds, reports bad rows by row and field, and
// importing the same file again changes nothing.
func TestBuildingsImport(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			admin := s.Login("kazan", "admin")
			csv := buildingsCSV(5000, ";")
			bad := "\nBAD-1;;;sovetsky;;10;55;49\nBAD-2;ул. Нет, 1;;atlantis;;10;55;49\nBAD-3;ул. Да, 1;;sovetsky;;many;55;49\nIMP-00001;повтор;;sovetsky;;1;55;49\n"
			body := strings.TrimRight(csv, "\n") + bad
			post := func(data string) (apitest.Response, time.Duration) {
				req, _ := http.NewRequest("POST", s.URL()+"/t/kazan/api/v1/buildings/import", strings.NewReader(data))
				req.Header.Set("Authorization", "Bearer "+admin)
				req.Header.Set("Content-Type", "text/csv")
				start := time.Now()
				r := s.Do(req)
				return r, time.Since(start)
			}
			r, took := post(body)
			if r.Status != 200 {
				t.Fatalf("import: %d %s", r.Status, apitest.Truncate(r.Body))
			}
			t.Logf("%s: imported 5,000 buildings in %s", kind, took.Round(time.Millisecond))
			rep := r.JSON(t)
			errs := rep["errors"].([]any)
			if rep["created"] != float64(5000) || len(errs) != 4 {
				t.Fatalf("report: created %v, %d errors: %v", rep["created"], len(errs), errs)
			}
			want := []string{"5002 address_ru", "5003 district", "5004 apartments", "5005 registry_id"}
			for i, e := range errs {
				m := e.(map[string]any)
				if got := fmt.Sprintf("%v %v", m["row"], m["field"]); got != want[i] {
					t.Errorf("error %d: %s, want %s (%v)", i, got, want[i], m["message"])
				}
			}
			r, _ = post(body)
			if rep := r.JSON(t); rep["created"] != float64(0) || rep["updated"] != float64(0) || rep["unchanged"] != float64(5000) {
				t.Errorf("re-import: %v", rep)
			}
			// Export and import round-trip; one changed row is an update.
			exp := s.Call("GET", "/t/kazan/api/v1/buildings/export", admin, nil)
			if exp.Status != 200 || !strings.HasPrefix(exp.Header.Get("Content-Type"), "text/csv") || bytes.Count(exp.Body, []byte("\n")) != 5051 {
				t.Fatalf("export: %d %s, %d lines", exp.Status, exp.Header.Get("Content-Type"), bytes.Count(exp.Body, []byte("\n")))
			}
			// For Russian Excel: a BOM, Russian headers, ';' and decimal commas; the import takes it back.
			if !bytes.HasPrefix(exp.Body, []byte("\ufeffНомер в реестре;Адрес по-русски;")) {
				t.Errorf("export head: %.80q", exp.Body)
			}
			changed := strings.Replace(string(exp.Body), `;ул. Тестовая, д. 7;`, `;ул. Тестовая, д. 7А;`, 1)
			var mp bytes.Buffer
			w := multipart.NewWriter(&mp)
			fw, _ := w.CreateFormFile("file", "buildings.csv")
			fw.Write([]byte(changed))
			w.Close()
			req, _ := http.NewRequest("POST", s.URL()+"/t/kazan/api/v1/buildings/import", &mp)
			req.Header.Set("Authorization", "Bearer "+admin)
			req.Header.Set("Content-Type", w.FormDataContentType())
			if rep := s.Do(req).JSON(t); rep["updated"] != float64(1) || rep["unchanged"] != float64(5049) || rep["created"] != float64(0) {
				t.Errorf("multipart re-import of the export with one change: %v", rep)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/buildings/import", admin, "registry_id,colour\nX,red"); r.Status != 422 {
				t.Errorf("unknown column: %d %s", r.Status, r.Body)
			}
			if r := s.Call("POST", "/t/kazan/api/v1/buildings/import", s.Login("kazan", "dispatcher"), nil); r.Status != 403 {
				t.Errorf("dispatcher imports: %d", r.Status)
			}
			page := s.Call("GET", "/t/kazan/api/v1/buildings?district=sovetsky&limit=500", admin, nil).JSON(t)
			if len(page["items"].([]any)) != 500 || page["next_after"] == nil {
				t.Errorf("buildings page: %d items", len(page["items"].([]any)))
			}
		})
	}
}

// Queue filters and keyset pages, from the operator's and the dispatcher's side.
func TestQueueFilters(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			clk := servertest.NewClock(servertest.Moscow("2026-11-16 10:00"))
			s := servertest.Start(t, kind, func(c *server.Config) { c.Now = clk.Now })
			cit, disp, op := s.Login("kazan", "citizen"), s.Login("kazan", "dispatcher"), s.Login("kazan", "operator")
			file := func(cat string, building int, text string) string {
				r := s.Call("POST", "/t/kazan/api/v1/requests", cit, map[string]any{"category": cat, "building_id": building, "description": text})
				if r.Status != 201 {
					t.Fatalf("submit: %d %s", r.Status, r.Body)
				}
				return r.JSON(t)["number"].(string)
			}
			a := file("lift", 1, "Лифт стоит между этажами")
			b := file("roof-leak", 1, "Течёт крыша")
			clk.Add(20 * time.Hour) // tokens live 24 hours
			c := file("heating", 8, "Холодные батареи")
			// The built-in rules route them at intake: lifts and roofs to the
			// building's company, heating to the heat supplier.
			clk.Add(time.Hour)
			numbers := func(token, q string) string {
				r := s.Call("GET", "/t/kazan/api/v1/requests?"+q, token, nil)
				if r.Status != 200 {
					t.Fatalf("?%s: %d %s", q, r.Status, r.Body)
				}
				var ns []string
				for _, it := range r.JSON(t)["items"].([]any) {
					ns = append(ns, it.(map[string]any)["number"].(string))
				}
				return strings.Join(ns, ",")
			}
			cases := []struct{ token, q, want string }{
				{disp, "category=lift", a},
				{disp, "category=utilities", c},
				{disp, "district=aviastroitelny", b + "," + a},
				{disp, "organization=teploset-kazan", c},
				{disp, "status=assigned", c + "," + b + "," + a},
				{disp, "status=new,returned", ""},
				{disp, "overdue=true", c + "," + b + "," + a}, // all were routed at intake; a day later all are late
				{disp, "q=" + "ХОЛОДНЫЕ", c},
				{disp, "q=" + c, c},
				{disp, "created_from=2026-11-17", c},
				{disp, "created_to=2026-11-17", b + "," + a},
				{op, "", b + "," + a},
				{op, "organization=uk-vakhitovsky", ""},
				{op, "limit=1", b},
			}
			for _, tc := range cases {
				if got := numbers(tc.token, tc.q); got != tc.want {
					t.Errorf("?%s: %s, want %s", tc.q, got, tc.want)
				}
			}
			for _, q := range []string{"status=lost", "category=Lift!", "overdue=yes", "created_from=yesterday"} {
				if r := s.Call("GET", "/t/kazan/api/v1/requests?"+q, disp, nil); r.Status != 422 {
					t.Errorf("?%s: %d", q, r.Status)
				}
			}
		})
	}
}
