package core

import (
	"context"
	"math"
	"net/mail"
	"slices"
	"strings"
	"time"
)

// CoApplicant is a further person a request is for: a caller who reported
// the same fault as its first applicant and joined the open request instead
// of filing another. Co-applicants are told of its progress like the first
// applicant (a notifier reads them with the request), and a registered one
// (CitizenID, found by the phone number or e-mail address) sees it in
// their own list.
type CoApplicant struct {
	ID        int64     `bun:"id,pk,autoincrement" json:"id"`
	RequestID int64     `bun:"request_id,notnull" json:"-"`
	Name      string    `bun:"name,notnull" json:"name"`
	Phone     string    `bun:"phone,notnull" json:"phone"` // E.164
	Email     string    `bun:"email,notnull" json:"email"`
	CitizenID *int64    `bun:"citizen_id" json:"-"`
	AddedBy   *int64    `bun:"added_by" json:"-"`
	CreatedAt time.Time `bun:"created_at,notnull" json:"created_at"`
}

// MatchRadius is how far, in metres, an open network fault of the same
// utility may be from the caller's building to be shown as possibly the
// same fault: one street block, where a burst main or a failed feeder
// darkens or dries the neighbouring buildings too.
const MatchRadius = 300.0

// MaxMatches bounds the open requests shown beside the call-taking form.
const MaxMatches = 20

// MatchQuery selects the open requests that may be what a caller reports:
// those of the building in the category, and when Utility is set (a
// network fault) those of the same utility within RadiusM metres of the
// point Lat, Lon.
type MatchQuery struct {
	BuildingID int64
	CategoryID int64
	Utility    string
	Lat, Lon   float64
	RadiusM    float64
	Limit      int
}

// CoApplicantStore is the storage of matches and co-applicants.
type CoApplicantStore interface {
	// OpenMatches returns the unfinished requests of q the actor may see,
	// newest first, with their distance in metres from q's point (0 for
	// the building's own).
	OpenMatches(ctx context.Context, a Actor, q MatchQuery) ([]Match, error)
	// AddCoApplicant adds c to the request with the number the actor may
	// see, with its history event, in one transaction; the citizen account
	// whose phone or e-mail is c's becomes c.CitizenID. A finished request
	// (not Joinable) and a person already an applicant of the request are
	// ECONFLICT.
	AddCoApplicant(ctx context.Context, a Actor, number string, c *CoApplicant, ev *RequestEvent) (*Request, error)
	CoApplicants(ctx context.Context, requestID int64) ([]CoApplicant, error)
}

// Match is an open request that may be what a caller reports.
type Match struct {
	Request
	DistanceM float64 `bun:"-"`
}

// Distance returns the great-circle distance in metres between two points
// given in degrees (haversine, on a sphere of the Earth's mean radius).
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	h := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Matches returns the open requests that may be what a caller reports
// about a building in a category: the building's own in that category and,
// for a network fault (a category with a utility), those of the same
// utility within MatchRadius. Unknown or missing building or category give
// none. Only those who take calls (the duplicate action) may ask.
func (s *Requests) Matches(ctx context.Context, actor Actor, st CoApplicantStore, buildingID *int64, category string) ([]Match, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, string(ActionDuplicate)); err != nil {
		return nil, err
	}
	if buildingID == nil || *buildingID <= 0 || strings.TrimSpace(category) == "" {
		return nil, nil
	}
	cat, b, err := s.Store.IntakeLookup(ctx, strings.TrimSpace(category), buildingID)
	if ErrorCode(err) == EINVALID {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	lat, lon, located := b.Point()
	q := MatchQuery{BuildingID: b.ID, CategoryID: cat.ID, Lat: lat, Lon: lon, Limit: MaxMatches}
	if cat.Utility != "" && located {
		q.Utility, q.RadiusM = cat.Utility, MatchRadius
	}
	return st.OpenMatches(ctx, actor, q)
}

// Join adds a caller to an unfinished request as a co-applicant instead of
// filing a new request: the caller's name, phone (any written form, kept
// in E.164) and e-mail are checked as at intake, every fault at once. The
// history records that a co-applicant joined (internally: the name is
// personal data).
func (s *Requests) Join(ctx context.Context, actor Actor, st CoApplicantStore, number string, in Applicant) (*Request, error) {
	if err := s.Gate.Allow(ctx, actor, ObjRequests, string(ActionDuplicate)); err != nil {
		return nil, err
	}
	region, err := s.Store.PhoneRegion(ctx)
	if err != nil {
		return nil, err
	}
	in.Name, in.Phone, in.Email = strings.TrimSpace(in.Name), strings.TrimSpace(in.Phone), strings.TrimSpace(in.Email)
	f := FieldErrors{}
	checkLen(f, "applicant.name", in.Name, MaxShortText)
	if in.Phone != "" {
		if p, ok := ParsePhone(in.Phone, region); ok {
			in.Phone = p
		} else {
			f.Add("applicant.phone", MsgNotPhone)
		}
	}
	if in.Email != "" {
		if a, err := mail.ParseAddress(in.Email); err != nil || a.Address != in.Email {
			f.Add("applicant.email", "error.not_email")
		}
	}
	if in.Phone == "" && in.Email == "" {
		f.Add("applicant.phone", "error.give_contact")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	c := &CoApplicant{Name: in.Name, Phone: in.Phone, Email: in.Email, AddedBy: actorID(actor), CreatedAt: now}
	ev := &RequestEvent{ActorID: actorID(actor), Kind: "co_applicant", Note: M("event.co_applicant"), Public: false, CreatedAt: now}
	return st.AddCoApplicant(ctx, actor, number, c, ev)
}

// Joinable reports whether callers may still join a request: it is not
// finished (UnfinishedStatuses).
func (r *Request) Joinable() bool { return slices.Contains(UnfinishedStatuses, r.Status) }
