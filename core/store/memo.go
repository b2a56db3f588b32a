package store

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// RoutingMemoTTL bounds how long a city's routing inputs (routing settings,
// rule table and directory without buildings) are reused between intakes.
// A change made through any Store of this process is seen at once; one made
// by another process within the TTL, like a registry change seen by the
// city resolver (tenants.Cities, also 1 s).
const RoutingMemoTTL = time.Second

// routingMemo is what intake's router reads for every request; without it,
// routing cost three transactions and eight statements per request.
type routingMemo struct {
	gen      uint64 // bumped by every directory or routing write
	loadedAt time.Time
	loaded   uint64 // gen the entry was read at; valid when equal to gen
	ok       bool
	settings core.RoutingSettings
	rules    []core.RoutingRule
	dir      *core.Directory
}

// memos are keyed by the city scope, so every Store of one city in this
// process shares one entry and one invalidation.
var (
	memoMu sync.Mutex
	memos  = map[Scope]*routingMemo{}
)

func (s *Store) memo() *routingMemo {
	m := memos[s.scope]
	if m == nil {
		m = &routingMemo{}
		memos[s.scope] = m
	}
	return m
}

// changed drops the city's routing memo after a directory or routing write.
func (s *Store) changed() {
	memoMu.Lock()
	m := s.memo()
	m.gen++
	m.ok = false
	memoMu.Unlock()
}

// writeTx runs a directory or routing write and drops the routing memo.
func (s *Store) writeTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	defer s.changed()
	return s.scope.RunInTx(ctx, fn)
}

// routingInputs returns the memoized settings, rules and directory, reading
// all three in one transaction when the memo is stale.
func (s *Store) routingInputs(ctx context.Context) (*routingMemo, error) {
	memoMu.Lock()
	m := s.memo()
	if m.ok && m.loaded == m.gen && time.Since(m.loadedAt) < RoutingMemoTTL {
		snap := *m
		memoMu.Unlock()
		return &snap, nil
	}
	gen := m.gen
	memoMu.Unlock()
	fresh := &routingMemo{loadedAt: time.Now(), loaded: gen, ok: true}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if fresh.settings, err = routingSettings(ctx, tx); err != nil {
			return err
		}
		if err := tx.NewSelect().Model(&fresh.rules).Order("position", "id").Scan(ctx); err != nil {
			return err
		}
		fresh.dir, err = directory(ctx, tx, false)
		return err
	})
	if err != nil {
		return nil, err
	}
	memoMu.Lock()
	if m := s.memo(); m.gen == gen {
		fresh.gen = gen
		memos[s.scope] = fresh
	}
	memoMu.Unlock()
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
	return &core.Directory{Categories: slices.Clone(m.dir.Categories), Districts: slices.Clone(m.dir.Districts),
		Organizations: slices.Clone(m.dir.Organizations), OrgDistricts: m.dir.OrgDistricts}, nil
}
