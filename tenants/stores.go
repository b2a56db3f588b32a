package tenants

import (
	"time"

	"github.com/opencity/opencity/core/store"
)

// Store returns the one Store of an existing city in this process. The
// Store owns the city's routing memo and token cache and its writes
// invalidate them, so every part of the process that serves or changes a
// city (the API and pages through Cities, the consoles, the sweep,
// provisioning) goes through it; a Store made elsewhere with store.New has
// caches of its own.
func (b *Backend) Store(slug string) (*store.Store, error) {
	b.mu.Lock()
	st := b.stores[slug]
	b.mu.Unlock()
	if st != nil {
		return st, nil
	}
	scope, err := b.Scope(slug)
	if err != nil {
		return nil, err
	}
	now := b.Now
	if now == nil {
		now = time.Now
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if st := b.stores[slug]; st != nil {
		return st, nil
	}
	if b.stores == nil {
		b.stores = map[string]*store.Store{}
	}
	opts := []store.Option{store.WithClock(now)}
	if b.Batching != nil {
		opts = append(opts, store.WithBatching(*b.Batching))
	}
	st = store.New(scope, opts...)
	b.stores[slug] = st
	return st, nil
}
