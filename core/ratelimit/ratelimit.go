// Package ratelimit bounds how often one client address may call the routes
// that strangers can call without an account: logging in, registering,
// signing up a city and confirming it, submitting anonymously, redeeming an
// invitation and a dedicated installation's heartbeat.
// Counting is github.com/go-chi/httprate's sliding window, kept in the
// memory of the server process; the client address is gin's ClientIP,
// which takes forwarded headers only from the trusted proxies.
package ratelimit

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/go-chi/httprate"
)

// Rule is a number of requests per window of time and client address.
type Rule struct {
	Requests int
	Window   time.Duration
}

// Rules are the limits of each family of routes.
type Rules struct {
	Login     Rule // every password login: city and vendor, API and pages
	Register  Rule // a citizen's registration
	Signup    Rule // a new city's signup, API and page
	Anonymous Rule // a request submitted without an account, API and page
	Invite    Rule // an invitation redeemed, API and page
	Confirm   Rule // a signup's e-mail confirmation, API and page
	Heartbeat Rule // a dedicated installation's heartbeat to the vendor
}

// Defaults are the limits unless the configuration sets others: enough for
// a person, or an office behind one address, at work; far too few for a
// script that guesses passwords or fills the database.
var Defaults = Rules{
	Login:     Rule{Requests: 60, Window: time.Minute},
	Register:  Rule{Requests: 20, Window: time.Hour},
	Signup:    Rule{Requests: 10, Window: time.Hour},
	Anonymous: Rule{Requests: 30, Window: time.Hour},
	Invite:    Rule{Requests: 20, Window: 15 * time.Minute},
	Confirm:   Rule{Requests: 20, Window: 15 * time.Minute},
	Heartbeat: Rule{Requests: 120, Window: time.Hour},
}

// OrDefaults returns r with each zero rule replaced by its default.
func (r Rules) OrDefaults() Rules {
	pick := func(rule *Rule, def Rule) {
		if rule.Requests <= 0 || rule.Window <= 0 {
			*rule = def
		}
	}
	pick(&r.Login, Defaults.Login)
	pick(&r.Register, Defaults.Register)
	pick(&r.Signup, Defaults.Signup)
	pick(&r.Anonymous, Defaults.Anonymous)
	pick(&r.Invite, Defaults.Invite)
	pick(&r.Confirm, Defaults.Confirm)
	pick(&r.Heartbeat, Defaults.Heartbeat)
	return r
}

// Limiter counts the requests of one family of routes per client address.
type Limiter struct {
	rule Rule
	rl   *httprate.RateLimiter
}

// New returns a limiter of rule.
func New(rule Rule) *Limiter {
	return &Limiter{rule: rule, rl: httprate.NewRateLimiter(rule.Requests, rule.Window)}
}

// Limiters are one server's limiters, one per family of routes.
type Limiters struct {
	Login, Register, Signup, Anonymous, Invite, Confirm, Heartbeat *Limiter
}

// NewLimiters returns fresh limiters of rules.
func NewLimiters(rules Rules) *Limiters {
	return &Limiters{Login: New(rules.Login), Register: New(rules.Register), Signup: New(rules.Signup),
		Anonymous: New(rules.Anonymous), Invite: New(rules.Invite), Confirm: New(rules.Confirm), Heartbeat: New(rules.Heartbeat)}
}

// Refuse writes the answer to a request over its limit: a problem document
// for the API, a page in the reader's language for pages. The Retry-After
// header is set already.
type Refuse func(c *gin.Context, retryAfter time.Duration)

// Middleware counts each request under its client address and answers
// the requests over the limit with refuse (429 and Retry-After), without
// calling the handlers that follow. A nil limiter lets everything pass.
func (l *Limiter) Middleware(refuse Refuse) gin.HandlerFunc {
	return func(c *gin.Context) {
		if l == nil {
			c.Next()
			return
		}
		if l.rl.OnLimit(c.Writer, c.Request, httprate.CanonicalizeIP(c.ClientIP())) {
			c.Header("Retry-After", strconv.Itoa(max(int(math.Ceil(l.rule.Window.Seconds())), 1)))
			refuse(c, l.rule.Window)
			if !c.IsAborted() {
				c.AbortWithStatus(http.StatusTooManyRequests)
			}
			return
		}
		c.Next()
	}
}
