package core

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Steps of a trend: a point per day, per week (Monday to Sunday) or per
// calendar month.
const (
	StepDay   = "day"
	StepWeek  = "week"
	StepMonth = "month"
)

// TrendSteps lists the steps of HQ's trends.
var TrendSteps = []string{StepDay, StepWeek, StepMonth}

// DailyCount is the requests of one category received on one day.
type DailyCount struct {
	Day        string `bun:"day"`
	CategoryID int64  `bun:"category_id"`
	Received   int64  `bun:"received"`
}

// TrendSeries is one category group's requests per step; a category
// without a group is a series of its own. Peak is the index of the
// highest point (the earliest of equals), -1 when every point is 0.
type TrendSeries struct {
	Group  string  `json:"group"` // category group code, or the category's code
	NameRU string  `json:"name_ru"`
	NameEN string  `json:"name_en"`
	Counts []int64 `json:"counts"` // one per point of Trends.Points
	Total  int64   `json:"total"`
	Peak   int     `json:"peak"`
}

// Name returns the series' name in lang.
func (s TrendSeries) Name(lang string) string { return LocalName(s.NameRU, s.NameEN, lang) }

// Trends are the requests received per category group in a period, a
// point per step: the heating season's peak shows in a year of months.
type Trends struct {
	Filter HQFilter `json:"filter"`
	Step   string   `json:"step" enum:"trend_steps"`
	// Points are the steps' spans, cut to the period at its ends.
	Points []Period      `json:"points"`
	Series []TrendSeries `json:"series"`
}

// Trends returns f's requests per category group and step (default
// month). Without f.From the period is the year up to f.To, so that the
// seasons show.
func (a *Analytics) Trends(ctx context.Context, actor Actor, f HQFilter, step string) (*Trends, error) {
	yearly := strings.TrimSpace(f.From) == ""
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	if step == "" {
		step = StepMonth
	}
	if !slices.Contains(TrendSteps, step) {
		fe := FieldErrors{}
		fe.Add("step", "error.one_of", "List", strings.Join(TrendSteps, ", "))
		return nil, fe.Err()
	}
	if yearly {
		h.from = h.to.AddDate(-1, 0, 1)
		h.f.From = h.from.Format(time.DateOnly)
		h.q.From = h.f.From
	}
	out := &Trends{Filter: h.f, Step: step, Points: stepSpans(h.from, h.to, step), Series: []TrendSeries{}}
	rows, err := a.dailyCounts(ctx, h.q)
	if err != nil {
		return nil, err
	}
	index := map[string]int{} // day → point
	for i, p := range out.Points {
		from, _ := time.ParseInLocation(time.DateOnly, p.From, a.Location)
		to, _ := time.ParseInLocation(time.DateOnly, p.To, a.Location)
		for d := from; !d.After(to); d = d.AddDate(0, 0, 1) {
			index[d.Format(time.DateOnly)] = i
		}
	}
	series := map[string]*TrendSeries{}
	seriesOf := func(c *Category) *TrendSeries {
		code, ru, en := c.Code, c.NameRU, c.NameEN
		if c.GroupCode != "" {
			code, ru, en = c.GroupCode, c.GroupCode, c.GroupCode
			for _, g := range h.dir.Groups {
				if g.Code == c.GroupCode {
					ru, en = g.NameRU, g.NameEN
				}
			}
		}
		s := series[code]
		if s == nil {
			s = &TrendSeries{Group: code, NameRU: ru, NameEN: en, Counts: make([]int64, len(out.Points))}
			series[code] = s
		}
		return s
	}
	cats := map[int64]*Category{}
	for i := range h.dir.Categories {
		cats[h.dir.Categories[i].ID] = &h.dir.Categories[i]
	}
	for _, r := range rows {
		c := cats[r.CategoryID]
		i, ok := index[r.Day]
		if !ok || c == nil {
			continue
		}
		s := seriesOf(c)
		s.Counts[i] += r.Received
		s.Total += r.Received
	}
	// Series in the directory's order of groups, then categories.
	order := []string{}
	for _, g := range h.dir.Groups {
		order = append(order, g.Code)
	}
	for _, c := range h.dir.Categories {
		order = append(order, c.Code)
	}
	for _, code := range order {
		s := series[code]
		if s == nil {
			continue
		}
		delete(series, code)
		s.Peak = -1
		for i, n := range s.Counts {
			if n > 0 && (s.Peak < 0 || n > s.Counts[s.Peak]) {
				s.Peak = i
			}
		}
		out.Series = append(out.Series, *s)
	}
	return out, nil
}

// dailyCounts returns the daily counts of q: the days before today
// through the city's BaselineCache, as a request is received on the day it
// is filed (the city's day, or UTC's where no city's is given: today is
// the earlier of the two); today's counted live. A request filed with a
// past time (an import) or moved to another category shows in the past
// days within BaselineTTL.
func (a *Analytics) dailyCounts(ctx context.Context, q DaysQuery) ([]DailyCount, error) {
	now := a.Now()
	today := min(now.In(a.Location).Format(time.DateOnly), now.UTC().Format(time.DateOnly))
	if a.Baselines == nil || q.From >= today {
		return a.Store.DailyCounts(ctx, q)
	}
	past := q
	past.Now = time.Time{}
	if past.To >= today {
		t, err := time.Parse(time.DateOnly, today)
		if err != nil {
			return nil, err
		}
		past.To = t.AddDate(0, 0, -1).Format(time.DateOnly)
	}
	key := fmt.Sprintf("%s|%+v", a.City, past)
	rows, ok := a.Baselines.getDays(key)
	if !ok {
		var err error
		if rows, err = a.Store.DailyCounts(ctx, past); err != nil {
			return nil, err
		}
		a.Baselines.addDays(key, rows)
	}
	if q.To < today {
		return rows, nil
	}
	live := q
	live.From = today
	fresh, err := a.Store.DailyCounts(ctx, live)
	if err != nil {
		return nil, err
	}
	return append(slices.Clip(rows), fresh...), nil
}

// stepSpans cuts from–to into steps: days, weeks from Monday, calendar
// months; the first and last are cut to the period.
func stepSpans(from, to time.Time, step string) []Period {
	var out []Period
	for d := from; !d.After(to); {
		var next time.Time
		switch step {
		case StepDay:
			next = d.AddDate(0, 0, 1)
		case StepWeek:
			next = d.AddDate(0, 0, (8-int(d.Weekday()))%7)
			if next.Equal(d) {
				next = d.AddDate(0, 0, 7)
			}
		default:
			next = time.Date(d.Year(), d.Month()+1, 1, 0, 0, 0, 0, d.Location())
		}
		end := next.AddDate(0, 0, -1)
		if end.After(to) {
			end = to
		}
		out = append(out, Period{From: d.Format(time.DateOnly), To: end.Format(time.DateOnly)})
		d = next
	}
	return out
}
