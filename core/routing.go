package core

import (
	"context"
	"strings"
	"time"

	"github.com/opencity/opencity/core/i18n"
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

// SourceArg is a decision's source as a message argument: the catalog's
// words for the built-in sources ("rules" → route.source.rules), a
// plugin's reference ("plugin:kazan@1.0.0") as it is.
func SourceArg(source string) any {
	switch source {
	case "none", "fallback", "rules", "fallback:rules", "fallback:triage", "bench", "import":
		return i18n.Code("route.source." + strings.ReplaceAll(source, ":", "_"))
	}
	return source
}

// Router decides where a new request goes.
type Router interface {
	Route(ctx context.Context, in RouteInput) (Decision, error)
}
