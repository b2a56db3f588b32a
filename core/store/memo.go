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
// rule table and directory without buildings) are reused between intakes,
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
}

// routingMemo is a Store's memo of its city's routing inputs.
type routingMemo struct {
	mu       sync.Mutex
	gen      uint64         // bumped by every directory or routing write
	inputs   *routingInputs // nil until loaded, and after a write
	loadedAt time.Time      // by the Store's clock
}

// changed drops the city's routing memo after a directory or routing write.
func (s *Store) changed() {
	s.memo.mu.Lock()
	s.memo.gen++
	s.memo.inputs = nil
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
		return nil
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
