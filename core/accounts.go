package core

import (
	"crypto/rand"
	"encoding/base64"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Account rules.
const (
	MaxLogin        = 254 // the longest e-mail address; no login is longer
	MinPassword     = 8
	MaxPassword     = 200
	InviteTTL       = 7 * 24 * time.Hour
	APITokenTTL     = 10 * 365 * 24 * time.Hour
	TokenKindLogin  = "session"
	TokenKindAPI    = "api"
	TokenKindInvite = "invite"
	UserKindPerson  = "person"
	UserKindService = "service" // the holder of an API token
)

// NewToken returns a fresh random bearer token.
func NewToken() string {
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// CheckPassword returns the message of an unacceptable new password, a
// zero Msg when the password will do.
func CheckPassword(p string) Msg {
	switch n := utf8.RuneCountInString(p); {
	case n < MinPassword:
		return M("error.min_len", "Count", MinPassword)
	case n > MaxPassword:
		return M("error.max_len", "Count", MaxPassword)
	}
	return Msg{}
}

// Registration is a citizen's sign-up.
type Registration struct {
	Email    string `json:"email"`
	Phone    string `json:"phone"`
	Password string `json:"password"`
	Name     string `json:"name"`
}

// User returns the citizen account of a valid registration; the login is
// the e-mail address when given, otherwise the phone number. The phone
// number may be written any way and is kept in E.164 form, read in region
// (ParsePhone).
func (r Registration) User(region string) (*User, error) {
	f := FieldErrors{}
	email := strings.ToLower(strings.TrimSpace(r.Email))
	phone, phoneOK := ParsePhone(r.Phone, region)
	if len(email) > MaxLogin {
		f.Add("email", "error.max_254")
	}
	if email != "" {
		if a, err := mail.ParseAddress(email); err != nil || a.Address != email || !strings.Contains(email, ".") {
			f.Add("email", "error.not_email")
		}
	}
	if strings.TrimSpace(r.Phone) != "" && !phoneOK {
		f.Add("phone", MsgNotPhone)
	}
	if email == "" && strings.TrimSpace(r.Phone) == "" {
		f.Add("email", "error.give_email_or_phone")
	}
	if msg := CheckPassword(r.Password); msg.Code != "" {
		f.AddMsg("password", msg)
	}
	if utf8.RuneCountInString(r.Name) > 200 {
		f.Add("name", "error.max_200")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	if strings.HasPrefix(email, "~") {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"email": M("error.not_email")}}
	}
	login := email
	if login == "" {
		login = phone
	}
	return &User{Login: login, Name: strings.TrimSpace(r.Name), Email: email, Phone: phone, Role: RoleCitizen, Active: true}, nil
}

// NewUser is a city admin's invitation of a staff member.
type NewUser struct {
	Login          string `json:"login"`
	Name           string `json:"name"`
	Email          string `json:"email"`
	Phone          string `json:"phone"`
	Role           Role   `json:"role"`
	OrganizationID *int64 `json:"organization_id"`
}

// UserPatch changes a user: nil fields stay as they are.
type UserPatch struct {
	Role           *Role  `json:"role"`
	OrganizationID *int64 `json:"organization_id"` // 0 removes the membership
	Active         *bool  `json:"active"`
}

// APIToken is an integration's credential, bound to a role; only its hash
// is stored and the token itself is shown once.
type APIToken struct {
	ID        int64      `bun:"id,pk,autoincrement" json:"id"`
	Name      string     `bun:"name,notnull" json:"name"`
	Role      Role       `bun:"role,notnull" json:"role"`
	CreatedAt time.Time  `bun:"created_at,notnull" json:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at,notnull" json:"expires_at"`
	RevokedAt *time.Time `bun:"revoked_at" json:"revoked_at,omitempty"`
}

// PublicRequest is what an anonymous holder of a tracking code may see.
type PublicRequest struct {
	Request *Request
	History []RequestEvent // public events only
}
