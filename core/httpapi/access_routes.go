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
	return []Route{
		{Method: "POST", Path: "/auth/register", Obj: "", Act: "", Summary: "A citizen's account, by e-mail or phone",
			In: core.Registration{}, Out: userJSON{}, Status: http.StatusCreated, Handler: a.register},
		{Method: "POST", Path: "/auth/invite", Obj: "", Act: "", Summary: "Set the password of an invited user with the one-time token",
			In: inviteInput{}, Out: userJSON{}, Status: http.StatusOK, Handler: a.redeemInvite},
		{Method: "POST", Path: "/auth/logout", Obj: "", Act: "", Guard: guardSelf, Summary: "Revoke the caller's token",
			In: nil, Out: nil, Status: http.StatusNoContent, Handler: a.logout},
		{Method: "POST", Path: "/auth/password", Obj: "", Act: "", Guard: guardSelf, Summary: "Change the caller's password; other sessions end",
			In: passwordInput{}, Out: nil, Status: http.StatusNoContent, Handler: a.changePassword},
		{Method: "POST", Path: "/public/requests", Obj: core.ObjPublicRequests, Act: core.ActCreate, Guard: guardAnonymous, Summary: "Submit without an account, where the city allows it",
			In: core.NewRequest{}, Out: publicSubmittedJSON{}, Status: http.StatusCreated, Handler: a.submitPublic},
		{Method: "GET", Path: "/public/requests/:code", Obj: core.ObjPublicRequests, Act: core.ActRead, Guard: guardAnonymous, Summary: "Follow a request by its tracking code",
			In: nil, Out: publicRequestJSON{}, Status: http.StatusOK, Handler: a.getPublic},
		{Method: "GET", Path: "/settings/access", Obj: core.ObjCity, Act: core.ActRead, Summary: "Settings of accounts and access",
			In: nil, Out: accessSettingsJSON{}, Status: http.StatusOK, Handler: a.getAccessSettings},
		{Method: "PUT", Path: "/settings/access", Obj: core.ObjCity, Act: core.ActUpdate, Summary: "Change the settings of accounts and access",
			In: accessSettingsJSON{}, Out: accessSettingsJSON{}, Status: http.StatusOK, Handler: a.putAccessSettings},
		{Method: "GET", Path: "/users", Obj: core.ObjUsers, Act: core.ActRead, Summary: "The city's users",
			In: nil, Out: usersJSON{}, Status: http.StatusOK, Handler: a.listUsers},
		{Method: "POST", Path: "/users", Obj: core.ObjUsers, Act: core.ActCreate, Summary: "Invite a user; the answer carries a one-time set-password token",
			In: core.NewUser{}, Out: invitedJSON{}, Status: http.StatusCreated, Handler: a.inviteUser},
		{Method: "PATCH", Path: "/users/:id", Obj: core.ObjUsers, Act: core.ActUpdate, Summary: "Change a user's role, organization or activity",
			In: core.UserPatch{}, Out: userJSON{}, Status: http.StatusOK, Handler: a.patchUser},
		{Method: "GET", Path: "/tokens", Obj: core.ObjTokens, Act: core.ActRead, Summary: "The city's API tokens, without the tokens themselves",
			In: nil, Out: apiTokensJSON{}, Status: http.StatusOK, Handler: a.listTokens},
		{Method: "POST", Path: "/tokens", Obj: core.ObjTokens, Act: core.ActCreate, Summary: "An API token bound to a role, shown once",
			In: apiTokenInput{}, Out: apiTokenJSON{}, Status: http.StatusCreated, Handler: a.createAPIToken},
		{Method: "DELETE", Path: "/tokens/:id", Obj: core.ObjTokens, Act: core.ActDelete, Summary: "Revoke an API token",
			In: nil, Out: nil, Status: http.StatusNoContent, Handler: a.revokeAPIToken},
		{Method: "GET", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActRead, Summary: "The city's access policies",
			In: nil, Out: policiesJSON{}, Status: http.StatusOK, Handler: a.listPolicies},
		{Method: "POST", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActCreate, Summary: "Grant a role (built-in or custom) an action on an object",
			In: policyJSON{}, Out: policyJSON{}, Status: http.StatusCreated, Also: http.StatusOK, Handler: a.addPolicy},
		{Method: "DELETE", Path: "/policies", Obj: core.ObjPolicies, Act: core.ActDelete, Summary: "Withdraw a policy",
			In: policyJSON{}, Out: nil, Status: http.StatusNoContent, Handler: a.removePolicy},
	}
}
