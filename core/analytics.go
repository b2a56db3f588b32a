package core

import (
	"context"
	"slices"
	"strings"
	"time"
)

// ObjAnalytics is HQ's figures: the dashboard, league tables, their
// drill-down and exports. Analysts and city admins read it; nobody writes it.
const ObjAnalytics = "analytics"

// HQFilter selects the requests HQ's figures count: those received in the
// period From–To (dates in the city's time zone, both included) that match
// every other field given. Organizations are named by code, Category is a
// category or a category group code.
type HQFilter struct {
	From              string `json:"from"` // YYYY-MM-DD; default: 29 days before To
	To                string `json:"to"`   // YYYY-MM-DD; default: today
	District          string `json:"district"`
	ManagementCompany string `json:"management_company"`
	Contractor        string `json:"contractor"`
	Supplier          string `json:"resource_supplier"`
	Category          string `json:"category"`
	Channel           string `json:"channel" enum:"any_channel"` // "" for any
}

// MaxHQDays bounds a period of HQ's figures: three years.
const MaxHQDays = 3 * 366

// Grouping is how the store groups HQ's counts.
type Grouping string

// Groupings of DaysQuery.
const (
	ByNone         Grouping = ""
	ByOrganization Grouping = "organization" // the responsible organization
	ByExecutor     Grouping = "executor"     // the contractor a request was delegated to
	ByDistrict     Grouping = "district"
	ByBuilding     Grouping = "building"
)

// DaysQuery is a resolved HQFilter, as the store reads the daily rollups
// and the requests with it.
type DaysQuery struct {
	From, To   string // YYYY-MM-DD, both included
	DistrictID int64  // 0: any
	// OrganizationIDs must each be the request's responsible organization
	// or its executor.
	OrganizationIDs []int64
	CategoryIDs     []int64 // nil: any
	Channel         Channel // "": any
	BuildingID      int64   // 0: any; -1: requests without a building
	// BuildingIDs, when not nil, are the buildings one of which the
	// request must be about.
	BuildingIDs []int64
	By          Grouping
	Now         time.Time // the moment "overdue" is judged at
}

// DayCounts are the sums HQ keeps per day in its rollups. Open counts
// requests in UnfinishedStatuses; a reaction (resolution) is done when the
// request was accepted (resolved) with a due time set, and on time when
// that happened at or before the due time; Reopened and Returned count
// requests reopened or returned "not ours" at least once.
type DayCounts struct {
	Received         int64 `bun:"received" json:"received"`
	Open             int64 `bun:"open" json:"open"`
	ReactionDone     int64 `bun:"reaction_done" json:"reaction_done"`
	ReactionOnTime   int64 `bun:"reaction_on_time" json:"reaction_on_time"`
	ResolutionDone   int64 `bun:"resolution_done" json:"resolution_done"`
	ResolutionOnTime int64 `bun:"resolution_on_time" json:"resolution_on_time"`
	Reopened         int64 `bun:"reopened" json:"reopened"`
	Returned         int64 `bun:"returned" json:"returned"`
	Rated            int64 `bun:"rated" json:"rated"`
	RatingSum        int64 `bun:"rating_sum" json:"rating_sum"`
}

// Add adds o to c.
func (c *DayCounts) Add(o DayCounts) {
	c.Received += o.Received
	c.Open += o.Open
	c.ReactionDone += o.ReactionDone
	c.ReactionOnTime += o.ReactionOnTime
	c.ResolutionDone += o.ResolutionDone
	c.ResolutionOnTime += o.ResolutionOnTime
	c.Reopened += o.Reopened
	c.Returned += o.Returned
	c.Rated += o.Rated
	c.RatingSum += o.RatingSum
}

// Negated returns c with every count's sign turned.
func (c DayCounts) Negated() DayCounts {
	return DayCounts{Received: -c.Received, Open: -c.Open, ReactionDone: -c.ReactionDone, ReactionOnTime: -c.ReactionOnTime,
		ResolutionDone: -c.ResolutionDone, ResolutionOnTime: -c.ResolutionOnTime, Reopened: -c.Reopened, Returned: -c.Returned,
		Rated: -c.Rated, RatingSum: -c.RatingSum}
}

// GroupCounts are the counts of one group (Key: the id the query grouped
// by; 0 for none, or for requests without it).
type GroupCounts struct {
	Key int64 `bun:"k"`
	DayCounts
}

// HousingStock is the apartments of the registry's buildings in one
// district under one management company (0: none).
type HousingStock struct {
	DistrictID          int64 `bun:"district_id"`
	ManagementCompanyID int64 `bun:"management_company_id"`
	Apartments          int64 `bun:"apartments"`
}

// AnalyticsStore is what HQ's figures read.
type AnalyticsStore interface {
	// Directory: see Store.
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
	// DayCounts sums the daily rollups matching q, one row per key of q.By.
	DayCounts(ctx context.Context, q DaysQuery) ([]GroupCounts, error)
	// OverdueCounts counts the requests matching q that are overdue at
	// q.Now (Request.Overdue), per key of q.By.
	OverdueCounts(ctx context.Context, q DaysQuery) (map[int64]int64, error)
	// Percentiles returns the nearest-rank percentiles ps (0 < p ≤ 1) of
	// the reaction seconds and of the resolution seconds of the requests
	// matching q, each in ps' order; nil ones when no request has the time.
	Percentiles(ctx context.Context, q DaysQuery, ps []float64) (reaction, resolution []*int64, err error)
	// HousingStock returns the registry's apartments per district and
	// management company.
	HousingStock(ctx context.Context) ([]HousingStock, error)
	// BuildingsByID returns the buildings with the given ids.
	BuildingsByID(ctx context.Context, ids []int64) ([]Building, error)
	// MapBuildings returns every building of the registry in id order,
	// as the map draws it.
	MapBuildings(ctx context.Context) ([]MapBuilding, error)
	// PlaceCounts sums the requests received per building, district and
	// category matching q: Current counts the days from current on,
	// Baseline the days of q before it.
	PlaceCounts(ctx context.Context, q DaysQuery, current string) ([]PlaceCount, error)
	// DailyCounts sums the requests received per day and category
	// matching q, from the daily rollups.
	DailyCounts(ctx context.Context, q DaysQuery) ([]DailyCount, error)
	// Setting returns a city setting, "" when unset.
	Setting(ctx context.Context, name string) (string, error)
	// HQRequests returns at most limit requests matching q, newest first.
	HQRequests(ctx context.Context, q DaysQuery, limit int) ([]Request, error)
	// OverdueRequests returns at most limit of the city's requests overdue
	// at now as OverdueCounts counts them (with an organization, in
	// OpenStatuses, and Request.Overdue), the one late the longest first,
	// and how many there are.
	OverdueRequests(ctx context.Context, now time.Time, limit int) ([]Request, int64, error)
	// SummarySubscribed tells whether a user gets the weekly summary by
	// e-mail; SetSummarySubscription turns it on or off.
	SummarySubscribed(ctx context.Context, userID int64) (bool, error)
	SetSummarySubscription(ctx context.Context, userID int64, on bool, at time.Time) error
	// SummarySubscribers returns the active users who get the summary.
	SummarySubscribers(ctx context.Context) ([]User, error)
	// SummarySent tells whether a week's summary was sent to a user;
	// MarkSummarySent records that it was.
	SummarySent(ctx context.Context, week string, userID int64) (bool, error)
	MarkSummarySent(ctx context.Context, week string, userID int64, at time.Time) error
}

// Analytics is HQ's figures of one city, read-only: the dashboard, the
// league tables and their drill-down to buildings and requests. Every
// method passes the gate (ObjAnalytics, read) first.
type Analytics struct {
	Store    AnalyticsStore
	Gate     Gate
	Location *time.Location
	Now      func() time.Time
	// City (the slug) and Baselines keep the hot spots' baselines; a nil
	// cache counts them every time.
	City      string
	Baselines *BaselineCache
}

// Period is a span of days in the city's time zone, both ends included.
type Period struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// Figures are HQ's figures for a set of requests. Shares are fractions
// (0–1) and nil when nothing was there to share; times are in seconds.
type Figures struct {
	DayCounts
	// Apartments is the registry's housing stock the requests come from:
	// a management company's buildings, the districts a contractor or
	// supplier serves (the whole city when none is set), a district's
	// buildings, or the whole city.
	Apartments       int64    `json:"apartments"`
	PerThousand      *float64 `json:"per_thousand_apartments"`
	Overdue          int64    `json:"overdue"`
	ReactionShare    *float64 `json:"reaction_on_time_share"`
	ResolutionShare  *float64 `json:"resolution_on_time_share"`
	DeadlinesMet     *float64 `json:"deadlines_met_share"` // reactions and resolutions on time, of all done
	ReopenedShare    *float64 `json:"reopened_share"`
	ReturnedShare    *float64 `json:"returned_share"`
	RatingAverage    *float64 `json:"rating_average"`
	ReactionMedian   *int64   `json:"reaction_median_seconds"`
	ReactionP90      *int64   `json:"reaction_p90_seconds"`
	ResolutionMedian *int64   `json:"resolution_median_seconds"`
	ResolutionP90    *int64   `json:"resolution_p90_seconds"`
}

func share(n, of int64) *float64 {
	if of == 0 {
		return nil
	}
	v := float64(n) / float64(of)
	return &v
}

// figures derives the shares and rates of counts.
func figures(c DayCounts, overdue, apartments int64) Figures {
	f := Figures{DayCounts: c, Apartments: apartments, Overdue: overdue}
	if apartments > 0 {
		v := float64(c.Received) * 1000 / float64(apartments)
		f.PerThousand = &v
	}
	f.ReactionShare = share(c.ReactionOnTime, c.ReactionDone)
	f.ResolutionShare = share(c.ResolutionOnTime, c.ResolutionDone)
	f.DeadlinesMet = share(c.ReactionOnTime+c.ResolutionOnTime, c.ReactionDone+c.ResolutionDone)
	f.ReopenedShare = share(c.Reopened, c.Received)
	f.ReturnedShare = share(c.Returned, c.Received)
	f.RatingAverage = share(c.RatingSum, c.Rated)
	return f
}

// PeriodFigures are the figures of one period.
type PeriodFigures struct {
	Period  Period  `json:"period"`
	Figures Figures `json:"figures"`
}

// Dashboard is HQ's figures for a filter, beside the previous period of
// the same length and the same period a year earlier.
type Dashboard struct {
	Filter   HQFilter      `json:"filter"`
	Current  PeriodFigures `json:"current"`
	Previous PeriodFigures `json:"previous"`
	YearAgo  PeriodFigures `json:"year_ago"`
}

// hqQuery is a validated filter: the store query and what it names.
type hqQuery struct {
	f         HQFilter
	q         DaysQuery
	dir       *Directory
	stock     []HousingStock // nil unless resolved by resolve
	from, to  time.Time
	orgs      []*Organization
	districts map[int64]bool // the district filter, nil for none
}

// resolve validates f and resolves its codes (resolveFilter), with the
// housing stock that apartments counts.
func (a *Analytics) resolve(ctx context.Context, actor Actor, f HQFilter) (*hqQuery, error) {
	h, err := a.resolveFilter(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	if h.stock, err = a.Store.HousingStock(ctx); err != nil {
		return nil, err
	}
	return h, nil
}

// resolveFilter validates f and resolves its codes; every bad field is
// reported at once. The housing stock is left unread, for the figures
// that count no apartments.
func (a *Analytics) resolveFilter(ctx context.Context, actor Actor, f HQFilter) (*hqQuery, error) {
	if err := a.Gate.Allow(ctx, actor, ObjAnalytics, ActRead); err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	today := a.Now().In(a.Location)
	h := &hqQuery{}
	day := func(field, s string, def time.Time) time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			return def
		}
		t, err := time.ParseInLocation(time.DateOnly, s, a.Location)
		if err != nil {
			fe.Add(field, "error.not_date", "Value", s)
		}
		return t
	}
	h.to = day("to", f.To, time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, a.Location))
	h.from = day("from", f.From, h.to.AddDate(0, 0, -29))
	if len(fe) == 0 {
		if h.from.After(h.to) {
			fe.Add("from", "error.from_after_to")
		} else if days(h.from, h.to) > MaxHQDays {
			fe.Add("from", "error.period_too_long", "Max", MaxHQDays)
		}
	}
	f.From, f.To = h.from.Format(time.DateOnly), h.to.Format(time.DateOnly)
	dir, err := a.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	h.dir = dir
	q := DaysQuery{From: f.From, To: f.To, Channel: Channel(f.Channel), Now: a.Now().UTC()}
	if f.District = strings.TrimSpace(f.District); f.District != "" {
		if d := dir.DistrictByCode(f.District); d != nil {
			q.DistrictID = d.ID
			h.districts = map[int64]bool{d.ID: true}
		} else {
			fe.Add("district", "error.unknown_district", "Code", f.District)
		}
	}
	for _, o := range []struct {
		field, kind string
		code        *string
	}{
		{"management_company", OrgManagementCompany, &f.ManagementCompany},
		{"contractor", OrgContractor, &f.Contractor},
		{"resource_supplier", OrgResourceSupplier, &f.Supplier},
	} {
		if *o.code = strings.TrimSpace(*o.code); *o.code == "" {
			continue
		}
		org := dir.OrganizationByCode(*o.code)
		if org == nil || org.Kind != o.kind {
			fe.Add(o.field, "error.no_organization_kind", "Code", *o.code)
			continue
		}
		h.orgs = append(h.orgs, org)
		q.OrganizationIDs = append(q.OrganizationIDs, org.ID)
	}
	if f.Category = strings.TrimSpace(f.Category); f.Category != "" {
		for _, c := range dir.Categories {
			if c.Code == f.Category || c.GroupCode == f.Category {
				q.CategoryIDs = append(q.CategoryIDs, c.ID)
			}
		}
		if q.CategoryIDs == nil {
			fe.Add("category", "error.unknown_category", "Code", f.Category)
		}
	}
	if f.Channel = strings.TrimSpace(f.Channel); f.Channel != "" && !Channel(f.Channel).Valid() {
		fe.Add("channel", "error.one_of", "List", strings.Join(Names(Channels), ", "))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	h.f, h.q = f, q
	return h, nil
}

func days(from, to time.Time) int {
	n := 0
	for d := from; !d.After(to) && n <= MaxHQDays; d = d.AddDate(0, 0, 1) {
		n++
	}
	return n
}

// shifted returns q over another period.
func (h *hqQuery) shifted(from, to time.Time) DaysQuery {
	q := h.q
	q.From, q.To = from.Format(time.DateOnly), to.Format(time.DateOnly)
	return q
}

// previous is the period of the same length just before h's.
func (h *hqQuery) previous() (time.Time, time.Time) {
	n := days(h.from, h.to)
	return h.from.AddDate(0, 0, -n), h.from.AddDate(0, 0, -1)
}

// apartments is the housing stock of the filter, narrowed to extra
// organizations and districts (0: no narrowing).
func (h *hqQuery) apartments(org *Organization, district int64) int64 {
	orgs := h.orgs
	if org != nil {
		orgs = append(slices.Clip(orgs), org)
	}
	var n int64
	for _, s := range h.stock {
		if h.districts != nil && !h.districts[s.DistrictID] {
			continue
		}
		if district != 0 && s.DistrictID != district {
			continue
		}
		ok := true
		for _, o := range orgs {
			if o.Kind == OrgManagementCompany {
				ok = ok && s.ManagementCompanyID == o.ID
			} else if ds := h.dir.OrgDistricts[o.ID]; len(ds) > 0 {
				ok = ok && slices.Contains(ds, s.DistrictID)
			}
		}
		if ok {
			n += s.Apartments
		}
	}
	return n
}

// Dashboard returns the figures of f's period beside the previous period
// and the same period a year earlier.
func (a *Analytics) Dashboard(ctx context.Context, actor Actor, f HQFilter) (*Dashboard, error) {
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	apartments := h.apartments(nil, 0)
	at := func(from, to time.Time) (PeriodFigures, error) { return a.periodFigures(ctx, h, from, to, apartments) }
	d := &Dashboard{Filter: h.f}
	if d.Current, err = at(h.from, h.to); err != nil {
		return nil, err
	}
	pf, pt := h.previous()
	if d.Previous, err = at(pf, pt); err != nil {
		return nil, err
	}
	yf, yt := h.from.AddDate(-1, 0, 0), h.to.AddDate(-1, 0, 0)
	if yf.Equal(pf) && yt.Equal(pt) {
		// A year's period: the one before it is the same year a year ago,
		// counted once.
		d.YearAgo = d.Previous
		return d, nil
	}
	if d.YearAgo, err = at(yf, yt); err != nil {
		return nil, err
	}
	return d, nil
}

// periodFigures counts h's requests received from–to (days in the city's
// time zone) against apartments.
func (a *Analytics) periodFigures(ctx context.Context, h *hqQuery, from, to time.Time, apartments int64) (PeriodFigures, error) {
	q := h.shifted(from, to)
	rows, err := a.Store.DayCounts(ctx, q)
	if err != nil {
		return PeriodFigures{}, err
	}
	var c DayCounts
	for _, r := range rows {
		c.Add(r.DayCounts)
	}
	overdue, err := a.Store.OverdueCounts(ctx, q)
	if err != nil {
		return PeriodFigures{}, err
	}
	fig := figures(c, overdue[0], apartments)
	ps := []float64{0.5, 0.9}
	react, resolve, err := a.Store.Percentiles(ctx, q, ps)
	if err != nil {
		return PeriodFigures{}, err
	}
	fig.ReactionMedian, fig.ReactionP90 = react[0], react[1]
	fig.ResolutionMedian, fig.ResolutionP90 = resolve[0], resolve[1]
	return PeriodFigures{Period: Period{q.From, q.To}, Figures: fig}, nil
}
