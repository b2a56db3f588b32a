package pages

import (
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// queueTable lays an organization's queue out for its export: headers,
// statuses and priorities in the reader's language, times in the city's
// zone; the organization works these requests, so the applicant's contacts
// are in it.
func queueTable(pg *web.Page, rows []core.Request, now time.Time) *hqTable {
	t := &hqTable{Name: "queue", Title: pg.T("office_title"), Columns: []hqColumn{
		{"number", cellText}, {"status", cellText}, {"priority", cellText}, {"category", cellText}, {"address", cellText},
		{"apartment", cellText}, {"entrance", cellText}, {"applicant", cellText}, {"phone", cellText}, {"description", cellText},
		{"organization", cellText}, {"executor", cellText}, {"created", cellTime}, {"hq.reaction_due", cellTime},
		{"hq.resolution_due", cellTime}, {"hq.overdue_now", cellText},
	}}
	at := func(v *time.Time) hqCell {
		if v == nil {
			return hqCell{Kind: cellTime, Blank: true}
		}
		return hqCell{Kind: cellTime, At: *v}
	}
	for i := range rows {
		r := &rows[i]
		overdue := pg.T("no")
		if r.Overdue(now) {
			overdue = pg.T("yes")
		}
		t.Rows = append(t.Rows, []hqCell{text(r.Number), text(pg.T("status." + string(r.Status))),
			text(pg.T("priority." + string(r.Priority))), text(pg.Category(r.CategoryCode)), text(r.Address), text(r.Apartment),
			text(r.Entrance), text(r.ApplicantName), text(r.ApplicantPhone), text(r.Description),
			text(orDash(pg.Org(r.Organization), r.Organization)), text(orDash(pg.Org(r.Executor), r.Executor)),
			at(&r.CreatedAt), at(r.ReactionDueAt), at(r.ResolutionDueAt), text(overdue)})
	}
	return t
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
