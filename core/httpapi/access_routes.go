package httpapi

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// guard says how a route of accounts and access is checked; each kind is
// the route's one authorization check.
type guard int

const (
	// guardPolicy: a token of the city, then the role's policy for (Obj, Act).
	guardPolicy guard = iota
	// guardSelf: a token of the city; the caller acts on their own account.
	guardSelf
	// guardAnonymous: no token; the anonymous role's policy for (Obj, Act).
	guardAnonymous
	// guardLogin: no token and no policy: signing up, logging in.
	guardLogin
)

// accessRoute is one operation of accounts and access, described like the
// rest of the API: method, path, the check, and the JSON it takes and gives.
type accessRoute struct {
	Method  string
	Path    string // gin syntax, relative to /api/v1
	Obj     string
	Act     string
	Guard   guard
	Summary string
	In      any // the JSON body type, nil for none
	Out     any // the JSON answer type, nil for none
	Status  int // the success status
	Handler gin.HandlerFunc
}

// accessRoutes are the routes of accounts, users, API tokens, policies and
// anonymous requests.
func (a *API) accessRoutes() []accessRoute {
	return []accessRoute{
		{"POST", "/auth/register", "", "", guardLogin, "A citizen's account, by e-mail or phone",
			core.Registration{}, userJSON{}, http.StatusCreated, a.register},
		{"POST", "/auth/invite", "", "", guardLogin, "Set the password of an invited user with the one-time token",
			inviteInput{}, userJSON{}, http.StatusOK, a.redeemInvite},
		{"POST", "/auth/logout", "", "", guardSelf, "Revoke the caller's token",
			nil, nil, http.StatusNoContent, a.logout},
		{"POST", "/auth/password", "", "", guardSelf, "Change the caller's password; other sessions end",
			passwordInput{}, nil, http.StatusNoContent, a.changePassword},
		{"POST", "/public/requests", core.ObjPublicRequests, core.ActCreate, guardAnonymous, "Submit without an account, where the city allows it",
			core.NewRequest{}, publicSubmittedJSON{}, http.StatusCreated, a.submitPublic},
		{"GET", "/public/requests/:code", core.ObjPublicRequests, core.ActRead, guardAnonymous, "Follow a request by its tracking code",
			nil, publicRequestJSON{}, http.StatusOK, a.getPublic},
		{"GET", "/settings/access", core.ObjCity, core.ActRead, guardPolicy, "Settings of accounts and access",
			nil, accessSettingsJSON{}, http.StatusOK, a.getAccessSettings},
		{"PUT", "/settings/access", core.ObjCity, core.ActUpdate, guardPolicy, "Change the settings of accounts and access",
			accessSettingsJSON{}, accessSettingsJSON{}, http.StatusOK, a.putAccessSettings},
		{"GET", "/users", core.ObjUsers, core.ActRead, guardPolicy, "The city's users",
			nil, usersJSON{}, http.StatusOK, a.listUsers},
		{"POST", "/users", core.ObjUsers, core.ActCreate, guardPolicy, "Invite a user; the answer carries a one-time set-password token",
			core.NewUser{}, invitedJSON{}, http.StatusCreated, a.inviteUser},
		{"PATCH", "/users/:id", core.ObjUsers, core.ActUpdate, guardPolicy, "Change a user's role, organization or activity",
			core.UserPatch{}, userJSON{}, http.StatusOK, a.patchUser},
		{"GET", "/tokens", core.ObjTokens, core.ActRead, guardPolicy, "The city's API tokens, without the tokens themselves",
			nil, apiTokensJSON{}, http.StatusOK, a.listTokens},
		{"POST", "/tokens", core.ObjTokens, core.ActCreate, guardPolicy, "An API token bound to a role, shown once",
			apiTokenInput{}, apiTokenJSON{}, http.StatusCreated, a.createAPIToken},
		{"DELETE", "/tokens/:id", core.ObjTokens, core.ActDelete, guardPolicy, "Revoke an API token",
			nil, nil, http.StatusNoContent, a.revokeAPIToken},
		{"GET", "/policies", core.ObjPolicies, core.ActRead, guardPolicy, "The city's access policies",
			nil, policiesJSON{}, http.StatusOK, a.listPolicies},
		{"POST", "/policies", core.ObjPolicies, core.ActCreate, guardPolicy, "Grant a role (built-in or custom) an action on an object",
			policyJSON{}, policyJSON{}, http.StatusCreated, a.addPolicy},
		{"DELETE", "/policies", core.ObjPolicies, core.ActDelete, guardPolicy, "Withdraw a policy",
			policyJSON{}, nil, http.StatusNoContent, a.removePolicy},
	}
}

// registerAccounts mounts the routes of accounts and access on g, each
// behind its one check.
func (a *API) registerAccounts(g gin.IRouter) {
	for _, rt := range a.accessRoutes() {
		var hs []gin.HandlerFunc
		switch rt.Guard {
		case guardPolicy:
			hs = []gin.HandlerFunc{a.authenticate, a.allow(rt.Obj, rt.Act)}
		case guardSelf:
			hs = []gin.HandlerFunc{a.authenticate, a.allowSelf}
		case guardAnonymous:
			hs = []gin.HandlerFunc{a.allowAnonymous(rt.Obj, rt.Act)}
		}
		g.Handle(rt.Method, rt.Path, append(hs, rt.Handler)...)
	}
}
