package core

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"
)

// AccountStore is the storage of one city's accounts that the account
// services need.
type AccountStore interface {
	LoginAttempts
	PhoneRegions
	UserByLogin(ctx context.Context, login string) (*User, error)
	UserByID(ctx context.Context, id int64) (*User, error)
	CreateUser(ctx context.Context, u *User) error
	// CreateToken stores a login session.
	CreateToken(ctx context.Context, t *Token) error
	RevokeToken(ctx context.Context, hash string, now time.Time) error
	// SetPassword stores a password hash and revokes every login session of
	// the user except the one whose hash is keep.
	SetPassword(ctx context.Context, userID int64, passwordHash, keep string, now time.Time) error
	// RedeemInvite spends an unexpired invitation and sets the password of
	// its user; an unknown, used or expired invitation is ENOTFOUND.
	RedeemInvite(ctx context.Context, hash, passwordHash string, now time.Time) (*User, error)
	// InvitedUser is the user of an unexpired, unused invitation;
	// ENOTFOUND (error.invitation_invalid) otherwise. It spends nothing.
	InvitedUser(ctx context.Context, hash string, now time.Time) (*User, error)
	CreateAPIToken(ctx context.Context, name string, role Role, hash string, now time.Time) (*APIToken, error)
	ListAPITokens(ctx context.Context) ([]APIToken, error)
	RevokeAPIToken(ctx context.Context, id int64, now time.Time) error
}

// Accounts is logging in and out, registration, invitations, passwords and
// API tokens of one city. Logging in, registering and redeeming an
// invitation are open to anyone; a password is changed by its owner; API
// tokens pass the city's Gate.
type Accounts struct {
	Store AccountStore
	Gate  Gate
	Now   func() time.Time
}

func (s *Accounts) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Session is a login's bearer token, valid until ExpiresAt.
type Session struct {
	Token     string
	ExpiresAt time.Time
	User      *User
}

// Authenticate checks a city user's password under the lockout policy of
// CheckLogin and returns the account; it opens no session (the pages keep
// their own, core/web/session). A login that is a phone number may be
// written any way (ParsePhone in the city's region). Errors are those of
// CheckLogin.
func (s *Accounts) Authenticate(ctx context.Context, c Credentials) (*User, error) {
	region, err := s.Store.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	c.Login = LoginOf(c.Login, region) // a phone number written any way
	var u *User
	err = CheckLogin(ctx, s.Store, c, s.now(), func(ctx context.Context, login string) (PasswordAccount, error) {
		var err error
		if u, err = s.Store.UserByLogin(ctx, login); err != nil {
			return PasswordAccount{}, err
		}
		return PasswordAccount{PasswordHash: u.PasswordHash, Active: u.Active}, nil
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

// Login checks a city user's password like Authenticate and opens a
// bearer session of TokenTTL.
func (s *Accounts) Login(ctx context.Context, c Credentials) (*Session, error) {
	now := s.now()
	u, err := s.Authenticate(ctx, c)
	if err != nil {
		return nil, err
	}
	token := NewToken()
	expires := now.Add(TokenTTL).UTC()
	if err := s.Store.CreateToken(ctx, &Token{Hash: HashToken(token), UserID: u.ID, ExpiresAt: expires, CreatedAt: now.UTC()}); err != nil {
		return nil, err
	}
	return &Session{Token: token, ExpiresAt: expires, User: u}, nil
}

// Logout ends the session of a bearer token.
func (s *Accounts) Logout(ctx context.Context, token string) error {
	return s.Store.RevokeToken(ctx, HashToken(token), s.now())
}

// PasswordChange is a user's change of their own password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// ChangePassword sets actor's new password after checking the current one
// under the lockout policy of CheckLogin for client (the caller's address),
// so a held session is no way to guess the password; every other login
// session of the actor ends, the one of session stays. Errors: EINVALID
// with a message on current for a wrong one, ETOOMANY (with RetryAfter)
// while the address is locked out of the account.
func (s *Accounts) ChangePassword(ctx context.Context, actor Actor, in PasswordChange, session, client string) error {
	if actor.UserID == 0 {
		return E(EUNAUTHORIZED, "error.log_in_first")
	}
	f := FieldErrors{}
	if in.Current == "" {
		f.Add("current", "error.required")
	}
	if msg := CheckPassword(in.New); msg.Code != "" {
		f.AddMsg("new", msg)
	}
	if err := f.Err(); err != nil {
		return err
	}
	u, err := s.Store.UserByID(ctx, actor.UserID)
	if err != nil {
		return err
	}
	err = CheckLogin(ctx, s.Store, Credentials{Login: u.Login, Password: in.Current, Client: client}, s.now(),
		func(context.Context, string) (PasswordAccount, error) {
			return PasswordAccount{PasswordHash: u.PasswordHash, Active: u.Active}, nil
		})
	if ErrorCode(err) == EUNAUTHORIZED {
		return &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"current": M("error.not_current_password")}}
	}
	if err != nil {
		return err
	}
	hash, err := HashPassword(in.New)
	if err != nil {
		return err
	}
	return s.Store.SetPassword(ctx, u.ID, hash, HashToken(session), s.now())
}

// Register creates a citizen's account; its phone number is kept in E.164
// form, read in the city's phone region.
func (s *Accounts) Register(ctx context.Context, in Registration) (*User, error) {
	region, err := s.Store.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	u, err := in.User(region)
	if err != nil {
		return nil, err
	}
	if u.PasswordHash, err = HashPassword(in.Password); err != nil {
		return nil, err
	}
	u.CreatedAt = s.now().UTC()
	err = s.Store.CreateUser(ctx, u)
	if ErrorCode(err) == ECONFLICT {
		return nil, E(ECONFLICT, "error.account_exists")
	}
	return u, err
}

// InviteRedemption is an invited user's choice of password with the
// one-time token of the invitation.
type InviteRedemption struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// RedeemInvite sets the password of an invited user and spends the
// invitation; the invitation itself never logs anyone in.
func (s *Accounts) RedeemInvite(ctx context.Context, in InviteRedemption) (*User, error) {
	f := FieldErrors{}
	token := strings.TrimSpace(in.Token)
	if token == "" {
		f.Add("token", "error.required")
	}
	if msg := CheckPassword(in.Password); msg.Code != "" {
		f.AddMsg("password", msg)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	return s.Store.RedeemInvite(ctx, HashToken(token), hash, s.now())
}

// Invitation is the user an invitation link is for, so its page can greet
// them and say at once when the link is unknown, used or expired
// (ENOTFOUND, error.invitation_invalid) or incomplete (EINVALID,
// error.invitation_link), before a password is typed.
func (s *Accounts) Invitation(ctx context.Context, token string) (*User, error) {
	token = strings.TrimSpace(token)
	if token == "" {
		return nil, E(EINVALID, "error.invitation_link")
	}
	return s.Store.InvitedUser(ctx, HashToken(token), s.now())
}

// NewAPIToken is a city admin's request for an integration's token.
type NewAPIToken struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
}

// CreateAPIToken issues an integration token bound to a role; the token is
// returned once and only its hash is kept.
func (s *Accounts) CreateAPIToken(ctx context.Context, actor Actor, in NewAPIToken) (string, *APIToken, error) {
	if err := s.Gate.Allow(ctx, actor, ObjTokens, ActCreate); err != nil {
		return "", nil, err
	}
	f := FieldErrors{}
	name := strings.TrimSpace(in.Name)
	if n := utf8.RuneCountInString(name); n == 0 || n > 100 {
		f.Add("name", "error.len_1_100")
	}
	if msg := ValidUserRole(in.Role); msg != "" {
		f.Add("role", msg)
	}
	if err := f.Err(); err != nil {
		return "", nil, err
	}
	raw := NewToken()
	t, err := s.Store.CreateAPIToken(ctx, name, in.Role, HashToken(raw), s.now())
	if err != nil {
		return "", nil, err
	}
	return raw, t, nil
}

// APITokens lists the city's integration tokens, newest first, without the
// tokens themselves.
func (s *Accounts) APITokens(ctx context.Context, actor Actor) ([]APIToken, error) {
	if err := s.Gate.Allow(ctx, actor, ObjTokens, ActRead); err != nil {
		return nil, err
	}
	ts, err := s.Store.ListAPITokens(ctx)
	if ts == nil {
		ts = []APIToken{}
	}
	return ts, err
}

// RevokeAPIToken revokes an integration token and disables its account.
func (s *Accounts) RevokeAPIToken(ctx context.Context, actor Actor, id int64) error {
	if err := s.Gate.Allow(ctx, actor, ObjTokens, ActDelete); err != nil {
		return err
	}
	return s.Store.RevokeAPIToken(ctx, id, s.now())
}
