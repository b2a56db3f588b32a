package httpapi

import (
	"math"
	"time"

	"github.com/opencity/opencity/core"
)

func (a *API) outageRoutes() []Route {
	list := []Param{
		{"open", "boolean", "only outages not closed yet"},
		{"building_id", "integer", "only outages covering this building"},
		{"limit", "integer", "at most this many, 1 to 100 (100)"},
	}
	return []Route{
		endpoint(Route{Method: "GET", Path: "/outages", Obj: core.ObjOutages, Act: core.ActRead,
			Summary: "Outages, newest first, with the number of buildings covered and of requests attached and still waiting (an organization's people: their organization's)",
			Status:  200, Query: list}, a.listOutages),
		endpoint(Route{Method: "POST", Path: "/outages", Obj: core.ObjOutages, Act: core.ActCreate,
			Summary: "Declare an outage of a utility for buildings picked one by one, by street or by district; new requests about that utility from them attach to it once it starts",
			Status:  201}, a.declareOutage),
		endpoint(Route{Method: "GET", Path: "/outages/:id", Obj: core.ObjOutages, Act: core.ActRead,
			Summary: "One outage with its buildings and the requests attached to it",
			Status:  200}, a.getOutage),
		endpoint(Route{Method: "POST", Path: "/outages/:id/close", Obj: core.ObjOutages, Act: string(core.ActionClose),
			Summary: "Close an outage: every request still waiting for it is resolved with one history event naming it",
			Status:  200, OptionalBody: true}, a.closeOutage),
		endpoint(Route{Method: "GET", Path: "/public/outages", Obj: core.ObjPublicOutages, Act: core.ActRead, Guard: guardAnonymous,
			Summary: "The open outages residents see (of the city, or covering one building), with the notice in the reader's language",
			Status:  200, Query: []Param{{"building_id", "integer", "only outages covering this building"}}}, a.publicOutages),
	}
}

// outageCountsJSON are an outage's counts.
type outageCountsJSON struct {
	Buildings int `json:"buildings" doc:"buildings covered"`
	Requests  int `json:"requests" doc:"requests attached"`
	Waiting   int `json:"waiting" doc:"requests attached and still waiting for the outage to end"`
}

type outageBuildingJSON struct {
	ID       int64  `json:"id"`
	Address  string `json:"address"`
	District string `json:"district"`
}

// outageJSON is an outage as staff see it.
type outageJSON struct {
	ID           int64            `json:"id"`
	Utility      string           `json:"utility" enum:"utilities"`
	Kind         string           `json:"kind" enum:"outage_kinds"`
	Organization string           `json:"organization,omitempty"`
	StartsAt     time.Time        `json:"starts_at"`
	EndsAt       time.Time        `json:"ends_at" doc:"the expected end"`
	NoticeRU     string           `json:"notice_ru"`
	NoticeEN     string           `json:"notice_en"`
	Open         bool             `json:"open"`
	Overdue      bool             `json:"overdue" doc:"open past its expected end"`
	EscalatedAt  *time.Time       `json:"escalated_at,omitempty" doc:"when the sweep found it open past its expected end"`
	ClosedAt     *time.Time       `json:"closed_at,omitempty"`
	CloseNote    string           `json:"close_note,omitempty"`
	CreatedAt    time.Time        `json:"created_at"`
	Counts       outageCountsJSON `json:"counts"`
	// Buildings and Requests are given with one outage, not in lists.
	Buildings []outageBuildingJSON `json:"buildings,omitempty"`
	Requests  []requestJSON        `json:"requests,omitempty"`
}

func outageView(o *core.Outage, now time.Time) outageJSON {
	return outageJSON{ID: o.ID, Utility: o.Utility, Kind: o.Kind, Organization: o.Organization, StartsAt: o.StartsAt,
		EndsAt: o.EndsAt, NoticeRU: o.NoticeRU, NoticeEN: o.NoticeEN, Open: o.Open(), Overdue: o.Overdue(now),
		EscalatedAt: o.EscalatedAt, ClosedAt: o.ClosedAt, CloseNote: o.CloseNote, CreatedAt: o.CreatedAt,
		Counts: outageCountsJSON{Buildings: o.Buildings, Requests: o.Linked, Waiting: o.Waiting}}
}

// buildingParam reads the optional building_id query parameter.
func buildingParam(c *Call, f core.FieldErrors) int64 {
	return int64(intParam(c.Context, f, "building_id", 0, 1, math.MaxInt32))
}

func (a *API) listOutages(c *Call, _ none) (*listOf[outageJSON], error) {
	f := core.FieldErrors{}
	q := core.OutageQuery{Open: boolParam(c.Context, f, "open"), BuildingID: buildingParam(c, f),
		Limit: intParam(c.Context, f, "limit", core.MaxPage, 1, core.MaxPage)}
	if err := f.Err(); err != nil {
		return nil, err
	}
	os, err := a.Services().Outages(c.City).List(c.Ctx, c.Actor, q)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	out := make([]outageJSON, len(os))
	for i := range os {
		out[i] = outageView(&os[i], now)
	}
	v := itemsOf(out)
	return &v, nil
}

func (a *API) declareOutage(c *Call, in core.NewOutage) (*outageJSON, error) {
	o, err := a.Services().Outages(c.City).Declare(c.Ctx, c.Actor, in)
	if err != nil {
		return nil, err
	}
	v := outageView(o, a.Now())
	return &v, nil
}

func (a *API) getOutage(c *Call, _ none) (*outageJSON, error) {
	id, err := pathID(c, "id", "outage")
	if err != nil {
		return nil, err
	}
	ov, err := a.Services().Outages(c.City).Get(c.Ctx, c.Actor, id)
	if err != nil {
		return nil, err
	}
	now := a.Now()
	v := outageView(&ov.Outage, now)
	lang := Lang(c.Context)
	for _, b := range ov.BuildingList {
		addr := b.AddressRU
		if lang == "en" && b.AddressEN != "" {
			addr = b.AddressEN
		}
		v.Buildings = append(v.Buildings, outageBuildingJSON{ID: b.ID, Address: addr, District: b.District})
	}
	for i := range ov.Requests {
		v.Requests = append(v.Requests, requestView(&ov.Requests[i], c.Actor, now))
	}
	return &v, nil
}

// closedOutageJSON answers a closing: the outage and how many requests it
// resolved.
type closedOutageJSON struct {
	Outage   outageJSON `json:"outage"`
	Resolved int        `json:"resolved" doc:"requests resolved by the closing"`
}

func (a *API) closeOutage(c *Call, in core.CloseOutage) (*closedOutageJSON, error) {
	id, err := pathID(c, "id", "outage")
	if err != nil {
		return nil, err
	}
	o, n, err := a.Services().Outages(c.City).Close(c.Ctx, c.Actor, id, in)
	if err != nil {
		return nil, err
	}
	return &closedOutageJSON{Outage: outageView(o, a.Now()), Resolved: n}, nil
}

// publicOutageJSON is what residents see of an outage.
type publicOutageJSON struct {
	ID       int64     `json:"id"`
	Utility  string    `json:"utility" enum:"utilities"`
	Kind     string    `json:"kind" enum:"outage_kinds"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at" doc:"the expected end"`
	Notice   string    `json:"notice" doc:"the residents' text in the reader's language"`
	Overdue  bool      `json:"overdue"`
}

func (a *API) publicOutages(c *Call, _ none) (*listOf[publicOutageJSON], error) {
	f := core.FieldErrors{}
	building := buildingParam(c, f)
	if err := f.Err(); err != nil {
		return nil, err
	}
	os, err := a.Services().Outages(c.City).Public(c.Ctx, building)
	if err != nil {
		return nil, err
	}
	now, lang := a.Now(), Lang(c.Context)
	out := make([]publicOutageJSON, len(os))
	for i, o := range os {
		out[i] = publicOutageJSON{ID: o.ID, Utility: o.Utility, Kind: o.Kind, StartsAt: o.StartsAt, EndsAt: o.EndsAt,
			Notice: o.Notice(lang), Overdue: o.Overdue(now)}
	}
	v := itemsOf(out)
	return &v, nil
}
