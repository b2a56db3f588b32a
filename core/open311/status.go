package open311

import "github.com/opencity/opencity/core"

// Status is the GeoReport v2 status of a request: "open" while it still
// waits for the dispatcher or an organization (core's unfinished
// statuses), "closed" once resolved, closed, rejected or a duplicate.
func Status(s core.Status) string {
	if s.Running() {
		return "open"
	}
	return "closed"
}

// Statuses are the lifecycle statuses a GeoReport v2 status filter
// (open, closed) stands for; ok is false for another word.
func Statuses(name string) (out []core.Status, ok bool) {
	for _, s := range core.Statuses {
		if Status(s) == name {
			out = append(out, s)
		}
	}
	return out, len(out) > 0
}

// extended maps the lifecycle onto FixMyStreet's extended statuses: a new
// or returned request waits for triage (investigating), an assigned or
// accepted one is planned (action_scheduled), a returned one went back to
// the city's dispatcher (internal_referral), a rejected one gets no further
// action, a resolved one is fixed.
var extended = map[core.Status]string{
	core.StatusNew:        "open",
	core.StatusAssigned:   "action_scheduled",
	core.StatusAccepted:   "action_scheduled",
	core.StatusInProgress: "in_progress",
	core.StatusResolved:   "fixed",
	core.StatusClosed:     "closed",
	core.StatusReturned:   "internal_referral",
	core.StatusReopened:   "open",
	core.StatusRejected:   "no_further_action",
	core.StatusDuplicate:  "duplicate",
}

// ExtendedStatus is the status of FixMyStreet's updates extension for a
// lifecycle status (one of ExtendedStatuses).
func ExtendedStatus(s core.Status) string {
	if x, ok := extended[s]; ok {
		return x
	}
	return Status(s)
}
