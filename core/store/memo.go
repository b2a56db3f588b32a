package store

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// RoutingMemoTTL bounds how long a city's routing inputs (routing settings,
// rule table, directory without buildings, working calendar and the open
// outages' utilities) are reused between intakes,
// by the Store's clock. A change made through the Store is seen at once;
// one made elsewhere (another server process, or another Store of the same
// city) within the TTL, like a registry change seen by the city resolver
// (tenants.Cities, also 1 s).
const RoutingMemoTTL = time.Second

// routingInputs is what intake's router reads for every request; without
// the memo, routing cost three transactions and eight statements per
// request. A loaded value is never changed; callers get copies.
type routingInputs struct {
	settings core.RoutingSettings
	rules    []core.RoutingRule
	dir      *core.Directory
	// phoneRegion reads the phone numbers typed at intake, login and search.
	phoneRegion string
	// calendar is the working calendar in UTC (see WorkingCalendar).
	calendar *core.Calendar
	// outages are the open outages' utilities and starts: intake asks the
	// database for the outage a request attaches to only when one of them
	// could match.
	outages []openOutage
}

// openOutage is what the routing memo keeps of an open outage.
type openOutage struct {
	Utility  string    `bun:"utility"`
	StartsAt time.Time `bun:"starts_at"`
}

// routingMemo is a Store's memo of its city's routing inputs.
type routingMemo struct {
	mu       sync.Mutex
	gen      uint64         // bumped by every directory or routing write
	inputs   *routingInputs // nil until loaded, and after a write
	loadedAt time.Time      // by the Store's clock
	// buildings are the buildings intake named, by id, each kept for
	// BuildingCacheTTL; dropped with the memo by every directory write.
	buildings map[int64]cachedBuilding
}

// changed drops the city's routing memo after a directory or routing write.
func (s *Store) changed() {
	s.memo.mu.Lock()
	s.memo.gen++
	s.memo.inputs = nil
	s.memo.buildings = nil
	s.memo.mu.Unlock()
}

// writeTx runs a directory or routing write and drops the routing memo.
func (s *Store) writeTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	defer s.changed()
	return s.scope.RunInTx(ctx, fn)
}

// routingInputs returns the memoized settings, rules and directory, reading
// all three in one transaction when the memo is stale. A clock that went
// back counts as stale.
func (s *Store) routingInputs(ctx context.Context) (*routingInputs, error) {
	m := &s.memo
	m.mu.Lock()
	now := s.now()
	if age := now.Sub(m.loadedAt); m.inputs != nil && age >= 0 && age < RoutingMemoTTL {
		in := m.inputs
		m.mu.Unlock()
		return in, nil
	}
	gen := m.gen
	m.mu.Unlock()
	fresh := &routingInputs{}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if fresh.settings, err = routingSettings(ctx, tx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&fresh.rules).Order("position", "id").Scan(ctx); err != nil {
			return err
		}
		if fresh.dir, err = directory(ctx, tx, false); err != nil {
			return err
		}
		var region []string
		if err := tx.NewRaw("SELECT value FROM settings WHERE key = ?", core.SettingPhoneRegion).Scan(ctx, &region); err != nil {
			return err
		}
		fresh.phoneRegion = core.PhoneRegion(map[string]string{core.SettingPhoneRegion: strings.Join(region, "")})
		if fresh.calendar, err = loadCalendar(ctx, tx, time.UTC); err != nil {
			return err
		}
		return tx.NewRaw("SELECT utility, starts_at FROM outages WHERE closed_at IS NULL").Scan(ctx, &fresh.outages)
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.gen == gen { // no write since the read began
		m.inputs, m.loadedAt = fresh, now
	}
	m.mu.Unlock()
	return fresh, nil
}

// RoutingRules returns the city's rule table in order.
func (s *Store) RoutingRules(ctx context.Context) ([]core.RoutingRule, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(m.rules), nil
}

// RoutingSettings returns which router the city uses.
func (s *Store) RoutingSettings(ctx context.Context) (core.RoutingSettings, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return core.RoutingSettings{}, err
	}
	return m.settings, nil
}

// Directory returns a snapshot of the city's directory: categories,
// districts, organizations with the districts they serve and, when asked,
// every building. Without buildings it comes from the routing memo; callers
// must not change the OrgDistricts map.
func (s *Store) Directory(ctx context.Context, withBuildings bool) (*core.Directory, error) {
	if withBuildings {
		var d *core.Directory
		err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) (err error) {
			d, err = directory(ctx, tx, true)
			return err
		})
		return d, err
	}
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	return &core.Directory{Categories: slices.Clone(m.dir.Categories), Groups: slices.Clone(m.dir.Groups), Districts: slices.Clone(m.dir.Districts),
		Organizations: slices.Clone(m.dir.Organizations), OrgDistricts: m.dir.OrgDistricts}, nil
}

// PhoneRegion returns the city's phone region (core.SettingPhoneRegion,
// default core.DefaultPhoneRegion), from the routing memo.
func (s *Store) PhoneRegion(ctx context.Context) (string, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return "", err
	}
	return m.phoneRegion, nil
}

// WorkingCalendar returns the city's working calendar (hours, weekend,
// holidays) in loc, from the routing memo.
func (s *Store) WorkingCalendar(ctx context.Context, loc *time.Location) (*core.Calendar, error) {
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	c := *m.calendar // the maps are shared and never changed
	c.Location = loc
	return &c, nil
}

// BuildingCacheTTL bounds how long a building intake named is reused
// without asking the database again, by the Store's clock. A change made
// through the Store is seen at once; one made by another server process
// within the TTL. Only found buildings are kept: an id unknown here is
// always looked up.
const BuildingCacheTTL = time.Minute

// maxCachedBuildings bounds one city's building cache; past it the cache
// starts afresh.
const maxCachedBuildings = 20000

type cachedBuilding struct {
	b     core.Building
	until time.Time
}

// building returns the building with the given id, from the cache when it
// was read in the last BuildingCacheTTL; sql.ErrNoRows when there is none.
func (s *Store) building(ctx context.Context, id int64) (*core.Building, error) {
	m := &s.memo
	m.mu.Lock()
	now := s.now()
	if e, ok := m.buildings[id]; ok && now.Before(e.until) && !now.Before(e.until.Add(-BuildingCacheTTL)) {
		m.mu.Unlock()
		b := e.b
		return &b, nil
	}
	gen := m.gen
	m.mu.Unlock()
	b := new(core.Building)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(b).Where("id = ?", id).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	m.mu.Lock()
	if m.gen == gen {
		if m.buildings == nil || len(m.buildings) >= maxCachedBuildings {
			m.buildings = map[int64]cachedBuilding{}
		}
		m.buildings[id] = cachedBuilding{b: *b, until: now.Add(BuildingCacheTTL)}
	}
	m.mu.Unlock()
	return b, nil
}
