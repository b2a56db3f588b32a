package core

import (
	"context"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// Places HQ looks for hot spots in: a building, a street (the buildings
// whose addresses share it, StreetOf) and a district.
const (
	PlaceBuilding = "building"
	PlaceStreet   = "street"
	PlaceDistrict = "district"
)

// PlaceLevels lists the kinds of place a hot spot is found in.
var PlaceLevels = []string{PlaceBuilding, PlaceStreet, PlaceDistrict}

// Hot spots' defaults: at least DefaultHotMinCount requests in the period
// and DefaultHotMinRatio times the place's own normal count.
const (
	DefaultHotMinCount = 5
	DefaultHotMinRatio = 3.0
	// MaxHotSpots bounds the list, the hottest first.
	MaxHotSpots = 200
	// HotBaselineMonths is the length of the baseline before the period.
	HotBaselineMonths = 12
)

// StreetOf returns the street part of a registry address: the text before
// its last comma ("ул. Баумана, д. 5" → "ул. Баумана"); "" when the
// address has no comma.
func StreetOf(address string) string {
	i := strings.LastIndex(address, ",")
	if i <= 0 {
		return ""
	}
	return strings.TrimSpace(address[:i])
}

// PlaceCount is one row of the counts hot spots are found in: the requests
// of one building (0: none named), district and category received in the
// period (Current) and in the baseline before it (Baseline).
type PlaceCount struct {
	BuildingID int64 `bun:"building_id"`
	DistrictID int64 `bun:"district_id"`
	CategoryID int64 `bun:"category_id"`
	Current    int64 `bun:"current"`
	Baseline   int64 `bun:"baseline"`
}

// HotSpot is a place where a category (or a category group) repeats far
// above its own normal rate, with the evidence: Count requests in the
// period against BaselineCount in the HotBaselineMonths before it.
// Expected is the baseline's daily rate over the period's days, with one
// request added to the baseline (additive smoothing, so that a place
// without history still has a finite ratio):
//
//	Expected = (BaselineCount + 1) × period days ÷ baseline days
//	Ratio    = Count ÷ Expected
type HotSpot struct {
	Level         string  `json:"level" enum:"place_levels"`
	Place         string  `json:"place"` // building id, street, or district code
	NameRU        string  `json:"name_ru"`
	NameEN        string  `json:"name_en"`
	District      string  `json:"district"` // district code
	Category      string  `json:"category"` // category or category group code
	Group         bool    `json:"group"`    // Category names a group
	Count         int64   `json:"count"`    // requests in the period
	BaselineCount int64   `json:"baseline_count"`
	Expected      float64 `json:"expected"`
	Ratio         float64 `json:"ratio"`
	// Lat and Lon locate the place: a building's coordinates, or the
	// average of the street's or district's buildings that have them;
	// nil when none has.
	Lat *float64 `json:"lat"`
	Lon *float64 `json:"lon"`
}

// Name returns the place's name in lang.
func (h HotSpot) Name(lang string) string { return LocalName(h.NameRU, h.NameEN, lang) }

// HotSpots are the hot spots of a filter's period.
type HotSpots struct {
	Filter   HQFilter  `json:"filter"`
	Period   Period    `json:"period"`
	Baseline Period    `json:"baseline"`
	MinCount int       `json:"min_count"`
	MinRatio float64   `json:"min_ratio"`
	Rows     []HotSpot `json:"rows"`
	More     bool      `json:"more"` // more than MaxHotSpots qualified
}

// HotSpotLimits are the thresholds of HotSpots; zero ones take the
// defaults.
type HotSpotLimits struct {
	MinCount int
	MinRatio float64
}

// DashboardHotSpotDays is the longest period whose hot spots the dashboard
// shows: HQ's default period. A longer period's dashboard shows the hot
// spots of its last DashboardHotSpotDays days (RecentHotSpotPeriod).
const DashboardHotSpotDays = 30

// RecentHotSpotPeriod returns the last DashboardHotSpotDays days of p
// (days YYYY-MM-DD, both included) and true when p is longer; p itself
// and false otherwise, or when its days do not parse.
func RecentHotSpotPeriod(p Period) (Period, bool) {
	from, err1 := time.Parse(time.DateOnly, p.From)
	to, err2 := time.Parse(time.DateOnly, p.To)
	if err1 != nil || err2 != nil || days(from, to) <= DashboardHotSpotDays {
		return p, false
	}
	return Period{From: to.AddDate(0, 0, 1-DashboardHotSpotDays).Format(time.DateOnly), To: p.To}, true
}

// placeKey names a place and a category or group in it.
type placeKey struct {
	level, place, category string
	group                  bool
}

// HotSpots finds, in f's period, the buildings, streets and districts
// where a category or a category group was received at least MinCount
// times and at least MinRatio times its expected count (HotSpot), the
// highest ratio first.
func (a *Analytics) HotSpots(ctx context.Context, actor Actor, f HQFilter, lim HotSpotLimits) (*HotSpots, error) {
	h, err := a.resolveFilter(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	out, _, err := a.hotSpots(ctx, h, lim)
	return out, err
}

// hotSpots finds h's hot spots (HotSpots). It also returns the period's
// counts it found them in: PlaceCounts' rows of h's period, every count in
// Current.
func (a *Analytics) hotSpots(ctx context.Context, h *hqQuery, lim HotSpotLimits) (*HotSpots, []PlaceCount, error) {
	fe := FieldErrors{}
	if lim.MinCount == 0 {
		lim.MinCount = DefaultHotMinCount
	}
	if lim.MinRatio == 0 {
		lim.MinRatio = DefaultHotMinRatio
	}
	if lim.MinCount < 1 || lim.MinCount > 100000 {
		fe.Add("min_count", "error.range", "Min", 1, "Max", 100000)
	}
	if lim.MinRatio < 1 || lim.MinRatio > 1000 || math.IsNaN(lim.MinRatio) {
		fe.Add("min_ratio", "error.range", "Min", 1, "Max", 1000)
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	baseFrom, baseTo := h.from.AddDate(0, -HotBaselineMonths, 0), h.from.AddDate(0, 0, -1)
	out := &HotSpots{Filter: h.f, Period: Period{h.q.From, h.q.To},
		Baseline: Period{baseFrom.Format(time.DateOnly), baseTo.Format(time.DateOnly)}, MinCount: lim.MinCount, MinRatio: lim.MinRatio, Rows: []HotSpot{}}
	base, err := a.baseline(ctx, h, out.Baseline)
	if err != nil {
		return nil, nil, err
	}
	rows, err := a.Store.PlaceCounts(ctx, h.q, h.q.From)
	if err != nil {
		return nil, nil, err
	}
	// The period's buildings the baseline does not know yet.
	buildings := base.buildings
	var ids []int64
	seen := map[int64]bool{}
	for _, r := range rows {
		if r.BuildingID != 0 && buildings[r.BuildingID] == nil && !seen[r.BuildingID] {
			seen[r.BuildingID] = true
			ids = append(ids, r.BuildingID)
		}
	}
	if len(ids) > 0 {
		bs, err := a.Store.BuildingsByID(ctx, ids)
		if err != nil {
			return nil, nil, err
		}
		buildings = maps.Clone(buildings)
		for i := range bs {
			buildings[bs[i].ID] = &bs[i]
		}
	}
	pl := newPlacer(h.dir, buildings)
	periodDays := float64(days(h.from, h.to))
	baseDays := float64(days(baseFrom, baseTo))
	where := locations(h.dir, buildings)
	for k, cur := range pl.current(rows, int64(lim.MinCount)) {
		baseCount := base.counts[k]
		expected := float64(baseCount+1) * periodDays / baseDays
		ratio := float64(cur) / expected
		if ratio < lim.MinRatio {
			continue
		}
		out.Rows = append(out.Rows, HotSpot{Level: k.level, Place: k.place, Category: k.category, Group: k.group, Count: cur,
			BaselineCount: baseCount, Expected: expected, Ratio: ratio})
	}
	sort.Slice(out.Rows, func(i, j int) bool {
		x, y := out.Rows[i], out.Rows[j]
		if x.Ratio != y.Ratio {
			return x.Ratio > y.Ratio
		}
		if x.Count != y.Count {
			return x.Count > y.Count
		}
		if x.Level != y.Level {
			return x.Level < y.Level
		}
		if x.Place != y.Place {
			return x.Place < y.Place
		}
		return x.Category < y.Category
	})
	if len(out.Rows) > MaxHotSpots {
		out.Rows, out.More = out.Rows[:MaxHotSpots], true
	}
	// Only the hot spots kept are named and placed.
	for i := range out.Rows {
		locate(&out.Rows[i], h.dir, buildings, where)
	}
	return out, rows, nil
}

// placer names the places and categories a row of PlaceCounts counts in:
// its district, its building and the building's street, each for the
// row's category and, when that belongs to a group of several, the group.
// The categories and groups are numbered once (codes), so that a big
// city's tens of thousands of rows are summed under small numbers, not
// placeKey's strings.
type placer struct {
	dir       *Directory
	buildings map[int64]*Building
	codes     []string           // by code number: the categories', then the groups'
	cats      map[int64]catCodes // by category id
}

// catCodes are a category's code number and its group's (-1 for none or
// a group of one).
type catCodes struct{ cat, group int32 }

func newPlacer(dir *Directory, buildings map[int64]*Building) *placer {
	p := &placer{dir: dir, buildings: buildings, cats: make(map[int64]catCodes, len(dir.Categories))}
	groupSize := map[string]int{}
	for _, c := range dir.Categories {
		if c.GroupCode != "" {
			groupSize[c.GroupCode]++
		}
		p.codes = append(p.codes, c.Code)
	}
	groups := map[string]int32{}
	for i, c := range dir.Categories {
		cc := catCodes{cat: int32(i), group: -1}
		if groupSize[c.GroupCode] > 1 {
			g, ok := groups[c.GroupCode]
			if !ok {
				g = int32(len(p.codes))
				p.codes = append(p.codes, c.GroupCode)
				groups[c.GroupCode] = g
			}
			cc.group = g
		}
		p.cats[c.ID] = cc
	}
	return p
}

// placeSums are counts summed per place key: per place (numbered while
// summing) and code (placer's). The streets and districts, a few per
// thousand rows, keep a row of sums for every code; the buildings, most
// with a few categories, one sum per code counted, found by buildingSlot.
type placeSums struct {
	places        []placeKey       // by place number: level and place
	codes         []string         // placer's
	cats          int              // the codes below are categories', the rest groups'
	areas         []int32          // by area number: the street's or district's place number
	areaSums      []placeSum       // area number × len(codes) + code
	buildings     map[uint64]int32 // by buildingSlot: the sum's index in buildingSums
	buildingSums  []placeSum
	buildingSlots []uint64 // by index in buildingSums
}

// buildingSlot is the key of a building's sum: its place number and the
// code, in one integer.
func buildingSlot(place, code int32) uint64 { return uint64(place)<<32 | uint64(uint32(code)) }

// placeSum is one key's sum, with the first category counted in it and
// whether another one was too: a group counted through one of its
// categories alone says no more than that category's own key.
type placeSum struct {
	n      int64
	cat    int32
	multi  bool
	summed bool
}

func (s *placeSum) add(n int64, cat int32) {
	if !s.summed {
		*s = placeSum{n: n, cat: cat, summed: true}
		return
	}
	s.n += n
	s.multi = s.multi || s.cat != cat
}

// sum adds value(r) of every row with a value to each of its place keys:
// its district, its building and the building's street, each for its
// category and, when that belongs to a group of several, the group.
func (p *placer) sum(rows []PlaceCount, value func(PlaceCount) int64) *placeSums {
	// A row is mostly its building's only one in its category: about a
	// building's sum per row.
	out := &placeSums{codes: p.codes, cats: len(p.dir.Categories), buildings: make(map[uint64]int32, len(rows)),
		buildingSums: make([]placeSum, 0, len(rows)), buildingSlots: make([]uint64, 0, len(rows))}
	width := len(p.codes)
	number := func(k placeKey) int32 {
		out.places = append(out.places, k)
		return int32(len(out.places) - 1)
	}
	area := func(k placeKey) int32 {
		out.areas = append(out.areas, number(k))
		out.areaSums = append(out.areaSums, make([]placeSum, width)...)
		return int32(len(out.areas) - 1)
	}
	districts := map[int64]int32{}
	type placed struct{ building, street int32 } // the building's place number and its street's area number; -1 for none
	buildings := map[int64]placed{}
	streets := map[string]int32{}
	addArea := func(a int32, c catCodes, n int64) {
		if a < 0 {
			return
		}
		row := out.areaSums[int(a)*width:]
		row[c.cat].add(n, c.cat)
		if c.group >= 0 {
			row[c.group].add(n, c.cat)
		}
	}
	addBuilding := func(b, code int32, n int64, cat int32) {
		k := buildingSlot(b, code)
		i, ok := out.buildings[k]
		if !ok {
			i = int32(len(out.buildingSums))
			out.buildings[k] = i
			out.buildingSums = append(out.buildingSums, placeSum{})
			out.buildingSlots = append(out.buildingSlots, k)
		}
		out.buildingSums[i].add(n, cat)
	}
	for _, r := range rows {
		v := value(r)
		c, ok := p.cats[r.CategoryID]
		if v == 0 || !ok {
			continue
		}
		d, ok := districts[r.DistrictID]
		if !ok {
			d = -1
			if dist := p.dir.District(r.DistrictID); dist != nil {
				d = area(placeKey{level: PlaceDistrict, place: dist.Code})
			}
			districts[r.DistrictID] = d
		}
		bp, ok := buildings[r.BuildingID]
		if !ok {
			bp = placed{-1, -1}
			if b := p.buildings[r.BuildingID]; b != nil {
				bp.building = number(placeKey{level: PlaceBuilding, place: strconv.FormatInt(b.ID, 10)})
				if st := StreetOf(b.AddressRU); st != "" {
					if bp.street, ok = streets[st]; !ok {
						bp.street = area(placeKey{level: PlaceStreet, place: st})
						streets[st] = bp.street
					}
				}
			}
			buildings[r.BuildingID] = bp
		}
		addArea(d, c, v)
		addArea(bp.street, c, v)
		if bp.building >= 0 {
			addBuilding(bp.building, c.cat, v, c.cat)
			if c.group >= 0 {
				addBuilding(bp.building, c.group, v, c.cat)
			}
		}
	}
	return out
}

// each calls fn with every key summed and its sum.
func (s *placeSums) each(fn func(k placeKey, sum placeSum)) {
	width := len(s.codes)
	key := func(place int32, code int) placeKey {
		k := s.places[place]
		k.category, k.group = s.codes[code], code >= s.cats
		return k
	}
	for a, place := range s.areas {
		for code, sum := range s.areaSums[a*width : (a+1)*width] {
			if sum.summed {
				fn(key(place, code), sum)
			}
		}
	}
	for i, sum := range s.buildingSums {
		slot := s.buildingSlots[i]
		fn(key(int32(slot>>32), int(uint32(slot))), sum)
	}
}

// current sums the period's counts (rows' Current) per place key and
// returns those of at least minCount, a group's only where more than one
// of its categories counts in it.
func (p *placer) current(rows []PlaceCount, minCount int64) map[placeKey]int64 {
	out := map[placeKey]int64{}
	p.sum(rows, func(r PlaceCount) int64 { return r.Current }).each(func(k placeKey, s placeSum) {
		if s.n >= minCount && (!k.group || s.multi) {
			out[k] = s.n
		}
	})
	return out
}

// hotBaseline is a hot spots' baseline as kept: the requests received per
// place and category (or group) in it, and the buildings they name.
type hotBaseline struct {
	counts    map[placeKey]int64
	buildings map[int64]*Building
}

// baseline counts h's filter over the baseline period through the city's
// BaselineCache: the baseline's days are past, so new requests never
// change them.
func (a *Analytics) baseline(ctx context.Context, h *hqQuery, baseline Period) (*hotBaseline, error) {
	bq := h.q
	bq.From, bq.To, bq.Now = baseline.From, baseline.To, time.Time{}
	key := fmt.Sprintf("%s|%+v", a.City, bq)
	if b, ok := a.Baselines.get(key); ok {
		return b, nil
	}
	// Every day of the baseline is before its To's next day.
	next, err := time.Parse(time.DateOnly, baseline.To)
	if err != nil {
		return nil, err
	}
	rows, err := a.Store.PlaceCounts(ctx, bq, next.AddDate(0, 0, 1).Format(time.DateOnly))
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	seen := map[int64]bool{}
	for _, r := range rows {
		if r.BuildingID != 0 && !seen[r.BuildingID] {
			seen[r.BuildingID] = true
			ids = append(ids, r.BuildingID)
		}
	}
	bs, err := a.Store.BuildingsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	b := &hotBaseline{counts: map[placeKey]int64{}, buildings: make(map[int64]*Building, len(bs))}
	for i := range bs {
		b.buildings[bs[i].ID] = &bs[i]
	}
	newPlacer(h.dir, b.buildings).sum(rows, func(r PlaceCount) int64 { return r.Baseline }).each(func(k placeKey, s placeSum) {
		b.counts[k] = s.n
	})
	a.Baselines.add(key, b)
	return b, nil
}

// BaselineTTL is how long a hot spots' baseline is kept: its days are
// past, and only a change to an old request (its category, building or
// district) moves it, which shows within this time.
const BaselineTTL = 15 * time.Minute

// BaselineCache keeps, per city and filter, counts of past days for
// BaselineTTL: the baselines of recent hot-spot queries (the requests per
// place and category or group with requests in the baseline and the
// buildings they name, a few hundred thousand entries in a city of
// millions) and the past days of recent trends (a row per day and
// category), so it holds few. It is safe for concurrent use; a nil cache
// counts every time.
type BaselineCache struct {
	lru  *expirable.LRU[string, *hotBaseline]
	days *expirable.LRU[string, []DailyCount]
}

// NewBaselineCache returns a cache of at most size baselines and size
// trends' past days.
func NewBaselineCache(size int) *BaselineCache {
	return &BaselineCache{lru: expirable.NewLRU[string, *hotBaseline](size, nil, BaselineTTL),
		days: expirable.NewLRU[string, []DailyCount](size, nil, BaselineTTL)}
}

func (c *BaselineCache) get(key string) (*hotBaseline, bool) {
	if c == nil {
		return nil, false
	}
	return c.lru.Get(key)
}

func (c *BaselineCache) add(key string, b *hotBaseline) {
	if c != nil {
		c.lru.Add(key, b)
	}
}

func (c *BaselineCache) getDays(key string) ([]DailyCount, bool) {
	if c == nil {
		return nil, false
	}
	return c.days.Get(key)
}

func (c *BaselineCache) addDays(key string, rows []DailyCount) {
	if c != nil {
		c.days.Add(key, rows)
	}
}

// point sums the coordinates of the buildings that have them.
type point struct {
	lat, lon float64
	n        int
}

func (p *point) add(b *Building) {
	if lat, lon, ok := b.Point(); ok {
		p.lat, p.lon, p.n = p.lat+lat, p.lon+lon, p.n+1
	}
}

// places are the summed coordinates of the buildings per street and per
// district (by id), for locate.
type places struct {
	streets   map[string]*point
	districts map[int64]*point
}

// locations sums the buildings' coordinates per street and district once,
// so that locating each hot spot does not walk every building again.
func locations(dir *Directory, buildings map[int64]*Building) places {
	w := places{streets: map[string]*point{}, districts: map[int64]*point{}}
	for _, b := range buildings {
		s := StreetOf(b.AddressRU)
		if w.streets[s] == nil {
			w.streets[s] = &point{}
		}
		w.streets[s].add(b)
		if w.districts[b.DistrictID] == nil {
			w.districts[b.DistrictID] = &point{}
		}
		w.districts[b.DistrictID].add(b)
	}
	return w
}

// locate names a hot spot's place and places it on the map: a building at
// its coordinates, a street or district at the average of its buildings
// (among those the counts name) that have them.
func locate(hs *HotSpot, dir *Directory, buildings map[int64]*Building, where places) {
	p := &point{}
	switch hs.Level {
	case PlaceBuilding:
		id, _ := strconv.ParseInt(hs.Place, 10, 64)
		b := buildings[id]
		hs.NameRU, hs.NameEN = b.AddressRU, b.AddressEN
		if d := dir.District(b.DistrictID); d != nil {
			hs.District = d.Code
		}
		p.add(b)
	case PlaceStreet:
		hs.NameRU = hs.Place
		if s := where.streets[hs.Place]; s != nil {
			p = s
		}
	case PlaceDistrict:
		d := dir.DistrictByCode(hs.Place)
		hs.NameRU, hs.NameEN, hs.District = d.NameRU, d.NameEN, d.Code
		if s := where.districts[d.ID]; s != nil {
			p = s
		}
	}
	if p.n > 0 {
		lat, lon := p.lat/float64(p.n), p.lon/float64(p.n)
		hs.Lat, hs.Lon = &lat, &lon
	}
}

// PlaceRequests lists the requests of f (its category narrows them) about
// a place of a hot spot — level PlaceBuilding with a building id,
// PlaceStreet with a street, PlaceDistrict with a district code — newest
// first, without personal data.
func (a *Analytics) PlaceRequests(ctx context.Context, actor Actor, level, place string, f HQFilter) (*BuildingRequests, error) {
	h, err := a.resolve(ctx, actor, f)
	if err != nil {
		return nil, err
	}
	q := h.q
	out := &BuildingRequests{Filter: h.f, Address: place}
	switch level {
	case PlaceBuilding:
		id, perr := strconv.ParseInt(place, 10, 64)
		if perr != nil || id <= 0 {
			return nil, E(ENOTFOUND, "error.no_building")
		}
		bs, err := a.Store.BuildingsByID(ctx, []int64{id})
		if err != nil {
			return nil, err
		}
		if len(bs) == 0 {
			return nil, E(ENOTFOUND, "error.no_building")
		}
		q.BuildingID, out.BuildingID, out.Address = id, id, bs[0].AddressRU
	case PlaceStreet:
		dir, err := a.Store.Directory(ctx, true)
		if err != nil {
			return nil, err
		}
		for _, b := range dir.Buildings {
			if place != "" && StreetOf(b.AddressRU) == place {
				q.BuildingIDs = append(q.BuildingIDs, b.ID)
			}
		}
		if q.BuildingIDs == nil {
			return nil, E(ENOTFOUND, "error.no_building")
		}
	case PlaceDistrict:
		d := h.dir.DistrictByCode(place)
		if d == nil {
			return nil, E(ENOTFOUND, "error.unknown_district", "Code", place)
		}
		out.NameRU, out.NameEN, out.Address = d.NameRU, d.NameEN, d.NameRU
		if q.DistrictID != 0 && q.DistrictID != d.ID {
			return out, nil // the filter names another district: nothing matches
		}
		q.DistrictID = d.ID
	default:
		return nil, E(ENOTFOUND, "error.no_place_level", "Level", level)
	}
	if err := a.hqRequests(ctx, q, out); err != nil {
		return nil, err
	}
	return out, nil
}
