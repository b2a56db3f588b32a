package tenants

import (
	"slices"
	"strings"

	"github.com/opencity/opencity/core"
)

// ErrReservedSlug is the field message (a catalog code) of a slug the server
// uses for itself.
const ErrReservedSlug = "error.slug_reserved"

// ReserveRoutes reserves, as city slugs, the first segment of every path the
// server serves (e.g. "/healthz", "/signup/api" and "/t/:slug/…" reserve
// healthz, signup and t), so no city is named like one of the server's own
// pages. The server calls it with its routes after mounting them; parameters
// and segments that are not slugs anyway are skipped.
func (b *Backend) ReserveRoutes(paths []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reserved == nil {
		b.reserved = map[string]bool{}
	}
	for _, p := range paths {
		first, _, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
		first = strings.ToLower(first)
		if first == "" || strings.ContainsAny(first[:1], ":*") || !core.ValidSlug(first) {
			continue
		}
		b.reserved[first] = true
	}
}

// SlugReserved reports whether slug is one of the server's own top-level
// paths (ReserveRoutes).
func (b *Backend) SlugReserved(slug string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.reserved[slug]
}

// ReservedSlugs lists the reserved slugs, sorted.
func (b *Backend) ReservedSlugs() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]string, 0, len(b.reserved))
	for s := range b.reserved {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// checkReserved refuses a new city whose slug is reserved.
func (r *Registry) checkReserved(slug string) error {
	if r.b.SlugReserved(slug) {
		return &core.Error{Code: core.EINVALID, Message: ErrReservedSlug, Fields: core.FieldErrors{"slug": core.M(ErrReservedSlug)}}
	}
	return nil
}
