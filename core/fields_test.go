package core

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

// Every JSON field of NewRequest has exactly one entry in IntakeFields, so a
// new field cannot be added without deciding who may set it.
func TestIntakeFieldsCoverNewRequest(t *testing.T) {
	want := map[string]bool{}
	var walk func(prefix string, typ reflect.Type)
	walk = func(prefix string, typ reflect.Type) {
		for i := 0; i < typ.NumField(); i++ {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if typ.Field(i).Type == reflect.TypeOf(Applicant{}) {
				walk(prefix+name+".", typ.Field(i).Type)
				continue
			}
			want[prefix+name] = true
		}
	}
	walk("", reflect.TypeOf(NewRequest{}))
	seen := map[string]bool{}
	for _, f := range IntakeFields {
		if !want[f.Name] || seen[f.Name] {
			t.Errorf("IntakeFields: %q is not a field of NewRequest or is listed twice", f.Name)
		}
		seen[f.Name] = true
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("NewRequest.%s has no entry in IntakeFields: decide who may set it", name)
		}
	}
}

func TestCheckSetters(t *testing.T) {
	for _, c := range []struct {
		role  Role
		in    NewRequest
		field string // "" when allowed
	}{
		{RoleCitizen, NewRequest{Priority: PriorityEmergency}, "priority"},
		{RoleAnonymous, NewRequest{Priority: PriorityNormal}, "priority"},
		{RoleCitizen, NewRequest{Channel: ChannelExternal}, "channel"},
		{RoleCitizen, NewRequest{Channel: ChannelMobile}, ""},
		{"custom_role", NewRequest{Channel: ChannelOpen311}, "channel"},
		{RoleDispatcher, NewRequest{Priority: PriorityEmergency, Channel: ChannelExternal}, ""},
		{RoleCityAdmin, NewRequest{Priority: PriorityPlanned, Channel: ChannelCallCentre}, ""},
		{RoleCitizen, NewRequest{Applicant: Applicant{Name: "Соседка", Phone: "+7 900 000-00-00"}}, ""},
	} {
		err := c.in.CheckSetters(Actor{Role: c.role})
		var got string
		if e, ok := err.(*Error); ok {
			for f := range e.Fields {
				got = f
			}
		}
		if got != c.field {
			t.Errorf("%s sets %+v: refused %q, want %q", c.role, c.in, got, c.field)
		}
	}
}

// An outsider sees status changes and staff's public words, nothing the
// other applicant wrote or attached, and no internal event.
func TestOutsiderHistory(t *testing.T) {
	citizen, staff := int64(7), int64(2)
	at := time.Now()
	evs := []RequestEvent{
		{Kind: "created", ToState: "new", Public: true, ActorID: &citizen, AuthorRole: RoleCitizen, CreatedAt: at},
		{Kind: "routed", FromState: "new", ToState: "new", Comment: "rules", ActorID: nil},
		{Kind: "comment", FromState: "new", ToState: "new", Comment: "my phone 123", Public: true, ActorID: &citizen, AuthorRole: RoleCitizen},
		{Kind: "photo", FromState: "new", ToState: "new", Comment: "me.jpg", Public: true, ActorID: &citizen, AuthorRole: RoleCitizen},
		{Kind: "photo", FromState: "new", ToState: "new", Comment: "work.jpg", Public: true, ActorID: &staff, AuthorRole: RoleOrgOperator},
		{Kind: "assign", FromState: "new", ToState: "assigned", Comment: "to the company", Public: true, ActorID: &staff, AuthorRole: RoleDispatcher},
		{Kind: "comment", FromState: "assigned", ToState: "assigned", Comment: "internal", Public: false, ActorID: &staff, AuthorRole: RoleDispatcher},
		{Kind: "comment", FromState: "assigned", ToState: "assigned", Comment: "we are on it", Public: true, ActorID: &staff, AuthorRole: RoleDispatcher},
		{Kind: "reopen", FromState: "resolved", ToState: "reopened", Comment: "my neighbour Ivan", Public: true, ActorID: &citizen, AuthorRole: RoleCitizen},
		{Kind: "rated", FromState: "closed", ToState: "closed", Comment: "1/5 slow", Public: true, ActorID: &citizen, AuthorRole: RoleCitizen},
		{Kind: "close", FromState: "resolved", ToState: "closed", Comment: "closed automatically", Public: true},
	}
	var got []string
	for _, e := range OutsiderHistory(evs) {
		got = append(got, e.Kind+":"+e.Comment)
	}
	want := "created:|assign:to the company|comment:we are on it|reopen:|close:closed automatically"
	if strings.Join(got, "|") != want {
		t.Errorf("outsider history\n got %s\nwant %s", strings.Join(got, "|"), want)
	}
}
