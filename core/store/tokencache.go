package store

import (
	"sync"
	"time"

	"github.com/opencity/opencity/core"
)

// TokenCacheTTL bounds how long a checked bearer token is trusted without
// asking the database again. Revoking a token, changing a password or a
// user's role or activity through any Store of this process forgets the
// city's cached tokens at once; another server process sees such a change
// within the TTL. It saves intake one transaction of its three.
const TokenCacheTTL = 2 * time.Second

// maxCachedTokens bounds one city's cache; past it the cache starts afresh.
const maxCachedTokens = 10000

type cachedActor struct {
	actor core.Actor
	until time.Time
}

type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedActor
}

// tokenCaches are keyed by the city scope, so every Store of one city in
// this process shares one cache and one invalidation.
var (
	tokenCachesMu sync.Mutex
	tokenCaches   = map[Scope]*tokenCache{}
)

func (s *Store) tokens() *tokenCache {
	tokenCachesMu.Lock()
	defer tokenCachesMu.Unlock()
	c := tokenCaches[s.scope]
	if c == nil {
		c = &tokenCache{m: map[string]cachedActor{}}
		tokenCaches[s.scope] = c
	}
	return c
}

func (c *tokenCache) get(hash string, now time.Time) (core.Actor, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[hash]
	if !ok || !now.Before(e.until) {
		return core.Actor{}, false
	}
	return e.actor, true
}

func (c *tokenCache) put(hash string, a core.Actor, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedActor{}
	}
	c.m[hash] = cachedActor{actor: a, until: until}
}

// forgetTokens drops the city's cached tokens after a change to accounts.
func (s *Store) forgetTokens() {
	c := s.tokens()
	c.mu.Lock()
	c.m = map[string]cachedActor{}
	c.mu.Unlock()
}
