package core

import (
	"context"
	"log/slog"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// UserStore is what Users needs from a city's storage. A taken login is
// ErrConflict; an unknown user or organization is ErrNotFound or a field
// error.
type UserStore interface {
	ListUsers(ctx context.Context) ([]User, error)
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, id int64, p UserPatch, now time.Time) (*User, error)
	// CreateInvite stores the hash of a one-time set-password token of the
	// user, valid for InviteTTL from now.
	CreateInvite(ctx context.Context, userID int64, hash string, now time.Time) error
}

// PolicyStore reads and changes the access policies of one city; it never
// reaches another domain than the city it is given.
type PolicyStore interface {
	CityPolicies(ctx context.Context, city string) ([]Policy, error)
	AddCityPolicy(ctx context.Context, city string, p Policy) (added bool, err error)
	RemoveCityPolicy(ctx context.Context, city string, p Policy) (removed bool, err error)
}

// Users is the use cases of a city's user management: the staff list,
// invitations, changes of role, organization and activity, and the roles'
// policies.
type Users struct {
	Store  UserStore
	Access PolicyStore
	Gate   Gate
	Now    func() time.Time
}

// staffLoginRE is the shape of logins a city admin gives; "~" is kept for
// system accounts.
var staffLoginRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._@+-]{1,99}$`)

// List returns the city's users; never nil.
func (s *Users) List(ctx context.Context, actor Actor) ([]User, error) {
	if err := s.Gate.Allow(ctx, actor, ObjUsers, ActRead); err != nil {
		return nil, err
	}
	us, err := s.Store.ListUsers(ctx)
	if us == nil && err == nil {
		us = []User{}
	}
	return us, err
}

// Invitation is a user just invited and the one-time token with which they
// set their password; the token is never stored, only its hash.
type Invitation struct {
	User      *User
	Token     string
	ExpiresAt time.Time
}

// Invite creates a staff account without a password and its invitation,
// valid for InviteTTL.
func (s *Users) Invite(ctx context.Context, actor Actor, in NewUser) (*Invitation, error) {
	if err := s.Gate.Allow(ctx, actor, ObjUsers, ActCreate); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	login := NormalizeLogin(in.Login)
	if !staffLoginRE.MatchString(login) {
		f.Add("login", "error.login_shape")
	}
	if msg := ValidUserRole(in.Role); msg != "" {
		f.Add("role", msg)
	}
	if utf8.RuneCountInString(in.Name) > 200 {
		f.Add("name", "error.max_200")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC()
	u := &User{Login: login, Name: strings.TrimSpace(in.Name), Email: strings.TrimSpace(in.Email),
		Phone: strings.TrimSpace(in.Phone), PasswordHash: "!", Role: in.Role, OrganizationID: in.OrganizationID,
		Active: true, CreatedAt: now}
	if err := s.Store.CreateUser(ctx, u); err != nil {
		return nil, err
	}
	token := NewToken()
	if err := s.Store.CreateInvite(ctx, u.ID, HashToken(token), now); err != nil {
		return nil, err
	}
	return &Invitation{User: u, Token: token, ExpiresAt: now.Add(InviteTTL)}, nil
}

// Change sets a user's role, organization (0 removes the membership) or
// activity. An admin can neither change their own role nor deactivate
// themselves.
func (s *Users) Change(ctx context.Context, actor Actor, id int64, p UserPatch) (*User, error) {
	if err := s.Gate.Allow(ctx, actor, ObjUsers, ActUpdate); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	if p.Role != nil {
		if msg := ValidUserRole(*p.Role); msg != "" {
			f.Add("role", msg)
		}
	}
	if p.OrganizationID != nil && *p.OrganizationID < 0 {
		f.Add("organization_id", "error.no_organization")
	}
	if id == actor.UserID && (p.Role != nil || (p.Active != nil && !*p.Active)) {
		f.Add("role", "error.self_role")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	u, err := s.Store.UpdateUser(ctx, id, p, s.Now())
	if err != nil {
		return nil, err
	}
	slog.InfoContext(ctx, "user changed", "city", s.Gate.City, "by", actor.UserID,
		"user", u.ID, "role", u.Role, "organization", u.OrganizationID, "active", u.Active)
	return u, nil
}

// Policies returns the city's access policies.
func (s *Users) Policies(ctx context.Context, actor Actor) ([]Policy, error) {
	if err := s.Gate.Allow(ctx, actor, ObjPolicies, ActRead); err != nil {
		return nil, err
	}
	ps, err := s.Access.CityPolicies(ctx, s.Gate.City)
	if ps == nil && err == nil {
		ps = []Policy{}
	}
	return ps, err
}

// Roles returns the built-in roles and then the custom ones the city's
// policies name, in first-seen order: the roles a user can be given.
func (s *Users) Roles(ctx context.Context, actor Actor) ([]Role, error) {
	ps, err := s.Policies(ctx, actor)
	if err != nil {
		return nil, err
	}
	roles := slices.Clone(BuiltinRoles)
	for _, p := range ps {
		if !slices.Contains(roles, p.Role) && p.Role != RoleAnonymous {
			roles = append(roles, p.Role)
		}
	}
	return roles, nil
}

// Grant gives a role (built-in or custom) an action on a city object;
// added is false when the city had the policy already.
func (s *Users) Grant(ctx context.Context, actor Actor, p Policy) (added bool, err error) {
	if err := s.Gate.Allow(ctx, actor, ObjPolicies, ActCreate); err != nil {
		return false, err
	}
	if err := p.Validate(); err != nil {
		return false, err
	}
	added, err = s.Access.AddCityPolicy(ctx, s.Gate.City, p)
	if err != nil {
		return false, err
	}
	slog.InfoContext(ctx, "policy added", "city", s.Gate.City, "by", actor.UserID,
		"role", p.Role, "obj", p.Obj, "act", p.Act, "new", added)
	return added, nil
}

// Withdraw removes a policy of the city; one the city lacks is ENOTFOUND.
func (s *Users) Withdraw(ctx context.Context, actor Actor, p Policy) error {
	if err := s.Gate.Allow(ctx, actor, ObjPolicies, ActDelete); err != nil {
		return err
	}
	if err := p.Validate(); err != nil {
		return err
	}
	removed, err := s.Access.RemoveCityPolicy(ctx, s.Gate.City, p)
	if err == nil && !removed {
		err = E(ENOTFOUND, "error.no_policy")
	}
	if err != nil {
		return err
	}
	slog.InfoContext(ctx, "policy removed", "city", s.Gate.City, "by", actor.UserID,
		"role", p.Role, "obj", p.Obj, "act", p.Act)
	return nil
}
