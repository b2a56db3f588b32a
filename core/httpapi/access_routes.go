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
	rs := append(a.userRoutes(), a.tokenRoutes()...)
	return append(rs, []Route{
		{Method: "POST", Path: "/auth/register", Obj: "", Act: "", Summary: "A citizen's account, by e-mail or phone",
			In: core.Registration{}, Out: userJSON{}, Status: http.StatusCreated, Handler: a.register},
		{Method: "POST", Path: "/auth/invite", Obj: "", Act: "", Summary: "Set the password of an invited user with the one-time token",
			In: inviteInput{}, Out: userJSON{}, Status: http.StatusOK, Handler: a.redeemInvite},
		{Method: "POST", Path: "/auth/logout", Obj: "", Act: "", Guard: guardSelf, Summary: "Revoke the caller's token",
			In: nil, Out: nil, Status: http.StatusNoContent, Handler: a.logout},
		{Method: "POST", Path: "/auth/password", Obj: "", Act: "", Guard: guardSelf, Summary: "Change the caller's password; other sessions end",
			In: passwordInput{}, Out: nil, Status: http.StatusNoContent, Handler: a.changePassword},
		endpoint(Route{Method: "POST", Path: "/public/requests", Obj: core.ObjPublicRequests, Act: core.ActCreate, Guard: guardAnonymous, Summary: "Submit without an account, where the city allows it",
			Status: http.StatusCreated}, a.submitPublic),
		endpoint(Route{Method: "GET", Path: "/public/requests/:code", Obj: core.ObjPublicRequests, Act: core.ActRead, Guard: guardAnonymous, Summary: "Follow a request by its tracking code",
			Status: http.StatusOK}, a.getPublic),
	}...)
}
