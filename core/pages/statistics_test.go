package pages_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/xuri/excelize/v2"
)

type statistics struct {
	From, To    string
	GeneratedAt time.Time `json:"generated_at"`
	Rows        []struct {
		Month, Kind, Code                  string
		NameRU                             string `json:"name_ru"`
		Received, Resolved, ResolvedOnTime int64
	}
}

// received sums the month's received requests of one kind of group.
func (s statistics) received(month, kind string) (n int64) {
	for _, r := range s.Rows {
		if r.Month == month && r.Kind == kind {
			n += r.Received
		}
	}
	return n
}

// The public statistics are open to everyone without an account, count a
// city's own requests only, export to files Russian Excel opens, and
// answer a bad month with a message in the reader's language.
func TestPublicStatisticsPages(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			s := servertest.Start(t, kind)
			get := func(city, query string) statistics {
				t.Helper()
				r := s.Call("GET", "/t/"+city+"/api/v1/statistics"+query, "", nil)
				var st statistics
				if r.Status != http.StatusOK || json.Unmarshal(r.Body, &st) != nil {
					t.Fatalf("%s statistics%s: %d %s", city, query, r.Status, r.Body)
				}
				return st
			}
			cit := s.Login("kazan", "citizen")
			first := s.Get("kazan", cit, s.Submit("kazan", cit, "Лифт стоит STATS-ONE"))
			created, err := time.Parse(time.RFC3339Nano, first["created_at"].(string))
			if err != nil {
				t.Fatal(err)
			}
			msk, _ := time.LoadLocation("Europe/Moscow")
			month := created.In(msk).Format("2006-01")
			one := fmt.Sprintf("?from=%s&to=%s", month, month)
			kazan, nk := get("kazan", one), get("nizhnekamsk", one)
			s.Submit("kazan", cit, "Лифт стоит STATS-TWO")
			s.Submit("kazan", cit, "Лифт стоит STATS-THREE")

			// Another question counts afresh: Kazan's two new requests show
			// in its districts and nowhere in Nizhnekamsk.
			two := fmt.Sprintf("?from=%s&to=%s", created.In(msk).AddDate(0, -1, 0).Format("2006-01"), month)
			kazan2, nk2 := get("kazan", two), get("nizhnekamsk", two)
			if got, want := kazan2.received(month, "district"), kazan.received(month, "district")+2; got != want {
				t.Errorf("Kazan's districts received %d this month, want %d", got, want)
			}
			if got, want := nk2.received(month, "district"), nk.received(month, "district"); got != want {
				t.Errorf("Nizhnekamsk's districts received %d this month, want %d as before Kazan's requests", got, want)
			}
			for _, r := range nk2.Rows {
				for _, k := range kazan2.Rows {
					if r.Kind == k.Kind && r.Code == k.Code && r.NameRU == k.NameRU && r.Kind == "management_company" {
						t.Errorf("Nizhnekamsk's statistics name Kazan's %s %s", k.Code, k.NameRU)
					}
				}
			}
			// The same question again is answered from the cache.
			if again := get("kazan", one); !again.GeneratedAt.Equal(kazan.GeneratedAt) {
				t.Errorf("a repeated question was counted again")
			}
			// Figures only: no applicant, no description, no number.
			raw := s.Call("GET", "/t/kazan/api/v1/statistics"+two, "", nil).Body
			for _, secret := range []string{"STATS-", "+7917", "Иван", "phone", "applicant", first["number"].(string)} {
				if bytes.Contains(raw, []byte(secret)) {
					t.Errorf("public statistics hold %q", secret)
				}
			}

			// The page, in the city's language and in English.
			r := s.Page("GET", "/t/kazan/statistics"+two, "", nil, nil)
			body := string(r.Body)
			if r.Status != http.StatusOK || !strings.Contains(body, "Открытая статистика") || !strings.Contains(body, "Медианное время решения") ||
				!strings.Contains(body, month) {
				t.Fatalf("statistics page: %d %s", r.Status, body)
			}
			if r := s.Page("GET", "/t/kazan/statistics?lang=en&kind=management_company", "", nil, nil); r.Status != http.StatusOK ||
				!strings.Contains(string(r.Body), "Public statistics") || !strings.Contains(string(r.Body), `aria-current="page" class="current">Management companies`) {
				t.Errorf("English management companies: %d %s", r.Status, r.Body)
			}

			// CSV for Russian Excel: a BOM, ';', Russian headers.
			r = s.Page("GET", "/t/kazan/statistics"+two+"&format=csv", "", nil, nil)
			cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\ufeff"))))
			cr.Comma = ';'
			rows, err := cr.ReadAll()
			if err != nil || r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte("\ufeff")) || len(rows) < 2 ||
				strings.Join(rows[0], "|") != "Месяц|Название|Поступило|Решено|Решено в срок|Медианное время решения" {
				t.Fatalf("CSV: %d %v %q", r.Status, err, r.Body)
			}
			var sum int64
			for _, row := range rows[1:] {
				if row[0] == month {
					var n int64
					fmt.Sscan(strings.ReplaceAll(row[2], "\u00a0", ""), &n)
					sum += n
				}
			}
			if sum != kazan2.received(month, "district") {
				t.Errorf("CSV counts %d this month, the API %d", sum, kazan2.received(month, "district"))
			}
			// XLSX: numbers stay numbers.
			r = s.Page("GET", "/t/kazan/statistics"+two+"&format=xlsx&kind=management_company", "", nil, nil)
			f, err := excelize.OpenReader(bytes.NewReader(r.Body))
			if err != nil {
				t.Fatalf("XLSX: %d %v", r.Status, err)
			}
			sheet := f.GetSheetName(0)
			if head, _ := f.GetCellValue(sheet, "C1"); head != "Поступило" {
				t.Errorf("XLSX header C1 %q", head)
			}
			if typ, _ := f.GetCellType(sheet, "C2"); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
				t.Errorf("XLSX C2 is %v, want a number", typ)
			}
			f.Close()

			// Bad months: a form message in Russian on the page, a field
			// error in the API; nothing typed is lost.
			r = s.Page("GET", "/t/kazan/statistics?from=2026-13&to=2026-11", "", nil, nil)
			if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "не месяц ГГГГ-ММ") ||
				!strings.Contains(string(r.Body), `value="2026-13"`) {
				t.Errorf("bad month on the page: %d %s", r.Status, r.Body)
			}
			if r := s.Call("GET", "/t/kazan/api/v1/statistics?from=2020-01&to=2026-11", "", nil); r.Status != http.StatusUnprocessableEntity ||
				r.Fields(t)["from"] == nil {
				t.Errorf("37 months through the API: %d %s", r.Status, r.Body)
			}
			if r := s.Page("GET", "/t/kazan/statistics?kind=phone", "", nil, nil); r.Status != http.StatusUnprocessableEntity {
				t.Errorf("unknown kind: %d", r.Status)
			}
		})
	}
}
