package core

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Kinds of the groups of public statistics.
const (
	StatDistrict          = "district"
	StatManagementCompany = OrgManagementCompany
)

// MaxStatisticsMonths bounds the months of one public statistics query.
const MaxStatisticsMonths = 36

// StatisticsQuery picks the months of the public statistics: From–To as
// YYYY-MM in the city's time zone, both included; empty To is the current
// month, empty From eleven months before To.
type StatisticsQuery struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// StatisticsRow is one group's month: the requests received in that month
// about a district's buildings, or those a management company was
// responsible for. Resolved counts the requests of the month resolved with
// a resolution deadline set, ResolvedOnTime those resolved at or before it;
// the median is the nearest-rank median of their resolution times in
// seconds. Share and median are nil when nothing was resolved.
type StatisticsRow struct {
	Month                   string   `json:"month"` // YYYY-MM
	Kind                    string   `json:"kind"`  // district or management_company
	Code                    string   `json:"code"`
	NameRU                  string   `json:"name_ru"`
	NameEN                  string   `json:"name_en"`
	Received                int64    `json:"received"`
	Resolved                int64    `json:"resolved"`
	ResolvedOnTime          int64    `json:"resolved_on_time"`
	ResolvedOnTimeShare     *float64 `json:"resolved_on_time_share"`
	ResolutionMedianSeconds *int64   `json:"resolution_median_seconds"`
}

// Statistics is the city's public statistics for a span of months: no
// personal data, no single request. Rows are ordered by month, kind, then
// code; a group without requests in a month has no row for it.
type Statistics struct {
	From string `json:"from"` // YYYY-MM
	To   string `json:"to"`   // YYYY-MM
	// GeneratedAt is when the figures were counted: answers are kept for
	// StatisticsTTL, so they may be that much behind.
	GeneratedAt time.Time       `json:"generated_at"`
	Rows        []StatisticsRow `json:"rows"`
}

// MonthCounts are the rollups of one month (YYYY-MM) and group key.
type MonthCounts struct {
	Month string `bun:"m"`
	Key   int64  `bun:"k"`
	DayCounts
}

// MonthMedian is the nearest-rank median resolution time, in seconds, of
// one month's and group's resolved requests.
type MonthMedian struct {
	Month   string `bun:"m"`
	Key     int64  `bun:"k"`
	Seconds int64  `bun:"secs"`
}

// StatisticsStore is what the public statistics read.
type StatisticsStore interface {
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
	// MonthCounts sums the daily rollups of the days From–To (YYYY-MM-DD)
	// per month and key of by (ByDistrict or ByOrganization).
	MonthCounts(ctx context.Context, from, to string, by Grouping) ([]MonthCounts, error)
	// MonthMedians returns the nearest-rank median resolution time of the
	// requests received From–To per month and key of by.
	MonthMedians(ctx context.Context, from, to string, by Grouping) ([]MonthMedian, error)
}

// StatisticsTTL is how long a city's public statistics answer is kept
// before it is counted again.
const StatisticsTTL = 5 * time.Minute

// StatisticsCache keeps recent public statistics answers per city and
// months, so that many readers of the open data cost one count per
// StatisticsTTL. It is safe for concurrent use.
type StatisticsCache struct {
	lru *expirable.LRU[string, *Statistics]
}

// NewStatisticsCache returns a cache of at most size answers.
func NewStatisticsCache(size int) *StatisticsCache {
	return &StatisticsCache{lru: expirable.NewLRU[string, *Statistics](size, nil, StatisticsTTL)}
}

// PublicStatistics is a city's open statistics, for the citizens' portal
// and as open data. Everyone may read them, without an account: they hold
// only counts, shares and medians per district and management company.
type PublicStatistics struct {
	Store    StatisticsStore
	City     string // the city's slug, the cache's key
	Location *time.Location
	Now      func() time.Time
	Cache    *StatisticsCache // nil: count every time
}

// months validates q: EINVALID with field errors for a month that is not
// YYYY-MM, From after To, or more than MaxStatisticsMonths months.
func (p *PublicStatistics) months(q StatisticsQuery) (from, to time.Time, err error) {
	fe := FieldErrors{}
	now := p.Now().In(p.Location)
	month := func(field, s string, def time.Time) time.Time {
		s = strings.TrimSpace(s)
		if s == "" {
			return def
		}
		t, err := time.ParseInLocation("2006-01", s, p.Location)
		if err != nil {
			fe.Add(field, "error.not_month", "Value", s)
		}
		return t
	}
	to = month("to", q.To, time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, p.Location))
	from = month("from", q.From, to.AddDate(0, -11, 0))
	if len(fe) == 0 {
		n := (to.Year()-from.Year())*12 + int(to.Month()-from.Month()) + 1
		if n < 1 {
			fe.Add("from", "error.from_after_to")
		} else if n > MaxStatisticsMonths {
			fe.Add("from", "error.too_many_months", "Max", MaxStatisticsMonths)
		}
	}
	return from, to, fe.Err()
}

// Get returns the statistics of q's months: EINVALID for a bad query.
func (p *PublicStatistics) Get(ctx context.Context, q StatisticsQuery) (*Statistics, error) {
	from, to, err := p.months(q)
	if err != nil {
		return nil, err
	}
	key := fmt.Sprintf("%s|%s|%s", p.City, from.Format("2006-01"), to.Format("2006-01"))
	if p.Cache != nil {
		if s, ok := p.Cache.lru.Get(key); ok {
			return s, nil
		}
	}
	s, err := p.count(ctx, from, to)
	if err != nil {
		return nil, err
	}
	if p.Cache != nil {
		p.Cache.lru.Add(key, s)
	}
	return s, nil
}

func (p *PublicStatistics) count(ctx context.Context, from, to time.Time) (*Statistics, error) {
	dir, err := p.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	days := [2]string{from.Format(time.DateOnly), to.AddDate(0, 1, -1).Format(time.DateOnly)}
	s := &Statistics{From: from.Format("2006-01"), To: to.Format("2006-01"), GeneratedAt: p.Now().UTC(), Rows: []StatisticsRow{}}
	for _, kind := range []string{StatDistrict, StatManagementCompany} {
		by := ByDistrict
		if kind == StatManagementCompany {
			by = ByOrganization
		}
		counts, err := p.Store.MonthCounts(ctx, days[0], days[1], by)
		if err != nil {
			return nil, err
		}
		medians, err := p.Store.MonthMedians(ctx, days[0], days[1], by)
		if err != nil {
			return nil, err
		}
		median := make(map[[2]string]int64, len(medians))
		for _, m := range medians {
			median[[2]string{m.Month, fmt.Sprint(m.Key)}] = m.Seconds
		}
		for _, c := range counts {
			row := StatisticsRow{Month: c.Month, Kind: kind, Received: c.Received, Resolved: c.ResolutionDone,
				ResolvedOnTime: c.ResolutionOnTime, ResolvedOnTimeShare: share(c.ResolutionOnTime, c.ResolutionDone)}
			switch kind {
			case StatDistrict:
				d := dir.District(c.Key)
				if d == nil {
					continue // requests naming no building
				}
				row.Code, row.NameRU, row.NameEN = d.Code, d.NameRU, d.NameEN
			default:
				o := dir.Organization(c.Key)
				if o == nil || o.Kind != OrgManagementCompany {
					continue
				}
				row.Code, row.NameRU, row.NameEN = o.Code, o.NameRU, o.NameEN
			}
			if v, ok := median[[2]string{c.Month, fmt.Sprint(c.Key)}]; ok {
				row.ResolutionMedianSeconds = &v
			}
			if row.Received == 0 && row.Resolved == 0 {
				continue
			}
			s.Rows = append(s.Rows, row)
		}
	}
	sortStatistics(s.Rows)
	return s, nil
}

func sortStatistics(rows []StatisticsRow) {
	slices.SortFunc(rows, func(a, b StatisticsRow) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Code, b.Code))
	})
}
