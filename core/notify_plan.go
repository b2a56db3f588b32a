package core

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core/i18n"
)

// NoticeInput is what the fan-out knows of one history event: the request
// after it, the people to tell and the directory to name things by.
type NoticeInput struct {
	Event        *RequestEvent
	Request      *Request
	CoApplicants []CoApplicant
	// Citizen is the applicant's account, nil for none.
	Citizen *User
	// Managers are the active managers of the organization an escalated
	// request is with; Staff the active users of the roles StaffNotified
	// names for its level.
	Managers []User
	Staff    []User
	// TrackingCode opens the request's tracking page without an account.
	TrackingCode string
	// Outage is the outage the request waits for, nil for none.
	Outage *Outage
	Dir    *Directory
}

// NoticePlanner decides who is told what of a history event, and renders
// it with the city's templates.
type NoticePlanner struct {
	City     string // the city's name in its messages
	Locale   string // the city's language: of staff, organizations, and applicants who chose none
	Location *time.Location
	// PhoneRegion reads phone numbers written without a country code
	// (DefaultPhoneRegion when empty).
	PhoneRegion string
	Templates   []NoticeTemplate // the city's own; the catalog's for the rest
	// Email and SMS say which channels the server can send on.
	Email, SMS bool
	// TrackLink is the tracking page of a code, StaffLink the request's
	// page for staff, OptOutLink the opt-out page of a contact's token.
	TrackLink, StaffLink, OptOutLink func(string) string
	// OutageLink is an outage's page for staff.
	OutageLink func(id int64) string
}

// PlannedNotice is one notification before its opt-out token is known.
type PlannedNotice struct {
	Kind, Channel, Address, Lang string
	Args                         map[string]string
	// AlertID is the outage's escalation alert told of, 0 for a history
	// event's notice.
	AlertID int64
}

// notices collects planned notices, each kind, channel and address once.
type notices struct {
	p    *NoticePlanner
	out  []PlannedNotice
	seen map[string]bool
}

// add plans one notice; a phone number that does not parse, an empty
// address or a channel the server cannot send on plans none.
func (l *notices) add(kind, channel, addr, lang string, args map[string]string) {
	addr = strings.TrimSpace(addr)
	if channel == ChannelSMS && addr != "" {
		region := l.p.PhoneRegion
		if region == "" {
			region = DefaultPhoneRegion
		}
		var ok bool
		if addr, ok = ParsePhone(addr, region); !ok {
			return
		}
	}
	if addr == "" || (channel == ChannelEmail && !l.p.Email) || (channel == ChannelSMS && !l.p.SMS) {
		return
	}
	key := kind + "\x00" + channel + "\x00" + strings.ToLower(addr)
	if l.seen[key] {
		return
	}
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	l.seen[key] = true
	l.out = append(l.out, PlannedNotice{Kind: kind, Channel: channel, Address: addr, Lang: lang, Args: args})
}

// Plan lists the notifications a history event raises: one per kind,
// channel and address (the same person twice is told once). Citizens —
// the applicant, by their account too, and every co-applicant — get
// e-mail and SMS (the account's address and number where the request
// gives none); organizations and staff e-mail.
func (p *NoticePlanner) Plan(in NoticeInput) []PlannedNotice {
	l := &notices{p: p}
	add := l.add
	ev, r := in.Event, in.Request
	if kind := CitizenNotice(ev); kind != "" && !(kind == NoticeClosed && ev.ActorID != nil && r.CitizenID != nil && *ev.ActorID == *r.CitizenID) {
		lang := applicantLang(r.ApplicantLang)
		if lang == "" {
			lang = p.lang()
		}
		first := Recipient{Email: r.ApplicantEmail, Phone: r.ApplicantPhone, Lang: lang}
		if in.Citizen != nil { // the account's contacts where the request gives none
			if first.Email == "" {
				first.Email = in.Citizen.Email
			}
			if first.Phone == "" {
				first.Phone = in.Citizen.Phone
			}
		}
		people := []Recipient{first}
		for _, c := range in.CoApplicants {
			people = append(people, Recipient{Email: c.Email, Phone: c.Phone, Lang: p.lang()})
		}
		for _, who := range people {
			args := p.args(in, who.Lang, p.TrackLink(in.TrackingCode))
			add(kind, ChannelEmail, who.Email, who.Lang, args)
			add(kind, ChannelSMS, who.Phone, who.Lang, args)
		}
	}
	switch OrganizationNotice(ev) {
	case NoticeAssigned:
		if org := in.Dir.Organization(*ev.OrganizationID); org != nil && org.Active {
			args := p.args(in, p.lang(), p.StaffLink(r.Number))
			args["Organization"] = LocalName(org.NameRU, org.NameEN, p.lang())
			add(NoticeAssigned, ChannelEmail, org.Email, p.lang(), args)
		}
	case NoticeEscalated:
		args := p.args(in, p.lang(), p.StaffLink(r.Number))
		if r.OrganizationID != nil && r.EscalationLevel < 2 {
			if org := in.Dir.Organization(*r.OrganizationID); org != nil {
				add(NoticeEscalated, ChannelEmail, org.Email, p.lang(), args)
			}
			for _, u := range in.Managers {
				add(NoticeEscalated, ChannelEmail, u.Email, p.lang(), args)
			}
		}
		for _, u := range in.Staff {
			add(NoticeEscalated, ChannelEmail, u.Email, p.lang(), args)
		}
	}
	return l.out
}

// OutageAlertInput is what the fan-out knows of one alert of a late
// outage.
type OutageAlertInput struct {
	Alert  *EscalationAlert
	Outage *Outage
	// Users are the active users the alert is addressed to: those of its
	// role, and for an organization's manager those of its organization.
	Users []User
	Dir   *Directory
}

// PlanOutageAlert lists the e-mails one alert of a late outage raises
// (NoticeOutageLate, in the city's language): to every user it is
// addressed to and, when it is addressed to an organization's manager, to
// the organization's own address as well; an address once.
func (p *NoticePlanner) PlanOutageAlert(in OutageAlertInput) []PlannedNotice {
	l := &notices{p: p}
	lang, o := p.lang(), in.Outage
	loc := p.Location
	if loc == nil {
		loc = time.UTC
	}
	args := map[string]string{"City": p.City, "Number": strconv.FormatInt(o.ID, 10), "Link": p.OutageLink(o.ID),
		"Utility": i18n.Text(lang, "utility."+o.Utility, nil), "Due": o.EndsAt.In(loc).Format("02.01.2006 15:04"),
		"Notice": o.Notice(lang), "Level": strconv.Itoa(in.Alert.Level),
		"Organization": i18n.Text(lang, "notify.no_organization", nil)}
	var org *Organization
	if o.OrganizationID != nil {
		if org = in.Dir.Organization(*o.OrganizationID); org != nil {
			args["Organization"] = LocalName(org.NameRU, org.NameEN, lang)
		}
	}
	if in.Alert.Role == RoleOrgManager && org != nil && org.Active {
		l.add(NoticeOutageLate, ChannelEmail, org.Email, lang, args)
	}
	for _, u := range in.Users {
		l.add(NoticeOutageLate, ChannelEmail, u.Email, lang, args)
	}
	for i := range l.out {
		l.out[i].AlertID = in.Alert.ID
	}
	return l.out
}

func (p *NoticePlanner) lang() string { return i18n.Choose("", p.Locale, "") }

// args are a template's values for the request of in, in lang.
func (p *NoticePlanner) args(in NoticeInput, lang, link string) map[string]string {
	r, ev := in.Request, in.Event
	a := map[string]string{"City": p.City, "Number": r.Number, "Address": r.Address, "Link": link,
		"Status": i18n.Text(lang, "status."+string(r.Status), nil)}
	if r.Apartment != "" {
		a["Address"] += ", " + r.Apartment
	}
	if c := in.Dir.Category(r.CategoryID); c != nil {
		a["Category"] = LocalName(c.NameRU, c.NameEN, lang)
	}
	a["Organization"] = i18n.Text(lang, "notify.no_organization", nil)
	if r.OrganizationID != nil {
		if o := in.Dir.Organization(*r.OrganizationID); o != nil {
			a["Organization"] = LocalName(o.NameRU, o.NameEN, lang)
		}
	}
	if due := r.ResolutionDueAt; due != nil {
		if r.AcceptedAt == nil && r.ReactionDueAt != nil {
			due = r.ReactionDueAt
		}
		loc := p.Location
		if loc == nil {
			loc = time.UTC
		}
		a["Due"] = due.In(loc).Format("02.01.2006 15:04")
	}
	switch CitizenNotice(ev) {
	case NoticeResolved:
		a["Answer"] = ev.Comment
	case NoticeRejected:
		a["Reason"] = ev.Comment
		if a["Reason"] == "" {
			a["Reason"] = i18n.Embedded().TextNamed(lang, ev.Note.Code, ev.Note.Args, nil)
		}
	}
	if in.Outage != nil {
		a["Notice"] = in.Outage.Notice(lang)
	}
	return a
}

// Render turns a planned notice into the notification to send: the city's
// template (or the catalog's) in its language, an e-mail ending with the
// opt-out link of the address's token. ev is the history event told of,
// nil for an outage's alert (pn.AlertID).
func (p *NoticePlanner) Render(pn PlannedNotice, token string, ev *RequestEvent, now time.Time) Notification {
	args := pn.Args
	args["OptOut"] = p.OptOutLink(token)
	t := NoticeTemplate{Kind: pn.Kind, Lang: pn.Lang}
	if i := slices.IndexFunc(p.Templates, func(t NoticeTemplate) bool { return t.Kind == pn.Kind && t.Lang == pn.Lang }); i >= 0 {
		t = p.Templates[i]
	}
	rn := RenderNotice(t, args)
	n := Notification{Kind: pn.Kind, Channel: pn.Channel, Address: pn.Address, Lang: pn.Lang, AlertID: pn.AlertID,
		Status: NotificationPending, CreatedAt: now}
	if ev != nil {
		n.RequestID, n.EventID = ev.RequestID, ev.ID
	}
	if pn.Channel == ChannelSMS {
		n.Body = rn.SMS
		return n
	}
	footer, _ := renderText(i18n.Source(pn.Lang, "notify.footer"), args)
	n.Subject, n.Body = rn.Subject, rn.Body+"\n\n"+footer
	return n
}

// NotifyStore is what the notifier needs of a city's storage.
type NotifyStore interface {
	// NoticeFanOut turns up to limit new history events and up to limit
	// new alerts of late outages into pending notifications (p.Plan,
	// p.PlanOutageAlert and p.Render, with the city's templates and each
	// address's opt-out token), skipping addresses that opted out, in one
	// transaction; it reports the larger of how many events and how many
	// alerts it took.
	NoticeFanOut(ctx context.Context, p *NoticePlanner, now time.Time, limit int) (int, error)
	// PendingNotifications lists the ids of notifications not yet sent,
	// oldest first, after the id after.
	PendingNotifications(ctx context.Context, after int64, limit int) ([]int64, error)
	// Notification returns one notification, and whether its address has
	// opted out since it was made.
	Notification(ctx context.Context, id int64) (*Notification, bool, error)
	// RecordNotification stores the outcome of an attempt (status,
	// attempts, last error, sent at).
	RecordNotification(ctx context.Context, n *Notification) error
}
