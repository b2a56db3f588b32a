package core

import (
	"slices"
	"strings"
)

// FilesForOthers reports whether a role files requests on other people's
// behalf — the call centre and the city's administration — and so may set
// what only the city decides at intake: the priority and any channel.
func (r Role) FilesForOthers() bool { return r == RoleDispatcher || r == RoleCityAdmin }

// IntakeField is one writable field of intake (NewRequest) and who may set
// it. Every field of NewRequest has exactly one entry; fields a request has
// but intake does not take (organization, executor, status, due times,
// external source and id, duplicate-of) are no part of the input, and a body
// naming them is refused like any unknown field.
type IntakeField struct {
	Name string // as in field errors and JSON: "priority", "applicant.phone"
	// Others lists the values a role that does not file for others may
	// give; nil when every submitter may set the field freely, empty when
	// only FilesForOthers roles may set it at all.
	Others []string
	// Refused is the field message for a value a role may not give.
	Refused string
	// Doc says who may set the field, for the API description.
	Doc   string
	value func(*NewRequest) string
}

// Field messages of IntakeFields.
const (
	MsgPriorityStaff  = "error.priority_staff"
	MsgChannelCitizen = "error.citizen_channel"
)

// IntakeFields decides, for each writable field of intake, which roles may
// set it: the one place the API, the pages and the API description read.
var IntakeFields = []IntakeField{
	{Name: "category", Doc: "any submitter", value: func(n *NewRequest) string { return n.Category }},
	{Name: "building_id", Doc: "any submitter", value: func(n *NewRequest) string { return ptrString(n.BuildingID) }},
	{Name: "address", Doc: "any submitter", value: func(n *NewRequest) string { return n.Address }},
	{Name: "apartment", Doc: "any submitter; shown to staff and the organization only", value: func(n *NewRequest) string { return n.Apartment }},
	{Name: "entrance", Doc: "any submitter", value: func(n *NewRequest) string { return n.Entrance }},
	{Name: "location", Doc: "any submitter", value: func(n *NewRequest) string {
		if n.Location == nil {
			return ""
		}
		return "set"
	}},
	{Name: "description", Doc: "any submitter", value: func(n *NewRequest) string { return n.Description }},
	{Name: "priority", Others: []string{}, Refused: MsgPriorityStaff,
		Doc:   "dispatcher and city admin only (others: 422); unset: the category's default, which routing may raise",
		value: func(n *NewRequest) string { return string(n.Priority) }},
	{Name: "channel", Others: []string{string(ChannelPortal), string(ChannelMobile)}, Refused: MsgChannelCitizen,
		Doc:   "dispatcher and city admin: any channel; everyone else: portal or mobile only (others: 422); unset: portal, or call_centre for a dispatcher",
		value: func(n *NewRequest) string { return string(n.Channel) }},
	{Name: "applicant.name", Doc: "any submitter; a citizen's request defaults to the account's name. Shown to staff and the organization only",
		value: func(n *NewRequest) string { return n.Applicant.Name }},
	{Name: "applicant.phone", Doc: "any submitter (a callback number); a citizen's request defaults to the account's phone. Shown to staff and the organization only",
		value: func(n *NewRequest) string { return n.Applicant.Phone }},
	{Name: "applicant.email", Doc: "any submitter; a citizen's request defaults to the account's e-mail. Shown to staff and the organization only",
		value: func(n *NewRequest) string { return n.Applicant.Email }},
	{Name: "applicant.lang", Doc: "any submitter: the language (ru, en) the applicant's notifications are written in; the city's language when empty or another",
		value: func(n *NewRequest) string { return n.Applicant.Lang }},
	{Name: "follows", Doc: "any submitter, naming a closed request they may see (a citizen: their own); the new request is linked to it",
		value: func(n *NewRequest) string { return n.Follows }},
}

func ptrString(p *int64) string {
	if p == nil {
		return ""
	}
	return "set"
}

// CheckSetters refuses the fields of n that the actor's role may not set,
// with a field message each (EINVALID, HTTP 422).
func (n *NewRequest) CheckSetters(a Actor) error {
	if a.Role.FilesForOthers() {
		return nil
	}
	f := FieldErrors{}
	for _, fld := range IntakeFields {
		if v := fld.value(n); v != "" && fld.Others != nil && !slices.Contains(fld.Others, v) {
			f.Add(fld.Name, fld.Refused)
		}
	}
	return f.Err()
}

// FieldDoc describes a field of intake for the API description; an object
// (applicant) gets the rules of its fields.
func (NewRequest) FieldDoc(name string) string {
	var s []string
	for _, f := range IntakeFields {
		if f.Name == name {
			return "Who may set it: " + f.Doc + "."
		}
		if strings.HasPrefix(f.Name, name+".") {
			s = append(s, strings.TrimPrefix(f.Name, name+".")+": "+f.Doc)
		}
	}
	if len(s) > 0 {
		return "Who may set it: " + strings.Join(s, "; ") + "."
	}
	return ""
}

// ActionFields are the fields of ActionInput each action takes besides the
// comment; giving another is refused, so a value is never silently dropped.
var ActionFields = map[string][]Action{
	"organization": {ActionAssign, ActionDelegate, ActionRecall},
	"original":     {ActionDuplicate},
}

// MsgNotForAction is the field message of an ActionInput field the action
// does not take.
const MsgNotForAction = "error.not_for_action"

// check refuses the fields of in that action does not take.
func (in ActionInput) check(action Action) error {
	f := FieldErrors{}
	for name, v := range map[string]string{"organization": in.Organization, "original": in.Original} {
		if strings.TrimSpace(v) != "" && !slices.Contains(ActionFields[name], action) {
			f.Add(name, MsgNotForAction)
		}
	}
	return f.Err()
}

// FieldDoc describes a field of a lifecycle action's input.
func (ActionInput) FieldDoc(name string) string {
	if acts, ok := ActionFields[name]; ok {
		var s []string
		for _, a := range acts {
			s = append(s, string(a))
		}
		return "Only for " + strings.Join(s, ", ") + "; other actions refuse it (422)."
	}
	return ""
}
