package pages

import (
	"bytes"
	"encoding/csv"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
)

func TestRemaining(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		due      time.Duration
		lang, is string
	}{
		{25 * time.Minute, "ru", "осталось 25 мин"},
		{2*time.Hour + 5*time.Minute, "en", "2 h 05 min left"},
		{-15 * time.Minute, "en", "overdue by 15 min"},
		{-(26 * time.Hour), "ru", "просрочено на 1 д 2 ч"},
	} {
		if got := remaining(now.Add(c.due), now, c.lang); got != c.is {
			t.Errorf("%v %s: %q, want %q", c.due, c.lang, got, c.is)
		}
	}
}

// The form gives intake what was typed; only what the form cannot carry
// (a number that is no number) is judged here.
func TestNewRequestForm(t *testing.T) {
	in, f := newRequestForm(url.Values{"category": {"lift"}, "building_id": {"7"}, "location.lat": {"55,79"},
		"location.lon": {"49.12"}, "applicant.phone": {"+7 917 000-00-00"}, "emergency": {"1"}})
	if len(f) != 0 || in.BuildingID == nil || *in.BuildingID != 7 || in.Location.Lat != 55.79 ||
		in.Priority != core.PriorityEmergency || in.Applicant.Phone != "+7 917 000-00-00" {
		t.Errorf("parsed %+v %v", in, f)
	}
	_, f = newRequestForm(url.Values{"building_id": {"seven"}, "location.lat": {"north"}, "location.lon": {"1"}})
	if f["building_id"].Code == "" || f["location.lat"].Code == "" || f["location.lon"].Code != "" {
		t.Errorf("errors %v", f)
	}
}

// The CSV for Russian Excel: a BOM, ';', decimal commas, dates as
// dd.mm.yyyy in the city's zone, durations as h:mm, an empty cell for a
// missing figure; it neither loses a phone number nor lets a cell run as
// a formula.
func TestCSVForExcel(t *testing.T) {
	msk, _ := time.LoadLocation("Europe/Moscow")
	at := time.Date(2026, 11, 26, 21, 30, 0, 0, time.UTC)
	tab := &hqTable{Columns: make([]hqColumn, 8), Rows: [][]hqCell{{text("+7 917 000-00-00"), text("=HYPERLINK(\"http://evil\")"),
		text("-1+2"), {Kind: cellDecimal, Num: 43.75}, {Kind: cellShare, Num: 0.7143}, {Kind: cellDuration, Num: 89400},
		{Kind: cellTime, At: at}, {Kind: cellShare, Blank: true}}}}
	var b bytes.Buffer
	if err := writeCSV(&b, "ru", []string{"Телефон", "Описание", "Имя", "На 1000", "Доля", "Время", "Поступило", "Пусто"}, msk, tab, ';'); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(b.String(), "\ufeff") {
		t.Errorf("no BOM")
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, b.String())
	}
	want := []string{"+7 917 000-00-00", "'=HYPERLINK(\"http://evil\")", "'-1+2", "43,75", "71,4%", "24:50", "27.11.2026 00:30", ""}
	if strings.Join(recs[1], "|") != strings.Join(want, "|") {
		t.Errorf("row %q, want %q", recs[1], want)
	}
}

func TestQueueFilter(t *testing.T) {
	q := queueFilter(url.Values{"status": {"accepted"}, "overdue": {"1"}, "category": {"lift"}, "q": {"Копылова"}})
	if len(q.Statuses) != 1 || q.Statuses[0] != core.StatusAccepted || !q.Overdue || q.Category != "lift" || q.Text != "Копылова" {
		t.Errorf("%+v", q)
	}
	if q := queueFilter(url.Values{"status": {"bogus"}}); len(q.Statuses) != 0 {
		t.Errorf("an unknown status filtered: %+v", q)
	}
}
