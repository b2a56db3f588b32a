package core

import (
	"context"
	"strings"
	"time"
)

// Bounds of the weekly summary's lists, the most telling first.
const (
	SummaryHotSpots = 20
	SummaryOverdue  = 200
)

// OverdueItem is an overdue request as HQ's weekly summary lists it,
// without personal data: Due is the deadline it missed first (the
// reaction time while not accepted, else the resolution time) and
// LateSeconds how long ago that was.
type OverdueItem struct {
	Number       string    `json:"number"`
	Category     string    `json:"category"`     // category code
	Organization string    `json:"organization"` // organization code, "" for none
	District     string    `json:"district"`     // district code, "" for none
	Priority     Priority  `json:"priority"`
	CreatedAt    time.Time `json:"created_at"`
	Due          time.Time `json:"due"`
	LateSeconds  int64     `json:"late_seconds"`
}

// WeeklySummary is HQ's report of one ISO week: its figures beside the
// week before, its hot spots (against the 12 months before it) and the
// requests overdue at the moment the summary was made.
type WeeklySummary struct {
	Week     string        `json:"week"` // "2026-W48"
	Prev     string        `json:"prev"`
	Next     string        `json:"next"`
	Current  PeriodFigures `json:"current"`
	Previous PeriodFigures `json:"previous"`
	HotSpots *HotSpots     `json:"hot_spots"`
	// Overdue lists at most SummaryOverdue requests, the latest first;
	// OverdueTotal counts them all.
	Overdue      []OverdueItem `json:"overdue"`
	OverdueTotal int64         `json:"overdue_total"`
	At           time.Time     `json:"at"` // when "overdue" was judged
}

// LastWeek is the ISO week before the one now falls in, in loc: the week
// a summary made on a Monday reports on.
func LastWeek(now time.Time, loc *time.Location) string {
	return ISOWeek(now.In(loc).AddDate(0, 0, -7))
}

// WeeklySummary returns the summary of an ISO week ("2026-W48"; "" for
// the last complete week in the city's time zone). A malformed week is an
// EINVALID field error "week".
func (a *Analytics) WeeklySummary(ctx context.Context, actor Actor, week string) (*WeeklySummary, error) {
	if err := a.Gate.Allow(ctx, actor, ObjAnalytics, ActRead); err != nil {
		return nil, err
	}
	now := a.Now()
	if week = strings.TrimSpace(week); week == "" {
		week = LastWeek(now, a.Location)
	}
	monday, ok := ParseISOWeek(week, a.Location)
	if !ok {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"week": M("error.week")}}
	}
	sunday := monday.AddDate(0, 0, 6)
	f := HQFilter{From: monday.Format(time.DateOnly), To: sunday.Format(time.DateOnly)}
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	s := &WeeklySummary{Week: week, Prev: ISOWeek(monday.AddDate(0, 0, -7)), Next: ISOWeek(monday.AddDate(0, 0, 7)), At: now.UTC()}
	apartments := h.apartments(nil, 0)
	if s.Current, err = a.periodFigures(ctx, h, h.from, h.to, apartments); err != nil {
		return nil, err
	}
	if s.Previous, err = a.periodFigures(ctx, h, h.from.AddDate(0, 0, -7), h.to.AddDate(0, 0, -7), apartments); err != nil {
		return nil, err
	}
	if s.HotSpots, err = a.HotSpots(ctx, actor, f, HotSpotLimits{}); err != nil {
		return nil, err
	}
	if len(s.HotSpots.Rows) > SummaryHotSpots {
		s.HotSpots.Rows, s.HotSpots.More = s.HotSpots.Rows[:SummaryHotSpots], true
	}
	rs, total, err := a.Store.OverdueRequests(ctx, now.UTC(), SummaryOverdue)
	if err != nil {
		return nil, err
	}
	s.OverdueTotal = total
	s.Overdue = make([]OverdueItem, 0, len(rs))
	for _, r := range rs {
		it := OverdueItem{Number: r.Number, Category: r.CategoryCode, Organization: r.Organization,
			Priority: r.Priority, CreatedAt: r.CreatedAt}
		if r.DistrictID != nil {
			if d := h.dir.District(*r.DistrictID); d != nil {
				it.District = d.Code
			}
		}
		if r.AcceptedAt == nil && r.ReactionDueAt != nil && now.After(*r.ReactionDueAt) {
			it.Due = *r.ReactionDueAt
		} else if r.ResolutionDueAt != nil {
			it.Due = *r.ResolutionDueAt
		}
		it.LateSeconds = int64(now.Sub(it.Due) / time.Second)
		s.Overdue = append(s.Overdue, it)
	}
	return s, nil
}
