package pages

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// cellKind is what an HQ table's cell holds, so the page, the XLSX and the
// CSV exports each write it their own way: numbers stay numbers, dates
// stay dates.
type cellKind int

const (
	cellText     cellKind = iota
	cellCount             // a whole number
	cellDecimal           // a number with two decimals (per 1,000 apartments, an average)
	cellShare             // a fraction shown as a percentage
	cellDuration          // seconds, shown as days, hours and minutes
	cellDate              // a day
	cellTime              // an instant, in the city's time zone
)

// hqCell is one cell; Num holds numbers, shares and durations, At dates and
// instants; Blank marks a figure that has no value (nothing to share).
type hqCell struct {
	Kind  cellKind
	Text  string
	Num   float64
	At    time.Time
	Blank bool
	Link  string
	Class string // "up", "down": a trend worse or better than before
}

// hqColumn is a column's header (a catalog code) and what its cells hold.
type hqColumn struct {
	Header string
	Kind   cellKind
}

// hqTable is a table of HQ as its reader sees it: the page renders it and
// the exports write it.
type hqTable struct {
	Name    string // the file name's stem
	Title   string // the sheet's and page's title, in the reader's language
	Columns []hqColumn
	Rows    [][]hqCell
	// Labels are headers as they stand (names from the directory), in
	// place of the columns' catalog codes where set.
	Labels []string
}

// header is column i's header in the reader's language.
func (t *hqTable) header(pg *web.Page, i int) string {
	if i < len(t.Labels) && t.Labels[i] != "" {
		return t.Labels[i]
	}
	return pg.T(t.Columns[i].Header)
}

func text(s string) hqCell { return hqCell{Kind: cellText, Text: s} }
func count(n int64) hqCell { return hqCell{Kind: cellCount, Num: float64(n)} }
func date(t time.Time) hqCell {
	return hqCell{Kind: cellDate, At: t}
}

func decimal(v *float64) hqCell {
	if v == nil {
		return hqCell{Kind: cellDecimal, Blank: true}
	}
	return hqCell{Kind: cellDecimal, Num: *v}
}

func shareCell(v *float64) hqCell {
	if v == nil {
		return hqCell{Kind: cellShare, Blank: true}
	}
	return hqCell{Kind: cellShare, Num: *v}
}

func seconds(v *int64) hqCell {
	if v == nil {
		return hqCell{Kind: cellDuration, Blank: true}
	}
	return hqCell{Kind: cellDuration, Num: float64(*v)}
}

// show writes a cell for the page in the reader's language: decimal comma
// in Russian, times in the city's zone.
func (c hqCell) show(pg *web.Page) string {
	if c.Blank {
		return "—"
	}
	switch c.Kind {
	case cellCount:
		return groupDigits(strconv.FormatInt(int64(c.Num), 10), pg.Lang)
	case cellDecimal:
		return localNumber(strconv.FormatFloat(c.Num, 'f', 2, 64), pg.Lang)
	case cellShare:
		return localNumber(strconv.FormatFloat(c.Num*100, 'f', 1, 64), pg.Lang) + percentSign(pg.Lang)
	case cellDuration:
		return duration(pg, int64(c.Num))
	case cellDate:
		return c.At.Format("02.01.2006")
	case cellTime:
		return pg.Time(c.At)
	}
	return c.Text
}

func percentSign(lang string) string {
	if lang == "ru" {
		return "\u00a0%"
	}
	return "%"
}

// localNumber writes a decimal number with the language's decimal sign.
func localNumber(s, lang string) string {
	whole, frac, _ := strings.Cut(s, ".")
	whole = groupDigits(whole, lang)
	if frac == "" {
		return whole
	}
	if lang == "ru" {
		return whole + "," + frac
	}
	return whole + "." + frac
}

// groupDigits separates thousands: a no-break space in Russian, a comma in
// English.
func groupDigits(s, lang string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	sep := ","
	if lang == "ru" {
		sep = "\u00a0"
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString(sep)
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// duration writes seconds as days and hours, hours and minutes, or minutes
// (catalog codes clock.*).
func duration(pg *web.Page, s int64) string {
	m := int64(math.Round(float64(s) / 60))
	switch {
	case m >= 24*60:
		return pg.T("clock.dh", "D", m/(24*60), "H", m%(24*60)/60)
	case m >= 60:
		return pg.T("clock.hm", "H", m/60, "M", m%60)
	}
	return pg.T("clock.m", "M", m)
}

// trend marks a figure that moved against the city since the previous
// period: more requests per 1,000 apartments, fewer deadlines met.
func trend(c hqCell, now, before *float64, higherIsWorse bool) hqCell {
	if now == nil || before == nil || *now == *before {
		return c
	}
	if (*now > *before) == higherIsWorse {
		c.Class = "worse"
	} else {
		c.Class = "better"
	}
	return c
}

// dashboardTable lays the dashboard out as figures by period.
func dashboardTable(pg *web.Page, d *core.Dashboard) *hqTable {
	return figuresTable(pg, "dashboard", pg.T("hq.dashboard"), []string{"hq.period", "hq.previous", "hq.year_ago"},
		[]core.PeriodFigures{d.Current, d.Previous, d.YearAgo})
}

// figuresTable lays periods' figures out side by side, a column per
// period under headers (catalog codes).
func figuresTable(pg *web.Page, name, title string, headers []string, periods []core.PeriodFigures) *hqTable {
	t := &hqTable{Name: name, Title: title, Columns: []hqColumn{{"hq.figure", cellText}}}
	for _, h := range headers {
		t.Columns = append(t.Columns, hqColumn{h, cellText})
	}
	row := func(label string, cell func(f core.Figures) hqCell) {
		r := []hqCell{text(pg.T(label))}
		for _, p := range periods {
			r = append(r, cell(p.Figures))
		}
		t.Rows = append(t.Rows, r)
	}
	dates := []hqCell{text(pg.T("hq.dates"))}
	for _, p := range periods {
		dates = append(dates, text(span(p.Period)))
	}
	t.Rows = append(t.Rows, dates)
	row("hq.received", func(f core.Figures) hqCell { return count(f.Received) })
	row("hq.apartments", func(f core.Figures) hqCell { return count(f.Apartments) })
	row("hq.per_thousand", func(f core.Figures) hqCell { return decimal(f.PerThousand) })
	row("hq.open", func(f core.Figures) hqCell { return count(f.Open) })
	row("hq.overdue", func(f core.Figures) hqCell { return count(f.Overdue) })
	row("hq.reaction_share", func(f core.Figures) hqCell { return shareCell(f.ReactionShare) })
	row("hq.resolution_share", func(f core.Figures) hqCell { return shareCell(f.ResolutionShare) })
	row("hq.reaction_median", func(f core.Figures) hqCell { return seconds(f.ReactionMedian) })
	row("hq.reaction_p90", func(f core.Figures) hqCell { return seconds(f.ReactionP90) })
	row("hq.resolution_median", func(f core.Figures) hqCell { return seconds(f.ResolutionMedian) })
	row("hq.resolution_p90", func(f core.Figures) hqCell { return seconds(f.ResolutionP90) })
	row("hq.reopened_share", func(f core.Figures) hqCell { return shareCell(f.ReopenedShare) })
	row("hq.returned_share", func(f core.Figures) hqCell { return shareCell(f.ReturnedShare) })
	row("hq.rating", func(f core.Figures) hqCell { return decimal(f.RatingAverage) })
	// The figures' columns hold mixed kinds: each cell keeps its own.
	return t
}

// leagueTable lays a league table out, one row per organization or
// district, linked to its drill-down.
func leagueTable(pg *web.Page, l *core.League, link func(code string) string) *hqTable {
	t := &hqTable{Name: "league-" + l.Kind, Title: pg.T("hq.league." + l.Kind), Columns: []hqColumn{
		{"hq.rank", cellCount}, {"hq.name", cellText}, {"hq.received", cellCount}, {"hq.apartments", cellCount},
		{"hq.per_thousand", cellDecimal}, {"hq.per_thousand_before", cellDecimal},
		{"hq.deadlines_met", cellShare}, {"hq.deadlines_met_before", cellShare},
		{"hq.open", cellCount}, {"hq.overdue", cellCount}, {"hq.reopened_share", cellShare}, {"hq.returned_share", cellShare},
		{"hq.rating", cellDecimal},
	}}
	for _, r := range l.Rows {
		f, p := r.Figures, r.Previous
		name := text(r.Name(pg.Lang))
		name.Link = link(r.Code)
		t.Rows = append(t.Rows, []hqCell{count(int64(r.Rank)), name, count(f.Received), count(f.Apartments),
			trend(decimal(f.PerThousand), f.PerThousand, p.PerThousand, true), decimal(p.PerThousand),
			trend(shareCell(f.DeadlinesMet), f.DeadlinesMet, p.DeadlinesMet, false), shareCell(p.DeadlinesMet),
			count(f.Open), count(f.Overdue), shareCell(f.ReopenedShare), shareCell(f.ReturnedShare), decimal(f.RatingAverage)})
	}
	return t
}

// buildingsTable lays an organization's buildings out, linked to their
// requests.
func buildingsTable(pg *web.Page, b *core.OrgBuildings, link func(id int64) string) *hqTable {
	t := &hqTable{Name: "buildings-" + b.Code, Title: b.Name(pg.Lang), Columns: []hqColumn{
		{"hq.address", cellText}, {"hq.apartments", cellCount}, {"hq.received", cellCount}, {"hq.per_thousand", cellDecimal},
		{"hq.open", cellCount}, {"hq.overdue", cellCount}, {"hq.deadlines_met", cellShare}, {"hq.reopened_share", cellShare},
		{"hq.rating", cellDecimal},
	}}
	for _, r := range b.Rows {
		addr := text(r.Address)
		if r.ID == 0 {
			addr = text(pg.T("hq.no_building"))
		}
		addr.Link = link(r.ID)
		f := r.Figures
		t.Rows = append(t.Rows, []hqCell{addr, count(f.Apartments), count(f.Received), decimal(f.PerThousand), count(f.Open),
			count(f.Overdue), shareCell(f.DeadlinesMet), shareCell(f.ReopenedShare), decimal(f.RatingAverage)})
	}
	return t
}

// requestsTable lists requests without personal data, linked to their
// pages.
func requestsTable(pg *web.Page, b *core.BuildingRequests, link func(number string) string) *hqTable {
	t := &hqTable{Name: fmt.Sprintf("requests-%s-%d", b.Code, b.BuildingID), Title: b.Name(pg.Lang), Columns: []hqColumn{
		{"hq.number", cellText}, {"hq.created", cellTime}, {"category", cellText}, {"hq.channel", cellText}, {"status", cellText},
		{"priority", cellText}, {"hq.organization", cellText}, {"hq.executor", cellText}, {"hq.reaction", cellDuration},
		{"hq.resolution", cellDuration}, {"hq.overdue_now", cellText}, {"hq.reopens", cellCount}, {"hq.rating", cellDecimal},
	}}
	for _, r := range b.Requests {
		num := text(r.Number)
		num.Link = link(r.Number)
		overdue := pg.T("no")
		if r.Overdue {
			overdue = pg.T("yes")
		}
		var rating *float64
		if r.Rating != nil {
			v := float64(*r.Rating)
			rating = &v
		}
		t.Rows = append(t.Rows, []hqCell{num, {Kind: cellTime, At: r.CreatedAt}, text(pg.Category(r.Category)),
			text(pg.T("channel." + string(r.Channel))), text(pg.T("status." + string(r.Status))), text(pg.T("priority." + string(r.Priority))),
			text(orDash(pg.Org(r.Organization), r.Organization)), text(orDash(pg.Org(r.Executor), r.Executor)),
			seconds(r.ReactionSeconds), seconds(r.ResolutionSeconds), text(overdue), count(int64(r.Reopens)), decimal(rating)})
	}
	return t
}

func orDash(name, code string) string {
	if code == "" {
		return "—"
	}
	return name
}
