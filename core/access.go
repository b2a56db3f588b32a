package core

import "context"

// Objects and actions of the city's access rules: every API route and page
// is guarded by exactly one (object, action) pair.
const (
	ObjCity       = "city"
	ObjCategories = "categories"
	ObjRequests   = "requests"
	// Accounts and access (issue #4).
	ObjUsers          = "users"
	ObjPolicies       = "policies"
	ObjTokens         = "tokens"
	ObjPublicRequests = "public_requests"

	ActRead   = "read"
	ActCreate = "create"
	ActUpdate = "update"
	ActDelete = "delete"
)

// Authorizer decides whether a role may perform an action on an object in a
// city. The domain is the city's slug.
type Authorizer interface {
	Allowed(ctx context.Context, city string, role Role, obj, act string) (bool, error)
}

// Policy is one permission: role may do act on obj.
type Policy struct {
	Role Role
	Obj  string
	Act  string
}

// DefaultPolicies are the permissions every city starts with. Row scoping
// (which requests an operator or citizen sees) is done by the queries; these
// rules only decide whether the route may be used at all.
var DefaultPolicies = []Policy{
	{RoleCityAdmin, ObjCity, ActRead},
	{RoleCityAdmin, ObjCategories, ActRead},
	{RoleCityAdmin, ObjRequests, ActRead},
	{RoleCityAdmin, ObjRequests, ActCreate},
	{RoleDispatcher, ObjCategories, ActRead},
	{RoleDispatcher, ObjRequests, ActRead},
	{RoleDispatcher, ObjRequests, ActCreate},
	{RoleOrgOperator, ObjCategories, ActRead},
	{RoleOrgOperator, ObjRequests, ActRead},
	{RoleOrgManager, ObjCategories, ActRead},
	{RoleOrgManager, ObjRequests, ActRead},
	{RoleAnalyst, ObjCategories, ActRead},
	{RoleAnalyst, ObjRequests, ActRead},
	{RoleCitizen, ObjCategories, ActRead},
	{RoleCitizen, ObjRequests, ActRead},
	{RoleCitizen, ObjRequests, ActCreate},
	// Accounts and access (issue #4).
	{RoleCityAdmin, ObjCity, ActUpdate},
	{RoleCityAdmin, ObjUsers, ActRead},
	{RoleCityAdmin, ObjUsers, ActCreate},
	{RoleCityAdmin, ObjUsers, ActUpdate},
	{RoleCityAdmin, ObjPolicies, ActRead},
	{RoleCityAdmin, ObjPolicies, ActCreate},
	{RoleCityAdmin, ObjPolicies, ActDelete},
	{RoleCityAdmin, ObjTokens, ActRead},
	{RoleCityAdmin, ObjTokens, ActCreate},
	{RoleCityAdmin, ObjTokens, ActDelete},
	{RoleAnonymous, ObjPublicRequests, ActCreate},
	{RoleAnonymous, ObjPublicRequests, ActRead},
}

// StaticAuthorizer allows exactly the given policies in every city.
type StaticAuthorizer []Policy

// Allowed implements Authorizer.
func (s StaticAuthorizer) Allowed(_ context.Context, _ string, role Role, obj, act string) (bool, error) {
	for _, p := range s {
		if p.Role == role && p.Obj == obj && p.Act == act {
			return true, nil
		}
	}
	return false, nil
}
