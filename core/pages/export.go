package pages

import (
	"encoding/csv"
	"io"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// queueCSVHeader names the columns of the queue export.
var queueCSVHeader = []string{"number", "status", "priority", "category", "address", "apartment", "entrance",
	"applicant_name", "applicant_phone", "description", "organization", "executor", "created_at",
	"reaction_due_at", "resolution_due_at", "overdue"}

// writeQueueCSV writes an organization's queue as CSV (UTF-8 with a BOM, so
// spreadsheet programs read Cyrillic), times in the city's zone.
func writeQueueCSV(w io.Writer, rows []core.Request, now time.Time, loc *time.Location) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(queueCSVHeader); err != nil {
		return err
	}
	ts := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format("2006-01-02 15:04")
	}
	for i := range rows {
		r := &rows[i]
		overdue := "no"
		if r.Overdue(now) {
			overdue = "yes"
		}
		rec := []string{r.Number, string(r.Status), string(r.Priority), r.CategoryCode, r.Address, r.Apartment, r.Entrance,
			r.ApplicantName, r.ApplicantPhone, r.Description, r.Organization, r.Executor, ts(&r.CreatedAt),
			ts(r.ReactionDueAt), ts(r.ResolutionDueAt), overdue}
		for j := range rec {
			rec[j] = csvSafe(rec[j])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// csvSafe keeps a cell from being read as a formula by spreadsheet programs;
// phone numbers such as +7 917 … stay as they are.
func csvSafe(s string) string {
	if s == "" {
		return s
	}
	switch s[0] {
	case '=', '@', '\t', '\r':
		return "'" + s
	case '+', '-':
		if strings.Trim(s[1:], "0123456789 ()-") != "" {
			return "'" + s
		}
	}
	return s
}
