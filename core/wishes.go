package core

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// WishStore is what the headquarters' list of wishes reads from a city's
// storage; rows are scoped by the actor in the query.
type WishStore interface {
	// Directory returns the city's directory (without buildings): the
	// categories and districts the list is grouped by.
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
	// Wishes returns up to limit requests of the wishes category group
	// (GroupWishes) created in [from, to), by category, district and number.
	Wishes(ctx context.Context, a Actor, from, to time.Time, limit int) ([]Request, error)
}

// MaxWishes bounds the wishes of one week's list.
const MaxWishes = 2000

// Wishes is the city headquarters' weekly list of wishes and suggestions
// (DESIGN.md, HQ): they never reach the dispatcher's triage, and the
// analysts and the city admin review them here, week by week; the city
// admin records the meeting's decisions (Decide).
type Wishes struct {
	Store WishStore
	// Decisions keeps the review's decisions; Requests assigns a wish
	// passed to an organization. Week reads decisions only when set.
	Decisions WishDecisionStore
	Requests  *Requests
	Gate      Gate
	Location  *time.Location // the city's time zone: weeks start on its Mondays
	Now       func() time.Time
}

// WishWeek is one week of wishes grouped by category and district.
type WishWeek struct {
	// Week is the ISO 8601 week, e.g. "2026-W48"; Prev and Next its
	// neighbours.
	Week, Prev, Next string
	// From is the week's Monday 00:00 in the city's time zone, To the next
	// Monday's.
	From, To time.Time
	Total    int
	// Truncated is set when the week holds more than MaxWishes wishes.
	Truncated bool
	Groups    []WishGroup
	// Clusters are the week's similar wishes taken as one item each, with
	// the decisions already taken on them.
	Clusters []WishCluster
	// Decided are the wishes decided at the previous week's review, with
	// their decisions and current status: the agenda's progress report.
	Decided []Request
	// Decisions holds the decisions on the week's and the previous week's
	// wishes, by request id.
	Decisions map[int64]*WishDecision
}

// WishGroup is the wishes of one category from one district (District
// is nil for those given without a building).
type WishGroup struct {
	Category Category
	District *District
	Requests []Request
}

// ISOWeek writes the ISO 8601 week of t (in t's location): "2026-W48".
func ISOWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w)
}

// ParseISOWeek returns the Monday 00:00 in loc of an ISO 8601 week written
// as "2026-W48"; ok is false for anything else, a week 53 in a year of 52
// included. Week 1 is the week with the year's first Thursday (ISO 8601).
func ParseISOWeek(s string, loc *time.Location) (monday time.Time, ok bool) {
	var y, w int
	if n, err := fmt.Sscanf(s, "%4d-W%2d", &y, &w); err != nil || n != 2 || len(s) != 8 || y < 1 || w < 1 || w > 53 {
		return time.Time{}, false
	}
	jan4 := time.Date(y, time.January, 4, 0, 0, 0, 0, loc)
	monday = jan4.AddDate(0, 0, -((int(jan4.Weekday())+6)%7)+(w-1)*7)
	if ISOWeek(monday) != s {
		return time.Time{}, false
	}
	return monday, true
}

// Week returns the wishes of an ISO week ("" for the current one in the
// city's time zone), grouped by category, then district. Actors who may not see personal data (analysts) get the requests
// without the applicant's contacts and apartment.
func (w *Wishes) Week(ctx context.Context, a Actor, week string) (*WishWeek, error) {
	if err := w.Gate.Allow(ctx, a, ObjAnalytics, ActRead); err != nil {
		return nil, err
	}
	if week == "" {
		week = ISOWeek(w.Now().In(w.Location))
	}
	from, ok := ParseISOWeek(week, w.Location)
	if !ok {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"week": M("error.week")}}
	}
	out := &WishWeek{Week: week, From: from, To: from.AddDate(0, 0, 7),
		Prev: ISOWeek(from.AddDate(0, 0, -7)), Next: ISOWeek(from.AddDate(0, 0, 7))}
	dir, err := w.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	rs, err := w.Store.Wishes(ctx, a, out.From, out.To, MaxWishes+1)
	if err != nil {
		return nil, err
	}
	if len(rs) > MaxWishes {
		rs, out.Truncated = rs[:MaxWishes], true
	}
	out.Total = len(rs)
	type key struct{ cat, dist int64 }
	at := map[key]int{}
	if !a.SeesPersonalData() {
		for i := range rs {
			rs[i].ApplicantName, rs[i].ApplicantPhone, rs[i].ApplicantEmail, rs[i].Apartment = "", "", "", ""
		}
	}
	for _, r := range rs {
		k := key{cat: r.CategoryID}
		if r.DistrictID != nil {
			k.dist = *r.DistrictID
		}
		i, ok := at[k]
		if !ok {
			g := WishGroup{}
			if c := dir.Category(r.CategoryID); c != nil {
				g.Category = *c
			}
			if k.dist != 0 {
				g.District = dir.District(k.dist)
			}
			i = len(out.Groups)
			at[k] = i
			out.Groups = append(out.Groups, g)
		}
		out.Groups[i].Requests = append(out.Groups[i].Requests, r)
	}
	out.Clusters = clusterWishes(rs, dir)
	out.Decisions = map[int64]*WishDecision{}
	if w.Decisions == nil {
		return out, nil
	}
	if out.Decided, err = w.Decisions.WishesDecidedIn(ctx, a, out.Prev); err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(rs)+len(out.Decided))
	for _, r := range append(slices.Clip(rs), out.Decided...) {
		ids = append(ids, r.ID)
	}
	if out.Decisions, err = w.Decisions.WishDecisions(ctx, ids); err != nil {
		return nil, err
	}
	for _, d := range out.Decisions {
		if d.OrganizationID != nil {
			if o := dir.Organization(*d.OrganizationID); o != nil {
				d.Organization = o.Code
			}
		}
	}
	for i := range out.Clusters {
		out.Clusters[i].Decided = map[int64]*WishDecision{}
		for _, r := range out.Clusters[i].Requests {
			if d, ok := out.Decisions[r.ID]; ok {
				out.Clusters[i].Decided[r.ID] = d
			}
		}
	}
	for i := range out.Decided {
		if !a.SeesPersonalData() {
			out.Decided[i].ApplicantName, out.Decided[i].ApplicantPhone, out.Decided[i].ApplicantEmail, out.Decided[i].Apartment = "", "", "", ""
		}
	}
	return out, nil
}
