package cityconsole

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

type userView struct {
	ID             int64     `json:"id"`
	Login          string    `json:"login"`
	Name           string    `json:"name"`
	Email          string    `json:"email"`
	Role           core.Role `json:"role"`
	OrganizationID *int64    `json:"organization_id"`
	Active         bool      `json:"active"`
	CreatedAt      time.Time `json:"created_at"`
}

type usersData struct {
	Items         []userView
	Roles         []core.Role
	Organizations []core.Organization
	OrgNames      map[int64]string
	// InviteURL is the one-time link of a user just invited, shown once.
	InviteURL   string
	InviteLogin string
}

// roles lists the built-in roles and the custom ones the city's policies
// name, for the role pickers.
func (cs *Console) roleNames(c *gin.Context) ([]core.Role, []core.Policy, error) {
	var ps list[core.Policy]
	var raw struct {
		Items []struct {
			Role core.Role `json:"role"`
			Obj  string    `json:"obj"`
			Act  string    `json:"act"`
		} `json:"items"`
	}
	if err := cs.api.call(c, "GET", "/policies", nil, nil, nil, &raw); err != nil {
		return nil, nil, err
	}
	seen := map[core.Role]bool{}
	roles := []core.Role{core.RoleCityAdmin, core.RoleDispatcher, core.RoleOrgOperator, core.RoleOrgManager, core.RoleAnalyst, core.RoleCitizen}
	for _, r := range roles {
		seen[r] = true
	}
	for _, p := range raw.Items {
		ps.Items = append(ps.Items, core.Policy{Role: p.Role, Obj: p.Obj, Act: p.Act})
		if !seen[p.Role] && p.Role != core.RoleAnonymous {
			seen[p.Role] = true
			roles = append(roles, p.Role)
		}
	}
	return roles, ps.Items, nil
}

func (cs *Console) usersData(c *gin.Context) (*usersData, error) {
	var us list[userView]
	var orgs list[core.Organization]
	if err := cs.api.call(c, "GET", "/users", nil, nil, nil, &us); err != nil {
		return nil, err
	}
	if err := cs.api.call(c, "GET", "/organizations", nil, nil, nil, &orgs); err != nil {
		return nil, err
	}
	roles, _, err := cs.roleNames(c)
	if err != nil {
		return nil, err
	}
	d := &usersData{Items: us.Items, Roles: roles, Organizations: orgs.Items, OrgNames: map[int64]string{}}
	for _, o := range orgs.Items {
		d.OrgNames[o.ID] = o.NameRU
	}
	return d, nil
}

func (cs *Console) showUsers(c *gin.Context, p *web.Page, status int, mod func(*usersData)) {
	d, err := cs.usersData(c)
	if err != nil {
		cs.views.Fail(c, "users.html", p, err)
		return
	}
	if mod != nil {
		mod(d)
	}
	p.Data = d
	cs.views.Render(c, status, "users.html", p)
}

func (cs *Console) users(c *gin.Context) {
	cs.showUsers(c, cs.page(c, "users_title", "users"), http.StatusOK, nil)
}

// inviteUser creates a staff account through the API and shows the
// one-time invitation link the new user sets a password with.
func (cs *Console) inviteUser(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "users_title", "users")
	p.Form = f.Values
	in := core.NewUser{Login: f.String("login"), Name: f.String("name"), Email: f.String("email"), Phone: f.String("phone"),
		Role: core.Role(f.String("role")), OrganizationID: f.OptInt64("organization_id")}
	var out struct {
		User        userView `json:"user"`
		InviteToken string   `json:"invite_token"`
	}
	err := f.Err()
	if err == nil {
		err = cs.api.call(c, "POST", "/users", nil, nil, in, &out)
	}
	if err != nil {
		cs.showUsers(c, p, p.SetError(c, err), nil)
		return
	}
	p.Form = nil
	p.Flash = "user_invited"
	cs.showUsers(c, p, http.StatusOK, func(d *usersData) {
		d.InviteLogin = out.User.Login
		d.InviteURL = "/t/" + c.Param("slug") + "/invite?token=" + out.InviteToken
	})
}

// patchUser changes a user's role, organization or activity.
func (cs *Console) patchUser(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "users_title", "users")
	role := core.Role(f.String("role"))
	active := f.Bool("active")
	patch := core.UserPatch{Role: &role, Active: &active}
	if org := f.OptInt64("organization_id"); org != nil {
		patch.OrganizationID = org
	} else {
		zero := int64(0)
		patch.OrganizationID = &zero
	}
	if _, err := strconv.ParseInt(c.Param("id"), 10, 64); err != nil {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	err := f.Err()
	if err == nil {
		err = cs.api.call(c, "PATCH", "/users/:id", gin.Params{{Key: "id", Value: c.Param("id")}}, nil, patch, nil)
	}
	if err != nil {
		status := p.SetError(c, err)
		if m, ok := p.Errors["role"]; ok { // shown in the user's own row
			p.Errors["role_"+c.Param("id")] = m
		}
		cs.showUsers(c, p, status, nil)
		return
	}
	done(c, "/users")
}

type rolesData struct {
	Policies map[core.Role][]core.Policy
	Roles    []core.Role
	Objects  []string
	Actions  []string
}

func (cs *Console) showRoles(c *gin.Context, p *web.Page, status int) {
	roles, ps, err := cs.roleNames(c)
	if err != nil {
		cs.views.Fail(c, "roles.html", p, err)
		return
	}
	d := &rolesData{Policies: map[core.Role][]core.Policy{}, Roles: roles, Objects: core.CityObjects(), Actions: core.PolicyActions()}
	for _, x := range ps {
		d.Policies[x.Role] = append(d.Policies[x.Role], x)
	}
	for _, list := range d.Policies {
		sort.Slice(list, func(i, j int) bool { return list[i].Obj+list[i].Act < list[j].Obj+list[j].Act })
	}
	p.Data = d
	cs.views.Render(c, status, "roles.html", p)
}

// roles shows each role's policies, with forms to grant and withdraw.
func (cs *Console) roles(c *gin.Context) {
	cs.showRoles(c, cs.page(c, "roles_title", "roles"), http.StatusOK)
}

type policyIn struct {
	Role core.Role `json:"role"`
	Obj  string    `json:"obj"`
	Act  string    `json:"act"`
}

func (cs *Console) addPolicy(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "roles_title", "roles")
	p.Form = f.Values
	in := policyIn{Role: core.Role(f.String("role")), Obj: f.String("obj"), Act: f.String("act")}
	if err := cs.api.call(c, "POST", "/policies", nil, nil, in, nil); err != nil {
		cs.showRoles(c, p, p.SetError(c, err))
		return
	}
	done(c, "/roles")
}

func (cs *Console) removePolicy(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "confirm_title", "roles")
	in := policyIn{Role: core.Role(f.String("role")), Obj: f.String("obj"), Act: f.String("act")}
	cf := web.Confirmation{Question: "confirm_withdraw", Subject: string(in.Role) + ": " + in.Act + " " + in.Obj,
		Action: c.Request.URL.Path, Back: base(c) + "/roles", Hidden: f.Values, Danger: true}
	if !web.Confirmed(f) {
		cs.views.Confirm(c, p, cf)
		return
	}
	if err := cs.api.call(c, "DELETE", "/policies", nil, nil, in, nil); err != nil {
		p.SetError(c, err)
		cf.Hidden = nil
		cs.views.Confirm(c, p, cf)
		return
	}
	done(c, "/roles")
}
