package core

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"
)

// OutageStore is what the outages need from a city's storage. Reads that
// take an actor are scoped in the query: an organization's people see only
// their organization's outages, everyone else past the gate every one.
type OutageStore interface {
	// Directory returns the city's directory (without buildings), to check
	// codes.
	Directory(ctx context.Context, withBuildings bool) (*Directory, error)
	// Buildings returns a page of buildings (the street and district
	// selections of an outage).
	Buildings(ctx context.Context, q BuildingQuery) ([]Building, error)
	// CreateOutage stores o with the buildings it covers and, in the same
	// transaction, its outage.declared webhook deliveries (the city is
	// named by city in their payload); every id must be a building of the
	// city (ENOTFOUND otherwise).
	CreateOutage(ctx context.Context, city string, o *Outage, buildings []int64) error
	// Outage returns the outage with its counts as the actor sees it;
	// ErrNotFound otherwise.
	Outage(ctx context.Context, a Actor, id int64) (*Outage, error)
	// Outages returns the outages the actor sees, newest first, with their
	// counts: only open ones when open is set, only those covering
	// buildingID when it is not 0.
	Outages(ctx context.Context, a Actor, q OutageQuery) ([]Outage, error)
	// OutageBuildings returns the buildings an outage covers, by address.
	OutageBuildings(ctx context.Context, id int64, limit int) ([]Building, error)
	// OutageRequests returns up to limit requests attached to an outage the
	// actor sees, newest first.
	OutageRequests(ctx context.Context, a Actor, id int64, limit int) ([]Request, error)
	// CloseOutage locks an open outage the actor sees, marks it closed at
	// now by the actor with note, and applies resolve to every request
	// still waiting for it, saving them and their events; it returns the
	// closed outage and how many requests it resolved. ECONFLICT when the
	// outage is closed already.
	CloseOutage(ctx context.Context, a Actor, id int64, note string, now time.Time,
		resolve func(o *Outage, r *Request) (*RequestEvent, error)) (*Outage, int, error)
	// ActiveOutage returns the outage new requests about utility from the
	// building attach to at now (open, started; the earliest declared), or
	// nil.
	ActiveOutage(ctx context.Context, utility string, buildingID int64, now time.Time) (*Outage, error)
}

// OutageQuery selects outages.
type OutageQuery struct {
	Open       bool  // only those not closed
	BuildingID int64 // only those covering this building; 0 for any
	Limit      int   // 1 to MaxPage
	Now        time.Time
}

// Outages is the city's outages: declared by a dispatcher or an
// organization, shown to residents, closed with their requests. Every
// method passes the gate first (ObjOutages, or ObjPublicOutages for the
// public view).
type Outages struct {
	Store OutageStore
	Gate  Gate
	Now   func() time.Time
	City  string
	// Changes is told after an outage is declared, so that its webhook
	// deliveries go out soon; nil for nobody.
	Changes ChangeObserver
}

// OutageView is an outage with the buildings it covers and the requests
// attached to it (HQ's "requests per outage").
type OutageView struct {
	Outage
	BuildingList []Building
	Requests     []Request
}

// MaxOutageRequests bounds the requests listed with one outage.
const MaxOutageRequests = 500

// orgScoped reports whether the actor reaches only its organization's
// outages.
func orgScoped(a Actor) bool { return !a.SeesAllRequests() }

// Declare validates and stores a new outage. A dispatcher or admin may name
// any active organization or none; an organization's people declare for
// their own organization only, which must be the resource supplier of the
// utility.
func (s *Outages) Declare(ctx context.Context, a Actor, in NewOutage) (*Outage, error) {
	if err := s.Gate.Allow(ctx, a, ObjOutages, ActCreate); err != nil {
		return nil, err
	}
	in.Normalize()
	f := FieldErrors{}
	in.Validate(f)
	dir, err := s.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	var org *Organization
	if orgScoped(a) {
		if org = dir.Organization(a.OrganizationID); org == nil {
			return nil, E(EFORBIDDEN, "error.not_yours")
		}
		if in.Organization != "" && in.Organization != org.Code {
			f.Add("organization", "error.outage_own_org")
		}
		if org.Kind != OrgResourceSupplier || org.Utility != in.Utility {
			f.Add("utility", "error.outage_own_utility")
		}
	} else if in.Organization != "" {
		if org = dir.OrganizationByCode(in.Organization); org == nil || !org.Active {
			f.Add("organization", "error.no_organization_code", "Code", in.Organization)
		}
	}
	if in.District != "" && dir.DistrictByCode(in.District) == nil {
		f.Add("district", "error.no_district", "Code", in.District)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	ids, err := s.buildings(ctx, in)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		f.Add("buildings", "error.outage_no_buildings")
	} else if len(ids) > MaxOutageBuildings {
		f.Add("buildings", "error.outage_too_many", "Max", MaxOutageBuildings)
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	o := &Outage{Utility: in.Utility, Kind: in.Kind, StartsAt: in.StartsAt.UTC().Truncate(time.Microsecond),
		EndsAt: in.EndsAt.UTC().Truncate(time.Microsecond), NoticeRU: in.NoticeRU, NoticeEN: in.NoticeEN,
		CreatedBy: a.UserID, CreatedAt: now}
	if org != nil {
		o.OrganizationID, o.Organization = &org.ID, org.Code
	}
	err = s.Store.CreateOutage(ctx, s.City, o, ids)
	if err == nil && s.Changes != nil {
		s.Changes.Changed(s.City)
	}
	if errors.Is(err, ErrNotFound) {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"buildings": M("error.outage_unknown_building")}}
	}
	if err != nil {
		return nil, err
	}
	o.Buildings = len(ids)
	return o, nil
}

// buildings resolves the selection of in to distinct building ids: those
// named, on the street, of the district.
func (s *Outages) buildings(ctx context.Context, in NewOutage) ([]int64, error) {
	ids := slices.Clone(in.Buildings)
	if in.Street != "" || in.District != "" {
		var after int64
		for len(ids) <= MaxOutageBuildings {
			page, err := s.Store.Buildings(ctx, BuildingQuery{Text: in.Street, District: in.District, Limit: 1000, AfterID: after})
			if err != nil {
				return nil, err
			}
			for _, b := range page {
				ids = append(ids, b.ID)
			}
			if len(page) < 1000 {
				break
			}
			after = page[len(page)-1].ID
		}
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// List returns the outages the actor sees with their counts, newest first.
func (s *Outages) List(ctx context.Context, a Actor, q OutageQuery) ([]Outage, error) {
	if err := s.Gate.Allow(ctx, a, ObjOutages, ActRead); err != nil {
		return nil, err
	}
	if q.Limit == 0 {
		q.Limit = MaxPage
	}
	if q.Limit < 1 || q.Limit > MaxPage {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields",
			Fields: FieldErrors{"limit": M("error.number_range", "Min", 1, "Max", MaxPage)}}
	}
	q.Now = s.Now().UTC()
	return s.Store.Outages(ctx, a, q)
}

// Get returns one outage the actor sees with its buildings and attached
// requests; ENOTFOUND for any other id (another city's, another
// organization's, a forged one).
func (s *Outages) Get(ctx context.Context, a Actor, id int64) (*OutageView, error) {
	if err := s.Gate.Allow(ctx, a, ObjOutages, ActRead); err != nil {
		return nil, err
	}
	o, err := s.Store.Outage(ctx, a, id)
	if errors.Is(err, ErrNotFound) {
		return nil, NotFound("outage")
	}
	if err != nil {
		return nil, err
	}
	v := &OutageView{Outage: *o}
	if v.BuildingList, err = s.Store.OutageBuildings(ctx, id, MaxOutageBuildings); err != nil {
		return nil, err
	}
	if v.Requests, err = s.Store.OutageRequests(ctx, a, id, MaxOutageRequests); err != nil {
		return nil, err
	}
	return v, nil
}

// Close closes an open outage the actor sees and resolves every request
// still waiting for it, each with one history event that names the outage
// and carries the note. It returns the outage and how many it resolved.
func (s *Outages) Close(ctx context.Context, a Actor, id int64, in CloseOutage) (*Outage, int, error) {
	if err := s.Gate.Allow(ctx, a, ObjOutages, string(ActionClose)); err != nil {
		return nil, 0, err
	}
	note := strings.TrimSpace(in.Comment)
	f := FieldErrors{}
	checkLen(f, "comment", note, MaxComment)
	if err := f.Err(); err != nil {
		return nil, 0, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	o, n, err := s.Store.CloseOutage(ctx, a, id, note, now, func(o *Outage, r *Request) (*RequestEvent, error) {
		return r.ResolveByOutage(o, a, note, now)
	})
	if errors.Is(err, ErrNotFound) {
		return nil, 0, NotFound("outage")
	}
	if errors.Is(err, ErrConflict) {
		return nil, 0, E(ECONFLICT, "error.outage_closed")
	}
	return o, n, err
}

// Public returns the open outages anyone may read: every one of the city
// (buildingID 0) or those covering a building, started or planned. The
// caller is the anonymous role, whose policy on public outages the gate
// checks.
func (s *Outages) Public(ctx context.Context, buildingID int64) ([]Outage, error) {
	if err := s.Gate.Allow(ctx, Actor{Role: RoleAnonymous}, ObjPublicOutages, ActRead); err != nil {
		return nil, err
	}
	return s.Store.Outages(ctx, Actor{Role: RoleAnonymous}, OutageQuery{Open: true, BuildingID: buildingID, Limit: MaxPage, Now: s.Now().UTC()})
}
