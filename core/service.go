package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"
)

// Store is one city's storage. Every method runs in a transaction scoped to
// that city, and every read takes the actor so rows are scoped in the query.
type Store interface {
	// CreateRequest stores r with its first history event. When r carries an
	// idempotency key already used by the same creator it returns the stored
	// request and created=false instead.
	CreateRequest(ctx context.Context, r *Request, categoryCode string, year int) (stored *Request, created bool, err error)
	RequestByNumber(ctx context.Context, actor Actor, number string) (*Request, error)
	ListRequests(ctx context.Context, actor Actor, q RequestQuery) (*RequestPage, error)
	RequestEvents(ctx context.Context, actor Actor, requestID int64) ([]RequestEvent, error)

	UserByLogin(ctx context.Context, login string) (*User, error)
	CreateToken(ctx context.Context, t *Token) error
	ActorByToken(ctx context.Context, hash string, now time.Time) (Actor, error)
}

// RequestQuery selects a page of requests, newest first.
type RequestQuery struct {
	Limit     int
	BeforeID  int64 // keyset cursor: only requests with a smaller id
	WithTotal bool
}

// RequestPage is one page of a request list.
type RequestPage struct {
	Items  []Request
	NextID int64 // 0 when there is no next page
	Total  int   // -1 unless asked for
}

// Requests is intake and reading of one city's requests.
type Requests struct {
	Store    Store
	Location *time.Location
	Now      func() time.Time
}

// MaxIdempotencyKey bounds the Idempotency-Key header.
const MaxIdempotencyKey = 200

// Submit validates and stores a new request for actor. A retry with the same
// idempotency key returns the first request with created=false; the same key
// with a different body is a conflict.
func (s *Requests) Submit(ctx context.Context, actor Actor, in NewRequest, key string) (*Request, bool, error) {
	in.Normalize()
	if actor.Role == RoleCitizen {
		// A citizen submits for themselves; contacts default to the profile.
		if in.Applicant.Name == "" {
			in.Applicant.Name = actor.Name
		}
		if in.Applicant.Phone == "" {
			in.Applicant.Phone = actor.Phone
		}
		if in.Applicant.Email == "" {
			in.Applicant.Email = actor.Email
		}
		if in.Channel == ChannelCallCentre {
			return nil, false, &Error{Code: EINVALID, Message: "the request has invalid fields",
				Fields: map[string]string{"channel": "citizens submit through the portal or the app"}}
		}
	}
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	key = strings.TrimSpace(key)
	if len(key) > MaxIdempotencyKey {
		return nil, false, &Error{Code: EINVALID, Message: "the Idempotency-Key header is too long",
			Fields: map[string]string{"Idempotency-Key": "at most 200 characters"}}
	}
	if in.Channel == "" {
		in.Channel = ChannelPortal
		if actor.Role == RoleDispatcher {
			in.Channel = ChannelCallCentre
		}
	}
	now := s.Now().UTC()
	r := &Request{
		Channel:        in.Channel,
		Status:         StatusNew,
		Priority:       in.Priority,
		BuildingID:     in.BuildingID,
		Address:        in.Address,
		Apartment:      in.Apartment,
		Entrance:       in.Entrance,
		Description:    in.Description,
		ApplicantName:  in.Applicant.Name,
		ApplicantPhone: in.Applicant.Phone,
		ApplicantEmail: in.Applicant.Email,
		CreatedBy:      actor.UserID,
		Fingerprint:    fingerprint(in),
		CreatedAt:      now,
		UpdatedAt:      now,
	}
	if in.Location != nil {
		r.Lat, r.Lon = &in.Location.Lat, &in.Location.Lon
	}
	if actor.Role == RoleCitizen {
		id := actor.UserID
		r.CitizenID = &id
	}
	if key != "" {
		r.IdempotencyKey = &key
	}
	stored, created, err := s.Store.CreateRequest(ctx, r, in.Category, now.In(s.Location).Year())
	if err != nil {
		return nil, false, err
	}
	if !created && stored.Fingerprint != r.Fingerprint {
		return nil, false, Errorf(ECONFLICT, "this Idempotency-Key was already used for a different request")
	}
	return stored, created, nil
}

// fingerprint identifies the content of a submission, so a reused
// idempotency key with another body is caught.
func fingerprint(in NewRequest) string {
	b, _ := json.Marshal(in) // a struct of plain fields always marshals
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

// MaxPage bounds list pages.
const MaxPage = 100
