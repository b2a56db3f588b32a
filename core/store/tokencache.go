package store

import (
	"sync"
	"time"

	"github.com/opencity/opencity/core"
)

// TokenCacheTTL bounds how long a checked bearer token is trusted without
// asking the database again, by the clock of the caller of ActorByToken.
// Revoking a token, changing a password or a user's role or activity
// through the Store forgets the city's cached tokens at once; another
// server process (or another Store of the city) sees such a change within
// the TTL. It saves intake one transaction of its three.
const TokenCacheTTL = 2 * time.Second

// maxCachedTokens bounds one city's cache; past it the cache starts afresh.
const maxCachedTokens = 10000

type cachedActor struct {
	actor core.Actor
	until time.Time
}

// tokenCache is a Store's cache of its city's checked tokens, by the
// token's hash.
type tokenCache struct {
	mu sync.Mutex
	m  map[string]cachedActor
}

func (s *Store) tokens() *tokenCache { return &s.tokenCache }

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
	if c.m == nil || len(c.m) >= maxCachedTokens {
		c.m = map[string]cachedActor{}
	}
	c.m[hash] = cachedActor{actor: a, until: until}
}

// forgetTokens drops the city's cached tokens after a change to accounts.
func (s *Store) forgetTokens() {
	c := s.tokens()
	c.mu.Lock()
	c.m = nil
	c.mu.Unlock()
}
