package httpapi

import (
	"time"

	"github.com/opencity/opencity/core"
)

// cycleJSON is one cycle of a request (core.RequestCycle).
type cycleJSON struct {
	Cycle             int        `json:"cycle"`
	StartedAt         time.Time  `json:"started_at"`
	Organization      string     `json:"organization,omitempty"`
	ReactionDueAt     *time.Time `json:"reaction_due_at,omitempty"`
	ResolutionDueAt   *time.Time `json:"resolution_due_at,omitempty"`
	AcceptedAt        *time.Time `json:"accepted_at,omitempty"`
	ResolvedAt        *time.Time `json:"resolved_at,omitempty"`
	ClosedAt          *time.Time `json:"closed_at,omitempty"`
	ReactionSeconds   *int64     `json:"reaction_seconds,omitempty"`
	ResolutionSeconds *int64     `json:"resolution_seconds,omitempty"`
	ReactionLate      bool       `json:"reaction_late"`
	ResolutionLate    bool       `json:"resolution_late"`
	EscalationLevel   int        `json:"escalation_level"`
}

// alertJSON is one escalation alert (core.EscalationAlert): of a request
// (its number) or of an outage past its expected end (its id and utility).
type alertJSON struct {
	ID           int64     `json:"id"`
	Number       string    `json:"number,omitempty" doc:"the late request's number"`
	Outage       int64     `json:"outage,omitempty" doc:"the late outage's id"`
	Utility      string    `json:"utility,omitempty" doc:"the late outage's utility"`
	Cycle        int       `json:"cycle"`
	Level        int       `json:"level"`
	Role         core.Role `json:"role"`
	Organization string    `json:"organization,omitempty"`
	Deadline     string    `json:"deadline" enum:"deadlines"`
	DueAt        time.Time `json:"due_at"`
	CreatedAt    time.Time `json:"created_at"`
}

type alertList struct {
	Items []alertJSON `json:"items"`
}

func (a *API) alertRoutes() []Route {
	return []Route{
		endpoint(Route{Method: "GET", Path: "/alerts", Obj: core.ObjAlerts, Act: core.ActRead,
			Summary: "The newest escalation alerts of late requests and outages addressed to the caller's role (an organization's manager: its organization's), up to limit",
			Status:  200, Query: []Param{{"limit", "integer", "1 to 100 (20)"}}}, a.listAlerts),
	}
}

func (a *API) listAlerts(c *Call, _ none) (*alertList, error) {
	f := core.FieldErrors{}
	limit := intParam(c.Context, f, "limit", defaultPage, 1, core.MaxPage)
	if err := f.Err(); err != nil {
		return nil, err
	}
	als, err := c.City.Store.Alerts(c.Ctx, c.Actor, limit)
	if err != nil {
		return nil, err
	}
	return &alertList{Items: alertsView(als)}, nil
}

func alertsView(als []core.EscalationAlert) []alertJSON {
	out := make([]alertJSON, 0, len(als))
	for _, al := range als {
		out = append(out, alertJSON{ID: al.ID, Number: al.Number, Outage: al.OutageNumber(), Utility: al.Utility, Cycle: al.Cycle, Level: al.Level, Role: al.Role,
			Organization: al.Organization, Deadline: al.Deadline, DueAt: al.DueAt, CreatedAt: al.CreatedAt})
	}
	return out
}

// cyclesAndAlerts reads a request's cycles and the alerts the caller may
// see of it.
func cyclesAndAlerts(c *Call, requestID int64) ([]cycleJSON, []alertJSON, error) {
	st := c.City.Store
	cycles, err := st.Cycles(c.Ctx, c.Actor, requestID)
	if err != nil {
		return nil, nil, err
	}
	als, err := st.RequestAlerts(c.Ctx, c.Actor, requestID)
	if err != nil {
		return nil, nil, err
	}
	var cs []cycleJSON
	for _, y := range cycles {
		cs = append(cs, cycleJSON{Cycle: y.Cycle, StartedAt: y.StartedAt, Organization: y.Organization,
			ReactionDueAt: y.ReactionDueAt, ResolutionDueAt: y.ResolutionDueAt, AcceptedAt: y.AcceptedAt,
			ResolvedAt: y.ResolvedAt, ClosedAt: y.ClosedAt, ReactionSeconds: y.ReactionSeconds,
			ResolutionSeconds: y.ResolutionSeconds, ReactionLate: y.ReactionLate, ResolutionLate: y.ResolutionLate,
			EscalationLevel: y.EscalationLevel})
	}
	var out []alertJSON
	if len(als) > 0 {
		out = alertsView(als)
	}
	return cs, out, nil
}
