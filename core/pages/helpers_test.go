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

// The export neither loses a phone number nor lets a cell run as a formula.
func TestQueueCSV(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	due := now.Add(-time.Hour)
	rows := []core.Request{{Number: "2026-000001", Status: core.StatusAssigned, ApplicantPhone: "+7 917 000-00-00",
		Description: "=HYPERLINK(\"http://evil\")", ApplicantName: "-1+2", ReactionDueAt: &due, CreatedAt: now}}
	var b bytes.Buffer
	if err := writeQueueCSV(&b, rows, now, time.UTC); err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 {
		t.Fatalf("%v %q", err, b.String())
	}
	row := map[string]string{}
	for i, h := range recs[0] {
		row[h] = recs[1][i]
	}
	if row["applicant_phone"] != "+7 917 000-00-00" || row["description"][0] != '\'' || row["applicant_name"][0] != '\'' ||
		row["overdue"] != "yes" || row["reaction_due_at"] != "2026-11-26 11:00" {
		t.Errorf("row %v", row)
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
