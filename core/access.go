package core

import "context"

// Objects and actions of the city's access rules: every API route and page
// is guarded by exactly one (object, action) pair. Lifecycle actions
// (assign, accept …) are actions on ObjRequests too.
const (
	ObjCity          = "city"
	ObjRequests      = "requests"
	ObjDistricts     = "districts"
	ObjCategories    = "categories"
	ObjOrganizations = "organizations"
	ObjBuildings     = "buildings"
	ObjSettings      = "settings"
	ObjRouting       = "routing" // the routing rules, settings and the routing test
	// Accounts and access.
	ObjUsers          = "users"
	ObjPolicies       = "policies"
	ObjTokens         = "tokens"
	ObjPublicRequests = "public_requests"
	// ObjAlerts are the escalation alerts addressed to a role.
	ObjAlerts = "alerts"
	// ObjOutages are the outages as staff and organizations manage them
	// (read, create, close); ObjPublicOutages their public view (the notice,
	// the times, the buildings), which anyone may read.
	ObjOutages       = "outages"
	ObjPublicOutages = "public_outages"
	// ObjNotificationOptOut is turning notifications off by the link in
	// every e-mail, which anyone holding the link may do (as the anonymous
	// role).
	ObjNotificationOptOut = "notification_optout"

	ActRead    = "read"
	ActCreate  = "create"
	ActUpdate  = "update"
	ActDelete  = "delete"
	ActComment = "comment"
	ActRate    = "rate"
	ActAttach  = "attach"
	ActImport  = "import"
)

// Authorizer decides whether a role may perform an action on an object in a
// city. The domain is the city's slug.
type Authorizer interface {
	Allowed(ctx context.Context, city string, role Role, obj, act string) (bool, error)
}

// Policy is one permission: role may do act on obj.
type Policy struct {
	Role Role   `json:"role"`
	Obj  string `json:"obj"`
	Act  string `json:"act"`
}

func grant(role Role, obj string, acts ...string) []Policy {
	ps := make([]Policy, len(acts))
	for i, a := range acts {
		ps[i] = Policy{role, obj, a}
	}
	return ps
}

func actions(as ...Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// directoryObjects are the city directory, which staff read and admins edit.
var directoryObjects = []string{ObjDistricts, ObjCategories, ObjOrganizations, ObjBuildings}

// DefaultPolicies are the permissions every city starts with. Row scoping
// (which requests an operator or citizen sees) is done by the queries, and
// the lifecycle checks who the request belongs to; these rules only decide
// whether a role may use a route at all.
var DefaultPolicies = func() []Policy {
	var ps []Policy
	staff := []Role{RoleCityAdmin, RoleDispatcher, RoleOrgOperator, RoleOrgManager, RoleAnalyst}
	for _, r := range staff {
		for _, o := range directoryObjects {
			ps = append(ps, grant(r, o, ActRead)...)
		}
		ps = append(ps, grant(r, ObjRequests, ActRead)...)
	}
	for _, o := range directoryObjects {
		ps = append(ps, grant(RoleCityAdmin, o, ActCreate, ActUpdate, ActDelete)...)
	}
	ps = append(ps, grant(RoleCityAdmin, ObjBuildings, ActImport)...)
	ps = append(ps, grant(RoleCityAdmin, ObjSettings, ActRead, ActUpdate)...)
	ps = append(ps, grant(RoleDispatcher, ObjSettings, ActRead)...)
	ps = append(ps, grant(RoleCityAdmin, ObjRouting, ActRead, ActCreate, ActUpdate, ActDelete)...)
	ps = append(ps, grant(RoleDispatcher, ObjRouting, ActRead)...)
	// Accounts and access.
	ps = append(ps, grant(RoleCityAdmin, ObjCity, ActRead, ActUpdate)...)
	ps = append(ps, grant(RoleCityAdmin, ObjUsers, ActRead, ActCreate, ActUpdate)...)
	ps = append(ps, grant(RoleCityAdmin, ObjPolicies, ActRead, ActCreate, ActDelete)...)
	ps = append(ps, grant(RoleCityAdmin, ObjTokens, ActRead, ActCreate, ActDelete)...)
	ps = append(ps, grant(RoleAnonymous, ObjPublicRequests, ActCreate, ActRead)...)
	ps = append(ps, grant(RoleAnalyst, ObjAnalytics, ActRead)...)
	ps = append(ps, grant(RoleCityAdmin, ObjAnalytics, ActRead)...)
	ps = append(ps, grant(RoleCityAdmin, ObjWishes, ActUpdate)...)
	ps = append(ps, grant(RoleCityAdmin, ObjImports, ActRead, ActCreate, ActUpdate, ActImport)...)
	for _, r := range []Role{RoleCityAdmin, RoleDispatcher} {
		ps = append(ps, grant(r, ObjRequests, ActCreate, ActComment, ActAttach)...)
		ps = append(ps, grant(r, ObjRequests, actions(ActionAssign, ActionReject, ActionDuplicate, ActionClose, ActionReopen, ActionRecall)...)...)
	}
	for _, r := range []Role{RoleCityAdmin, RoleDispatcher, RoleOrgManager, RoleAnalyst} {
		ps = append(ps, grant(r, ObjAlerts, ActRead)...)
	}
	for _, r := range []Role{RoleCityAdmin, RoleOrgManager} {
		ps = append(ps, grant(r, ObjWebhooks, ActRead, ActCreate, ActUpdate)...)
	}
	for _, r := range []Role{RoleOrgOperator, RoleOrgManager} {
		ps = append(ps, grant(r, ObjRequests, ActComment, ActAttach)...)
		ps = append(ps, grant(r, ObjRequests, actions(ActionAccept, ActionStart, ActionResolve, ActionReturn)...)...)
	}
	// Outages: an organization's people reach only their organization's
	// (the service scopes them); the analyst reads; anyone reads the public
	// view.
	for _, r := range []Role{RoleCityAdmin, RoleDispatcher, RoleOrgOperator, RoleOrgManager} {
		ps = append(ps, grant(r, ObjOutages, ActRead, ActCreate, string(ActionClose))...)
	}
	ps = append(ps, grant(RoleAnalyst, ObjOutages, ActRead)...)
	for _, r := range []Role{RoleAnonymous, RoleCitizen, RoleCityAdmin, RoleDispatcher, RoleOrgOperator, RoleOrgManager, RoleAnalyst} {
		ps = append(ps, grant(r, ObjPublicOutages, ActRead)...)
	}
	// Notifications: the city admin words them; whoever holds an opt-out
	// link may use it (as the anonymous role: the link is the credential).
	ps = append(ps, grant(RoleCityAdmin, ObjNotifications, ActRead, ActUpdate)...)
	ps = append(ps, grant(RoleAnonymous, ObjNotificationOptOut, ActUpdate)...)
	ps = append(ps, grant(RoleOrgManager, ObjRequests, string(ActionDelegate))...)
	ps = append(ps, grant(RoleOrgOperator, ObjRequests, string(ActionDelegate))...)
	ps = append(ps, grant(RoleCitizen, ObjCategories, ActRead)...)
	ps = append(ps, grant(RoleCitizen, ObjBuildings, ActRead)...)
	ps = append(ps, grant(RoleCitizen, ObjDistricts, ActRead)...)
	ps = append(ps, grant(RoleCitizen, ObjRequests, ActRead, ActCreate, ActComment, ActRate, ActAttach)...)
	ps = append(ps, grant(RoleCitizen, ObjRequests, actions(ActionClose, ActionReopen)...)...)
	return ps
}()

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
