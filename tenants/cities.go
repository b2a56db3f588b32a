package tenants

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// Cities resolves requests to cities from a cached copy of the registry. The
// cache is reloaded at most once per TTL of the backend's clock (Backend.Now),
// so a status change made by another process is seen within that time, and a
// burst of unknown slugs costs at most one registry read per TTL.
type Cities struct {
	b *Backend
	// BaseDomain makes <slug>.<BaseDomain> resolve to the city; empty turns
	// host resolution off except for custom domains.
	BaseDomain string
	TTL        time.Duration

	mu      sync.Mutex
	loaded  time.Time
	bySlug  map[string]*httpapi.City
	domains map[string]string
	// unusable are the live cities whose storage could not be opened,
	// logged once each.
	unusable map[string]bool
}

// NewCities returns the resolver over b's registry.
func NewCities(b *Backend, baseDomain string) *Cities {
	return &Cities{b: b, BaseDomain: strings.ToLower(baseDomain), TTL: time.Second, unusable: map[string]bool{}}
}

var _ httpapi.Cities = (*Cities)(nil)

// Invalidate drops the cache; the next lookup reads the registry.
func (c *Cities) Invalidate() {
	c.mu.Lock()
	c.loaded = time.Time{}
	c.mu.Unlock()
}

func (c *Cities) snapshot(ctx context.Context) (map[string]*httpapi.City, map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now
	if c.b.Now != nil {
		now = c.b.Now
	}
	// By the backend's clock; a clock that went back counts as stale.
	if age := now().Sub(c.loaded); c.bySlug != nil && age >= 0 && age < c.TTL {
		return c.bySlug, c.domains, nil
	}
	loadedAt := now()
	reg := c.b.Registry()
	ts, err := reg.List(ctx)
	if err != nil {
		return nil, nil, err
	}
	domains, err := reg.Domains(ctx)
	if err != nil {
		return nil, nil, err
	}
	bySlug := make(map[string]*httpapi.City, len(ts))
	for _, t := range ts {
		if !t.Serving() {
			continue
		}
		st, err := c.b.Store(t.Slug)
		if err != nil {
			// One city without storage is out of service; the others serve.
			if !c.unusable[t.Slug] {
				slog.ErrorContext(ctx, "city not served", "city", t.Slug, "err", err)
				c.unusable[t.Slug] = true
			}
			continue
		}
		loc, err := time.LoadLocation(t.Timezone)
		if err != nil {
			loc = time.UTC
		}
		bySlug[t.Slug] = &httpapi.City{Slug: t.Slug, Name: t.Name, Locale: t.Locale, Location: loc,
			Status: t.Status, ReadOnly: t.ReadOnly(), Banner: Banner(t.Status), Store: st}
	}
	c.bySlug, c.domains, c.loaded = bySlug, domains, loadedAt
	return bySlug, domains, nil
}

// BySlug implements httpapi.Cities. A malformed slug is refused before any
// lookup.
func (c *Cities) BySlug(ctx context.Context, slug string) (*httpapi.City, error) {
	if !ValidSlug(slug) {
		return nil, core.E(core.ENOTFOUND, "error.invalid_slug")
	}
	m, _, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	if city, ok := m[slug]; ok {
		return city, nil
	}
	return nil, core.E(core.ENOTFOUND, "error.no_city_slug", "Slug", slug)
}

// ByHost implements httpapi.Cities: custom domains first, then
// <slug>.<BaseDomain>.
func (c *Cities) ByHost(ctx context.Context, host string) (*httpapi.City, error) {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	m, domains, err := c.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	slug, ok := domains[host]
	if !ok && c.BaseDomain != "" {
		slug, ok = strings.CutSuffix(host, "."+c.BaseDomain)
	}
	if ok && ValidSlug(slug) {
		if city, found := m[slug]; found {
			return city, nil
		}
	}
	return nil, core.E(core.ENOTFOUND, "error.no_city_host")
}
