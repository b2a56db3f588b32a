package core

import "context"

// Objects and actions of the city's access rules: every API route and page
// is guarded by exactly one (object, action) pair.
const (
	ObjCity       = "city"
	ObjCategories = "categories"
	ObjRequests   = "requests"
	ObjRouting    = "routing" // the routing rules, settings and the routing test

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
	// routing (issue #5)
	{RoleCityAdmin, ObjRouting, ActRead},
	{RoleCityAdmin, ObjRouting, ActCreate},
	{RoleCityAdmin, ObjRouting, ActUpdate},
	{RoleCityAdmin, ObjRouting, ActDelete},
	{RoleDispatcher, ObjRouting, ActRead},
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
