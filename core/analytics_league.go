package core

import (
	"context"
	"slices"
	"sort"
	"strings"
	"time"
)

// LeagueDistricts is the league of districts; the other leagues are named
// by organization kind (OrgManagementCompany, OrgContractor,
// OrgResourceSupplier).
const LeagueDistricts = "district"

// Leagues lists the league tables HQ ranks.
var Leagues = []string{OrgManagementCompany, OrgContractor, OrgResourceSupplier, LeagueDistricts}

// League orders: by requests per 1,000 apartments (most first) or by the
// share of deadlines met (fewest first); worst first either way.
const (
	RankPerThousand = "per_thousand"
	RankDeadlines   = "deadlines"
)

// LeagueRanks lists the orders of a league table.
var LeagueRanks = []string{RankPerThousand, RankDeadlines}

// LeagueRow is one organization or district of a league table: its
// figures in the period and in the previous period of the same length
// (the trend).
type LeagueRow struct {
	Rank     int     `json:"rank"`
	Code     string  `json:"code"`
	NameRU   string  `json:"name_ru"`
	NameEN   string  `json:"name_en"`
	Figures  Figures `json:"figures"`
	Previous Figures `json:"previous"`
}

// Name returns the row's name in lang.
func (r LeagueRow) Name(lang string) string { return LocalName(r.NameRU, r.NameEN, lang) }

// League is a league table: who gets the most requests per 1,000
// apartments, or meets the fewest deadlines.
type League struct {
	Kind     string      `json:"kind" enum:"leagues"`
	Rank     string      `json:"rank" enum:"league_ranks"`
	Filter   HQFilter    `json:"filter"`
	Period   Period      `json:"period"`
	Previous Period      `json:"previous"`
	Rows     []LeagueRow `json:"rows"`
}

// League ranks the organizations of a kind, or the districts, for f.
func (a *Analytics) League(ctx context.Context, actor Actor, kind, rank string, f HQFilter) (*League, error) {
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	fe := FieldErrors{}
	if !slices.Contains(Leagues, kind) {
		return nil, E(ENOTFOUND, "error.no_league", "Kind", kind)
	}
	if rank == "" {
		rank = RankPerThousand
	}
	if !slices.Contains(LeagueRanks, rank) {
		fe.Add("rank", "error.one_of", "List", strings.Join(LeagueRanks, ", "))
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	l := &League{Kind: kind, Rank: rank, Filter: h.f, Period: Period{h.q.From, h.q.To}}
	pf, pt := h.previous()
	l.Previous = Period{pf.Format(time.DateOnly), pt.Format(time.DateOnly)}
	cur, err := a.league(ctx, h, kind, h.from, h.to)
	if err != nil {
		return nil, err
	}
	prev, err := a.league(ctx, h, kind, pf, pt)
	if err != nil {
		return nil, err
	}
	for id, fig := range cur {
		row := LeagueRow{Figures: fig, Previous: prev[id]}
		if kind == LeagueDistricts {
			d := h.dir.District(id)
			if d == nil {
				continue // requests without a district
			}
			row.Code, row.NameRU, row.NameEN = d.Code, d.NameRU, d.NameEN
		} else {
			o := h.dir.Organization(id)
			if o == nil || o.Kind != kind {
				continue
			}
			row.Code, row.NameRU, row.NameEN = o.Code, o.NameRU, o.NameEN
		}
		l.Rows = append(l.Rows, row)
	}
	rankRows(l.Rows, rank)
	return l, nil
}

// rankRows orders rows worst first and numbers them; a row without the
// figure ranks last, ties go by code.
func rankRows(rows []LeagueRow, rank string) {
	key := func(r LeagueRow) *float64 {
		if rank == RankDeadlines {
			if r.Figures.DeadlinesMet == nil {
				return nil
			}
			v := -*r.Figures.DeadlinesMet
			return &v
		}
		return r.Figures.PerThousand
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := key(rows[i]), key(rows[j])
		switch {
		case a == nil || b == nil:
			if (a == nil) != (b == nil) {
				return b == nil
			}
		case *a != *b:
			return *a > *b
		}
		return rows[i].Code < rows[j].Code
	})
	for i := range rows {
		rows[i].Rank = i + 1
	}
}

// league returns the figures per organization of kind (or per district)
// in a period, with every active organization of the kind present.
func (a *Analytics) league(ctx context.Context, h *hqQuery, kind string, from, to time.Time) (map[int64]Figures, error) {
	q := h.shifted(from, to)
	counts := map[int64]DayCounts{}
	overdue := map[int64]int64{}
	groupings := []Grouping{ByOrganization, ByExecutor}
	if kind == LeagueDistricts {
		groupings = []Grouping{ByDistrict}
	}
	for _, g := range groupings {
		q.By = g
		rows, err := a.Store.DayCounts(ctx, q)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			c := counts[r.Key]
			c.Add(r.DayCounts)
			counts[r.Key] = c
		}
		od, err := a.Store.OverdueCounts(ctx, q)
		if err != nil {
			return nil, err
		}
		for k, n := range od {
			overdue[k] += n
		}
	}
	out := map[int64]Figures{}
	if kind == LeagueDistricts {
		for _, d := range h.dir.Districts {
			if h.districts == nil || h.districts[d.ID] {
				out[d.ID] = figures(counts[d.ID], overdue[d.ID], h.apartments(nil, d.ID))
			}
		}
		return out, nil
	}
	for i := range h.dir.Organizations {
		o := &h.dir.Organizations[i]
		if o.Kind != kind || (!o.Active && counts[o.ID].Received == 0) {
			continue
		}
		out[o.ID] = figures(counts[o.ID], overdue[o.ID], h.apartments(o, 0))
	}
	return out, nil
}

// BuildingFigures is one building of an organization's drill-down (ID 0: the
// requests that name no building).
type BuildingFigures struct {
	ID         int64   `json:"id"`
	RegistryID string  `json:"registry_id"`
	Address    string  `json:"address"`
	Figures    Figures `json:"figures"`
}

// OrgBuildings is an organization's requests in a period per building.
type OrgBuildings struct {
	Code   string            `json:"code"`
	Kind   string            `json:"kind" enum:"org_kinds"`
	NameRU string            `json:"name_ru"`
	NameEN string            `json:"name_en"`
	Filter HQFilter          `json:"filter"`
	Total  Figures           `json:"total"`
	Rows   []BuildingFigures `json:"rows"`
}

// Name returns the organization's name in lang.
func (o *OrgBuildings) Name(lang string) string { return LocalName(o.NameRU, o.NameEN, lang) }

// orgQuery resolves f and the organization a drill-down names.
func (a *Analytics) orgQuery(ctx context.Context, actor Actor, code string, f HQFilter) (*hqQuery, *Organization, error) {
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, nil, err
	}
	org := h.dir.OrganizationByCode(strings.TrimSpace(code))
	if org == nil {
		return nil, nil, E(ENOTFOUND, "error.no_organization_code", "Code", code)
	}
	h.q.OrganizationIDs = append(slices.Clip(h.q.OrganizationIDs), org.ID)
	return h, org, nil
}

// Buildings drills an organization down to its buildings: the figures of
// its requests in f's period per building, the most requests first.
func (a *Analytics) Buildings(ctx context.Context, actor Actor, code string, f HQFilter) (*OrgBuildings, error) {
	h, org, err := a.orgQuery(ctx, actor, code, f)
	if err != nil {
		return nil, err
	}
	q := h.q
	q.By = ByBuilding
	rows, err := a.Store.DayCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	overdue, err := a.Store.OverdueCounts(ctx, q)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(rows))
	for _, r := range rows {
		if r.Key != 0 {
			ids = append(ids, r.Key)
		}
	}
	bs, err := a.Store.BuildingsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	byID := map[int64]Building{}
	for _, b := range bs {
		byID[b.ID] = b
	}
	out := &OrgBuildings{Code: org.Code, Kind: org.Kind, NameRU: org.NameRU, NameEN: org.NameEN, Filter: h.f}
	var total DayCounts
	for _, r := range rows {
		total.Add(r.DayCounts)
		b := byID[r.Key]
		out.Rows = append(out.Rows, BuildingFigures{ID: r.Key, RegistryID: b.RegistryID, Address: b.AddressRU,
			Figures: figures(r.DayCounts, overdue[r.Key], int64(b.Apartments))})
	}
	var all int64
	for _, n := range overdue {
		all += n
	}
	out.Total = figures(total, all, h.apartments(org, 0))
	sort.SliceStable(out.Rows, func(i, j int) bool {
		if x, y := out.Rows[i].Figures.Received, out.Rows[j].Figures.Received; x != y {
			return x > y
		}
		return out.Rows[i].Address < out.Rows[j].Address
	})
	return out, nil
}

// HQRequest is a request as HQ sees it in a drill-down: no applicant, no
// apartment, no description (personal data stays with the roles that
// work the request).
type HQRequest struct {
	Number            string    `json:"number"`
	CreatedAt         time.Time `json:"created_at"`
	Category          string    `json:"category"`
	Channel           Channel   `json:"channel"`
	Status            Status    `json:"status"`
	Priority          Priority  `json:"priority"`
	Organization      string    `json:"organization"`
	Executor          string    `json:"executor"`
	ReactionSeconds   *int64    `json:"reaction_seconds"`
	ResolutionSeconds *int64    `json:"resolution_seconds"`
	Overdue           bool      `json:"overdue"`
	Reopens           int       `json:"reopens"`
	Returns           int       `json:"returns"`
	Rating            *int      `json:"rating"`
}

// MaxHQRequests bounds a drill-down's request list.
const MaxHQRequests = 1000

// BuildingRequests is the last step of a drill-down: an organization's
// requests about one building in a period.
type BuildingRequests struct {
	Code       string      `json:"code"`
	NameRU     string      `json:"name_ru"`
	NameEN     string      `json:"name_en"`
	BuildingID int64       `json:"building_id"`
	Address    string      `json:"address"`
	Filter     HQFilter    `json:"filter"`
	Requests   []HQRequest `json:"requests"`
	More       bool        `json:"more"` // more than MaxHQRequests matched
}

// Name returns the organization's name in lang.
func (b *BuildingRequests) Name(lang string) string { return LocalName(b.NameRU, b.NameEN, lang) }

// Requests lists an organization's requests about a building (0: about no
// building) in f's period, newest first.
func (a *Analytics) Requests(ctx context.Context, actor Actor, code string, building int64, f HQFilter) (*BuildingRequests, error) {
	h, org, err := a.orgQuery(ctx, actor, code, f)
	if err != nil {
		return nil, err
	}
	out := &BuildingRequests{Code: org.Code, NameRU: org.NameRU, NameEN: org.NameEN, BuildingID: building, Filter: h.f}
	q := h.q
	q.BuildingID = -1
	if building != 0 {
		bs, err := a.Store.BuildingsByID(ctx, []int64{building})
		if err != nil {
			return nil, err
		}
		if len(bs) == 0 {
			return nil, E(ENOTFOUND, "error.no_building")
		}
		q.BuildingID, out.Address = building, bs[0].AddressRU
	}
	if err := a.hqRequests(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}

// hqRequests fills out with the requests matching q, without personal
// data.
func (a *Analytics) hqRequests(ctx context.Context, q DaysQuery, out *BuildingRequests) error {
	rs, err := a.Store.HQRequests(ctx, q, MaxHQRequests+1)
	if err != nil {
		return err
	}
	if len(rs) > MaxHQRequests {
		rs, out.More = rs[:MaxHQRequests], true
	}
	out.Requests = make([]HQRequest, len(rs))
	for i := range rs {
		r := &rs[i]
		out.Requests[i] = HQRequest{Number: r.Number, CreatedAt: r.CreatedAt, Category: r.CategoryCode, Channel: r.Channel,
			Status: r.Status, Priority: r.Priority, Organization: r.Organization, Executor: r.Executor,
			ReactionSeconds: r.ReactionSeconds, ResolutionSeconds: r.ResolutionSeconds, Overdue: r.Overdue(q.Now),
			Reopens: r.Reopens, Returns: r.Returns, Rating: r.Rating}
	}
	return nil
}
