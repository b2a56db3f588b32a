package core

import (
	"context"
	"time"
)

// RouteInput is what a router sees of a new request.
type RouteInput struct {
	City     string
	Request  *Request
	Category Category
	Building *Building // nil when the request names no registry building
	At       time.Time // the intake time, in the city's time zone
}

// Decision is a router's answer: an organization, or the dispatcher's triage
// queue, with the reason shown in the request's history (a catalog message,
// "route.*", rendered in the reader's language).
type Decision struct {
	OrganizationID int64    // 0 with Triage
	Priority       Priority // "" keeps the request's priority
	Triage         bool
	Reason         Msg
	Source         string // which router decided: "rules", "plugin:kazan@1.0.0", "fallback"…
}

// Router decides where a new request goes.
type Router interface {
	Route(ctx context.Context, in RouteInput) (Decision, error)
}
