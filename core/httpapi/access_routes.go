package httpapi

import (
	"net/http"

	"github.com/opencity/opencity/core"
)

// guard says how a route of accounts and access is checked; each kind is
// the route's one authorization check.
type guard int

const (
	// guardDefault: with an Obj, a token of the city, then the role's policy
	// for (Obj, Act); without one, open to anyone (signing up, logging in).
	guardDefault guard = iota
	// guardSelf: a token of the city; the caller acts on their own account.
	guardSelf
	// guardAnonymous: no token; the anonymous role's policy for (Obj, Act).
	guardAnonymous
)

// accessRoutes are the routes of accounts, users, API tokens, policies and
// anonymous requests.
func (a *API) accessRoutes() []Route {
	rs := append(a.accountRoutes(), a.userRoutes()...)
	rs = append(rs, a.tokenRoutes()...)
	return append(rs, []Route{
		endpoint(Route{Method: "POST", Path: "/public/requests", Obj: core.ObjPublicRequests, Act: core.ActCreate, Guard: guardAnonymous, Summary: "Submit without an account, where the city allows it",
			Status: http.StatusCreated, Throttled: true, Before: a.limit(a.limits().Anonymous)}, a.submitPublic),
		endpoint(Route{Method: "GET", Path: "/public/requests/:code", Obj: core.ObjPublicRequests, Act: core.ActRead, Guard: guardAnonymous, Summary: "Follow a request by its tracking code",
			Status: http.StatusOK}, a.getPublic),
	}...)
}
