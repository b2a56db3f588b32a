package core

// Staff reports whether a role works for the city or one of its
// organizations: anyone but a citizen or an anonymous caller. Events with
// no author (the system's) count as the city's.
func (r Role) Staff() bool { return r != RoleCitizen && r != RoleAnonymous }

// OutsiderHistory is what a citizen may see of a request that is not theirs
// (the original a dispatcher merged their request into): its status changes
// and the answers the city's staff made public — never what the other
// applicant wrote (comments, reopen and close reasons, ratings) nor their
// photos' file names. evs must carry AuthorRole; events without a status
// change other than staff's public comments are left out, and so are all
// photo events.
func OutsiderHistory(evs []RequestEvent) []RequestEvent {
	out := make([]RequestEvent, 0, len(evs))
	for _, e := range evs {
		staff := e.ActorID == nil || (e.AuthorRole != "" && e.AuthorRole.Staff())
		changes := e.FromState != e.ToState
		switch {
		case !e.Public || e.Kind == "photo":
			continue
		case e.Kind == "comment" && staff:
		case !changes:
			continue
		}
		v := RequestEvent{ID: e.ID, RequestID: e.RequestID, Kind: e.Kind, OrganizationID: e.OrganizationID,
			FromState: e.FromState, ToState: e.ToState, Public: true, CreatedAt: e.CreatedAt, AuthorRole: e.AuthorRole}
		if staff {
			v.Comment = e.Comment
		}
		out = append(out, v)
	}
	return out
}

// OutsiderView is the part of a request an outsider's history names: its
// number, status and times, nothing its applicant wrote.
func OutsiderView(r *Request) *Request {
	return &Request{ID: r.ID, Number: r.Number, Status: r.Status, Channel: r.Channel, CategoryID: r.CategoryID,
		CategoryCode: r.CategoryCode, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}
