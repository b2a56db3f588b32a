package httpapi

import (
	"strconv"
	"strings"

	"github.com/opencity/opencity/core"
)

// deskFilterParams are the desk's filters, for the queue and its counts.
var deskFilterParams = []Param{
	{"category", "string", "category or category group code"},
	{"district", "string", "district code"},
	{"channel", "string", "intake channel"},
	{"priority", "string", "priority"},
	{"age", "string", "only requests waiting longer than this since intake (h: hours, d: days)"},
}

// deskEnums are the allowed values of the desk's parameters: the domain's
// own lists.
var deskEnums = map[string][]string{
	"queue":    core.Names(core.Queues),
	"sort":     core.Names(core.DeskSorts),
	"channel":  core.Names(core.Channels),
	"priority": core.Names(core.Priorities),
	"age":      core.Names(core.Ages),
}

func (a *API) deskRoutes() []Route {
	page := append([]Param{
		{"queue", "string", "which queue (all: new, returned, overdue and escalated together); a queue the city cannot tell yet is refused"},
		{"sort", "string", "urgency (emergencies first, then the oldest) or deadline (the nearest first, none last)"},
		{"limit", "integer", "page size, 1 to 100 (50)"},
		{"cursor", "string", "next_cursor of the previous page, with the same sort"},
	}, deskFilterParams...)
	return []Route{
		endpoint(Route{Method: "GET", Path: "/desk", Obj: core.ObjRequests, Act: string(core.ActionAssign),
			Summary: "The dispatcher's desk: one queue's keyset page with filters, and the count of every queue under the same filters",
			Status:  200, Query: page, Enums: deskEnums}, a.deskPage),
		endpoint(Route{Method: "GET", Path: "/desk/counts", Obj: core.ObjRequests, Act: string(core.ActionAssign),
			Summary: "The number of requests in every desk queue under the filters (for a desk that refreshes itself)",
			Status:  200, Query: deskFilterParams, Enums: deskEnums}, a.deskCounts),
	}
}

// deskCountsJSON is the size of every desk queue.
type deskCountsJSON struct {
	All       int `json:"all"`
	New       int `json:"new"`
	Returned  int `json:"returned"`
	Overdue   int `json:"overdue"`
	Escalated int `json:"escalated"`
	Emergency int `json:"emergency"`
	Outage    int `json:"outage" doc:"requests waiting for an outage to end"`
}

func countsView(c core.DeskCounts) deskCountsJSON {
	v := deskCountsJSON{All: c[core.QueueAll], New: c[core.QueueNew], Returned: c[core.QueueReturned],
		Overdue: c[core.QueueOverdue], Escalated: c[core.QueueEscalated], Emergency: c[core.QueueEmergency],
		Outage: c[core.QueueOutage]}
	return v
}

type deskList struct {
	Queue      core.Queue     `json:"queue"`
	Sort       core.DeskSort  `json:"sort"`
	Items      []requestJSON  `json:"items"`
	NextCursor string         `json:"next_cursor,omitempty"`
	Total      int            `json:"total" doc:"the number of requests in the queue under the filters"`
	Counts     deskCountsJSON `json:"counts"`
}

// DeskQuery reads the desk's parameters from a query string (the API's and
// the desk page's); core.Desk checks them. A limit that is not a number is
// read as -1, which the desk refuses with the range it takes.
func DeskQuery(get func(string) string) core.DeskQuery {
	q := core.DeskQuery{Queue: core.Queue(get("queue")), Sort: core.DeskSort(get("sort")), Cursor: get("cursor"),
		DeskFilter: DeskFilter(get)}
	if s := get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n == 0 {
			n = -1
		}
		q.Limit = n
	}
	return q
}

// DeskFilter reads the desk's filters from a query string.
func DeskFilter(get func(string) string) core.DeskFilter {
	return core.DeskFilter{Category: strings.TrimSpace(get("category")), District: strings.TrimSpace(get("district")),
		Channel: core.Channel(get("channel")), Priority: core.Priority(get("priority")), Age: core.Age(get("age"))}
}

func (a *API) deskPage(c *Call, _ none) (*deskList, error) {
	q := DeskQuery(c.Query)
	page, err := a.Services().Desk(c.City).Page(c.Ctx, c.Actor, q)
	if err != nil {
		return nil, err
	}
	q.Normalize()
	out := &deskList{Queue: q.Queue, Sort: q.Sort, Items: make([]requestJSON, len(page.Items)), NextCursor: page.NextCursor,
		Total: page.Counts[q.Queue], Counts: countsView(page.Counts)}
	now := a.Now()
	for i := range page.Items {
		out.Items[i] = requestView(&page.Items[i], c.Actor, now)
	}
	return out, nil
}

func (a *API) deskCounts(c *Call, _ none) (*deskCountsJSON, error) {
	counts, err := a.Services().Desk(c.City).Counts(c.Ctx, c.Actor, DeskFilter(c.Query))
	if err != nil {
		return nil, err
	}
	v := countsView(counts)
	return &v, nil
}
