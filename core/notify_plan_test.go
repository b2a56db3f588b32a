package core

import (
	"slices"
	"strings"
	"testing"
)

// Who is told of an escalation: at the first level the organization
// holding the request, its managers and the dispatchers; at the second the
// dispatchers and HQ. The applicant hears nothing of it, and an address
// given twice is told once.
func TestPlanEscalation(t *testing.T) {
	org := int64(7)
	dir := &Directory{Organizations: []Organization{{ID: org, Code: "uk", NameRU: "УК", NameEN: "MC", Email: "uk@example.org", Active: true}}}
	p := &NoticePlanner{City: "Казань", Locale: "ru", Email: true, SMS: true,
		TrackLink: func(s string) string { return "t/" + s }, StaffLink: func(s string) string { return "s/" + s }, OptOutLink: func(s string) string { return "o/" + s }}
	staff := []User{{Email: "disp@example.org", Role: RoleDispatcher}, {Email: "hq@example.org", Role: RoleAnalyst}}
	for _, c := range []struct {
		level int
		want  []string
	}{
		{1, []string{"uk@example.org", "boss@example.org", "disp@example.org"}},
		{2, []string{"disp@example.org", "hq@example.org"}},
	} {
		r := &Request{ID: 1, Number: "2026-000001", Status: StatusAssigned, OrganizationID: &org, EscalationLevel: c.level,
			ApplicantEmail: "anna@example.org", ApplicantPhone: "+79171234567"}
		in := NoticeInput{Event: &RequestEvent{ID: 5, RequestID: 1, Kind: "escalated", FromState: "assigned", ToState: "assigned"},
			Request: r, Dir: dir, Managers: []User{{Email: "boss@example.org"}, {Email: "UK@example.org"}}}
		for _, u := range staff {
			if slices.Contains(StaffNotified(c.level), u.Role) {
				in.Staff = append(in.Staff, u)
			}
		}
		var got []string
		for _, n := range p.Plan(in) {
			if n.Kind != NoticeEscalated || n.Channel != ChannelEmail {
				t.Errorf("level %d: %+v", c.level, n)
			}
			got = append(got, n.Address)
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("level %d told %v, want %v", c.level, got, c.want)
		}
	}
}

// A citizen's notice goes to the applicant by e-mail and SMS in their
// language, not to the citizen who closed the request themselves.
func TestPlanCitizen(t *testing.T) {
	dir := &Directory{}
	p := &NoticePlanner{City: "Kazan", Locale: "ru", Email: true, SMS: true,
		TrackLink: func(s string) string { return "t/" + s }, StaffLink: func(s string) string { return "s/" + s }, OptOutLink: func(s string) string { return "o/" + s }}
	cit := int64(3)
	r := &Request{ID: 1, Number: "2026-000001", Status: StatusResolved, ApplicantEmail: "anna@example.org", ApplicantPhone: "8 917 123-45-67",
		ApplicantLang: "en", CitizenID: &cit}
	ev := &RequestEvent{ID: 9, RequestID: 1, Kind: "resolve", FromState: "in_progress", ToState: "resolved", Comment: "Fixed."}
	ns := p.Plan(NoticeInput{Event: ev, Request: r, Dir: dir, TrackingCode: "CODE"})
	if len(ns) != 2 || ns[0].Address != "anna@example.org" || ns[1].Address != "+79171234567" || ns[0].Lang != "en" ||
		ns[0].Args["Answer"] != "Fixed." || ns[0].Args["Link"] != "t/CODE" {
		t.Fatalf("resolved: %+v", ns)
	}
	out := p.Render(ns[0], "tok", ev, ev.CreatedAt)
	if out.Subject == "" || !strings.Contains(out.Body, "o/tok") || !strings.Contains(out.Body, "t/CODE") {
		t.Errorf("rendered: %q %q", out.Subject, out.Body)
	}
	closed := &RequestEvent{ID: 10, RequestID: 1, Kind: "close", FromState: "resolved", ToState: "closed", ActorID: &cit}
	if ns := p.Plan(NoticeInput{Event: closed, Request: r, Dir: dir}); len(ns) != 0 {
		t.Errorf("the citizen who closed it is told: %+v", ns)
	}
}
