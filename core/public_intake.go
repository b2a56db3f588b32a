package core

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
)

// AnonymousStore is what PublicIntake needs from a city's storage.
type AnonymousStore interface {
	Setting(ctx context.Context, name string) (string, error)
	// AnonymousActor is the city's shared account of people without one.
	AnonymousActor(ctx context.Context) (Actor, error)
	SetTrackingCode(ctx context.Context, requestID int64, code string) error
	// RequestByTrackingCode returns the public view of the request with
	// the code (16 characters, upper case, no dashes); ErrNotFound otherwise.
	RequestByTrackingCode(ctx context.Context, code string) (*PublicRequest, error)
}

// PublicIntake is the use cases of people without an account: submitting a
// request where the city allows it, and following it by its tracking code.
// The caller is the anonymous role, whose policies on public requests the
// gate checks.
type PublicIntake struct {
	Store    AnonymousStore
	Requests *Requests
	Gate     Gate
}

// trackingEncoding avoids letters that read alike.
var trackingEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// NewTrackingCode returns a fresh tracking code: 16 characters (80 random bits).
func NewTrackingCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return trackingEncoding.EncodeToString(b)
}

// showTrackingCode writes a code as XXXX-XXXX-XXXX-XXXX.
func showTrackingCode(code string) string {
	return code[0:4] + "-" + code[4:8] + "-" + code[8:12] + "-" + code[12:16]
}

// Open reports whether the city takes requests from people without an
// account (the setting SettingAnonymous).
func (s *PublicIntake) Open(ctx context.Context) (bool, error) {
	v, err := s.Store.Setting(ctx, SettingAnonymous)
	return v == "on", err
}

// Submit files a request from someone without an account, when the city
// allows it, and returns it with its tracking code, shown as
// XXXX-XXXX-XXXX-XXXX: the only key to it.
func (s *PublicIntake) Submit(ctx context.Context, in NewRequest) (*Request, string, error) {
	if err := s.Gate.Allow(ctx, Actor{Role: RoleAnonymous}, ObjPublicRequests, ActCreate); err != nil {
		return nil, "", err
	}
	on, err := s.Open(ctx)
	if err != nil {
		return nil, "", err
	}
	if !on {
		return nil, "", E(EFORBIDDEN, "error.registered_only")
	}
	actor, err := s.Store.AnonymousActor(ctx)
	if err != nil {
		return nil, "", err
	}
	// No idempotency key: the anonymous account is shared by everyone, so a
	// replay could hand one person another's tracking code.
	r, _, err := s.Requests.submit(ctx, actor, in, "", Via{})
	if err != nil {
		return nil, "", err
	}
	code := NewTrackingCode()
	if err := s.Store.SetTrackingCode(ctx, r.ID, code); err != nil {
		return nil, "", err
	}
	return r, showTrackingCode(code), nil
}

// Track returns what the holder of a tracking code may see; the code may be
// typed with or without dashes and spaces, in any case.
func (s *PublicIntake) Track(ctx context.Context, code string) (*PublicRequest, error) {
	if err := s.Gate.Allow(ctx, Actor{Role: RoleAnonymous}, ObjPublicRequests, ActRead); err != nil {
		return nil, err
	}
	code = strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(code))
	if len(code) != 16 {
		return nil, E(ENOTFOUND, "error.no_tracking")
	}
	p, err := s.Store.RequestByTrackingCode(ctx, code)
	if ErrorCode(err) == ENOTFOUND {
		err = E(ENOTFOUND, "error.no_tracking")
	}
	return p, err
}
