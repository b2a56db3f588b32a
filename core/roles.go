package core

import (
	"regexp"
	"slices"
	"strings"
	"sync"
)

// RoleAnonymous is the caller of the public routes: no account, no token.
// It never belongs to a user who can log in.
const RoleAnonymous Role = "anonymous"

// RoleVendorAdmin is the vendor's global role; no city may grant it.
const RoleVendorAdmin Role = "vendor_admin"

// ETOOMANY is the code of a refusal after too many attempts (HTTP 429).
const ETOOMANY = "too_many_requests"

// RoleRE is the shape of every role name, built-in or custom.
var RoleRE = regexp.MustCompile(`^[a-z][a-z0-9_]{1,39}$`)

// CityObjects are the objects a city's policies may name: those of
// DefaultPolicies. A city admin can grant nothing outside this list, and an
// object added to the defaults becomes grantable with it.
func CityObjects() []string { return cityObjects() }

var cityObjects = sync.OnceValue(func() []string {
	return distinct(func(p Policy) string { return p.Obj })
})

// PolicyActions are the actions a policy may name: the four basic ones and
// every action of DefaultPolicies.
func PolicyActions() []string { return policyActions() }

var policyActions = sync.OnceValue(func() []string {
	return append([]string{ActRead, ActCreate, ActUpdate, ActDelete},
		distinct(func(p Policy) string { return p.Act }, ActRead, ActCreate, ActUpdate, ActDelete)...)
})

// distinct lists the values of DefaultPolicies' field in first-seen order,
// leaving out skip.
func distinct(field func(Policy) string, skip ...string) []string {
	var out []string
	for _, p := range DefaultPolicies {
		if v := field(p); !slices.Contains(out, v) && !slices.Contains(skip, v) {
			out = append(out, v)
		}
	}
	return out
}

// BuiltinRoles are the city roles of DESIGN.md.
var BuiltinRoles = []Role{RoleCityAdmin, RoleDispatcher, RoleOrgOperator, RoleOrgManager, RoleAnalyst, RoleCitizen}

// Validate checks a policy a city admin wants to add: a well-formed role that
// is not the vendor's, a city object and a known action.
func (p Policy) Validate() error {
	f := FieldErrors{}
	switch {
	case !RoleRE.MatchString(string(p.Role)):
		f.Add("role", "error.role_shape")
	case p.Role == RoleVendorAdmin:
		f.Add("role", "error.vendor_rights")
	}
	if !slices.Contains(CityObjects(), p.Obj) {
		f.Add("obj", "error.policy_object")
	}
	if !slices.Contains(PolicyActions(), p.Act) {
		f.Add("act", "error.one_of", "List", strings.Join(PolicyActions(), ", "))
	}
	return f.Err()
}

// ValidUserRole checks a role given to a user account: any well-formed city
// role, built-in or custom, but never the vendor's or the anonymous one. It
// returns the catalog code of the refusal, "" for a valid role.
func ValidUserRole(r Role) string {
	switch {
	case !RoleRE.MatchString(string(r)):
		return "error.role_shape"
	case r == RoleVendorAdmin:
		return "error.vendor_rights"
	case r == RoleAnonymous:
		return "error.role_anonymous"
	}
	return ""
}
