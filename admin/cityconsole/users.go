package cityconsole

import (
	"net/http"
	"slices"
	"sort"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

type usersData struct {
	Items         []core.User
	Roles         []core.Role
	Organizations []core.Organization
	OrgNames      map[int64]string
	// InviteURL is the one-time link of a user just invited, shown once.
	InviteURL   string
	InviteLogin string
}

func (cs *Console) usersData(c *gin.Context) (*usersData, error) {
	k := callOf(c)
	us, err := cs.users(k).List(k.ctx, k.actor)
	if err != nil {
		return nil, err
	}
	orgs, err := cs.directory(k).Organizations().List(k.ctx, k.actor, false)
	if err = optional(err); err != nil {
		return nil, err
	}
	roles, err := cs.users(k).Roles(k.ctx, k.actor)
	if core.ErrorCode(err) == core.EFORBIDDEN {
		roles, err = core.BuiltinRoles, nil // no custom roles without reading the policies
	}
	if err != nil {
		return nil, err
	}
	d := &usersData{Items: us, Roles: roles, Organizations: orgs, OrgNames: map[int64]string{}}
	for _, o := range orgs {
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

func (cs *Console) usersPage(c *gin.Context) {
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
	var inv *core.Invitation
	err := f.Err()
	if err == nil {
		k := callOf(c)
		inv, err = cs.users(k).Invite(k.ctx, k.actor, in)
	}
	if err != nil {
		cs.showUsers(c, p, p.SetError(c, err), nil)
		return
	}
	p.Form = nil
	p.Flash = "user_invited"
	cs.showUsers(c, p, http.StatusOK, func(d *usersData) {
		d.InviteLogin = inv.User.Login
		d.InviteURL = "/t/" + c.Param("slug") + "/invite?token=" + inv.Token
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
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		cs.kit.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
		return
	}
	err = f.Err()
	if err == nil {
		k := callOf(c)
		_, err = cs.users(k).Change(k.ctx, k.actor, id, patch)
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
	// Matrix is each role's grants, one row per object with its actions,
	// objects and actions in the order of the city's lists.
	Matrix  map[core.Role][]objectGrants
	Roles   []core.Role
	Objects []string
	Actions []string
}

// objectGrants is one row of a role's matrix: an object and the policies
// granting actions on it.
type objectGrants struct {
	Obj      string
	Policies []core.Policy
}

func (cs *Console) showRoles(c *gin.Context, p *web.Page, status int) {
	k := callOf(c)
	ps, err := cs.users(k).Policies(k.ctx, k.actor)
	var roles []core.Role
	if err == nil {
		roles, err = cs.users(k).Roles(k.ctx, k.actor)
	}
	if err != nil {
		cs.views.Fail(c, "roles.html", p, err)
		return
	}
	d := &rolesData{Matrix: map[core.Role][]objectGrants{}, Roles: roles, Objects: core.CityObjects(), Actions: core.PolicyActions()}
	rank := func(list []string, s string) int {
		if i := slices.Index(list, s); i >= 0 {
			return i
		}
		return len(list)
	}
	sort.SliceStable(ps, func(i, j int) bool {
		oi, oj := rank(d.Objects, ps[i].Obj), rank(d.Objects, ps[j].Obj)
		return oi < oj || oi == oj && rank(d.Actions, ps[i].Act) < rank(d.Actions, ps[j].Act)
	})
	for _, x := range ps {
		rows := d.Matrix[x.Role]
		if n := len(rows); n == 0 || rows[n-1].Obj != x.Obj {
			rows = append(rows, objectGrants{Obj: x.Obj})
		}
		rows[len(rows)-1].Policies = append(rows[len(rows)-1].Policies, x)
		d.Matrix[x.Role] = rows
	}
	p.Data = d
	cs.views.Render(c, status, "roles.html", p)
}

// roles shows each role's policies, with forms to grant and withdraw.
func (cs *Console) roles(c *gin.Context) {
	cs.showRoles(c, cs.page(c, "roles_title", "roles"), http.StatusOK)
}

func (cs *Console) addPolicy(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "roles_title", "roles")
	p.Form = f.Values
	in := core.Policy{Role: core.Role(f.String("role")), Obj: f.String("obj"), Act: f.String("act")}
	k := callOf(c)
	if _, err := cs.users(k).Grant(k.ctx, k.actor, in); err != nil {
		cs.showRoles(c, p, p.SetError(c, err))
		return
	}
	done(c, "/roles")
}

func (cs *Console) removePolicy(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "confirm_title", "roles")
	in := core.Policy{Role: core.Role(f.String("role")), Obj: f.String("obj"), Act: f.String("act")}
	cf := web.Confirmation{Question: "confirm_withdraw", Subject: string(in.Role) + ": " + in.Act + " " + in.Obj,
		Action: c.Request.URL.Path, Back: base(c) + "/roles", Hidden: f.Values, Danger: true}
	if !web.Confirmed(f) {
		cs.views.Confirm(c, p, cf)
		return
	}
	k := callOf(c)
	if err := cs.users(k).Withdraw(k.ctx, k.actor, in); err != nil {
		p.SetError(c, err)
		cf.Hidden = nil
		cs.views.Confirm(c, p, cf)
		return
	}
	done(c, "/roles")
}
