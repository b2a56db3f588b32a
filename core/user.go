package core

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Role is a city role; access rules are keyed by it.
type Role string

// The built-in roles of DESIGN.md.
const (
	RoleCityAdmin   Role = "city_admin"
	RoleDispatcher  Role = "dispatcher"
	RoleOrgOperator Role = "org_operator"
	RoleOrgManager  Role = "org_manager"
	RoleAnalyst     Role = "analyst"
	RoleCitizen     Role = "citizen"
)

// User is a person with an account in one city.
type User struct {
	ID             int64     `bun:"id,pk,autoincrement"`
	Login          string    `bun:"login,notnull"`
	Name           string    `bun:"name,notnull"`
	Email          string    `bun:"email,notnull"`
	Phone          string    `bun:"phone,notnull"`
	PasswordHash   string    `bun:"password_hash,notnull"`
	Role           Role      `bun:"role,notnull"`
	OrganizationID *int64    `bun:"organization_id"`
	Active         bool      `bun:"active,notnull"`
	CreatedAt      time.Time `bun:"created_at,notnull"`
}

// Actor is the authenticated caller of a city operation: the input of every
// row-scoped query.
type Actor struct {
	UserID         int64
	Role           Role
	OrganizationID int64 // 0 when the user belongs to no organization
	Name           string
	Phone          string
	Email          string
}

// SeesAllRequests reports whether the actor's role sees every request of the
// city rather than a scoped subset.
func (a Actor) SeesAllRequests() bool {
	switch a.Role {
	case RoleCityAdmin, RoleDispatcher, RoleAnalyst:
		return true
	}
	return false
}

// SeesPersonalData reports whether the actor may see an applicant's contact
// details on requests it can read. Analysts work with aggregates only.
func (a Actor) SeesPersonalData() bool {
	return a.Role != RoleAnalyst && a.Role != ""
}

// Token is a bearer credential; only its SHA-256 is stored.
type Token struct {
	ID        int64      `bun:"id,pk,autoincrement"`
	Hash      string     `bun:"hash,notnull"`
	UserID    int64      `bun:"user_id,notnull"`
	ExpiresAt time.Time  `bun:"expires_at,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

// NormalizeLogin folds a login for lookup: trimmed, lower case. A login
// with a control character or invalid UTF-8 folds to "", which no account
// has: SQLite compares "citizen\x00" equal to "citizen", so such spellings
// would reach one account under many names (and lockout counters).
func NormalizeLogin(s string) string {
	s = strings.TrimSpace(s)
	if !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0 {
		return ""
	}
	return strings.ToLower(s)
}
