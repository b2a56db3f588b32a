package core

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"text/template"
	"time"

	"github.com/opencity/opencity/core/i18n"
)

// Notice kinds: what a notification tells. The citizen's are about their
// request; the organization's and staff's about work to do.
const (
	NoticeAccepted  = "accepted"  // citizen: the organization took the request
	NoticeResolved  = "resolved"  // citizen: done, with the answer; please confirm
	NoticeClosed    = "closed"    // citizen: the request is closed
	NoticeRejected  = "rejected"  // citizen: refused, with the reason
	NoticeOutage    = "outage"    // citizen: the request waits for an outage, with its notice
	NoticeAssigned  = "assigned"  // organization: a request was given to it
	NoticeEscalated = "escalated" // organization, dispatchers, HQ: a request is late
	// NoticeOutageLate: the organization that declared an outage, its
	// managers, dispatchers, HQ: the outage is open past its expected end.
	NoticeOutageLate = "outage_late"
)

// NoticeKinds lists the kinds in the order the console shows them.
var NoticeKinds = []string{NoticeAccepted, NoticeResolved, NoticeClosed, NoticeRejected, NoticeOutage, NoticeAssigned, NoticeEscalated, NoticeOutageLate}

// Notification channels.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Notification states.
const (
	NotificationPending  = "pending"
	NotificationSent     = "sent"
	NotificationFailed   = "failed"    // its last attempt failed
	NotificationOptedOut = "opted_out" // its address turned notifications off before it went
)

// ObjNotifications are the city's notification templates (city admin).
const ObjNotifications = "notifications"

// Notification is one message to one address: an e-mail (Subject, Body)
// or an SMS (Body). Address is personal data: it is never logged.
type Notification struct {
	ID        int64      `bun:"id,pk,autoincrement"`
	Kind      string     `bun:"kind,notnull"`
	Channel   string     `bun:"channel,notnull"`
	Address   string     `bun:"address,notnull"` // e-mail address or E.164 phone number
	Lang      string     `bun:"lang,notnull"`
	Subject   string     `bun:"subject,notnull"`
	Body      string     `bun:"body,notnull"`
	RequestID int64      `bun:"request_id,notnull"` // 0 for an outage's alert
	EventID   int64      `bun:"event_id,notnull"`   // the history event told of, 0 for an alert
	AlertID   int64      `bun:"alert_id,notnull"`   // the outage's escalation alert told of, 0 for an event
	Status    string     `bun:"status,notnull"`
	Attempts  int        `bun:"attempts,notnull"`
	LastError string     `bun:"last_error,notnull"`
	CreatedAt time.Time  `bun:"created_at,notnull"`
	SentAt    *time.Time `bun:"sent_at"`
}

// NoticeTemplate is a city's wording of one kind in one language: the
// e-mail's subject and body and the SMS text, each a Go text/template
// over NoticeArgs' names ({{.Number}}, {{.Link}} …).
type NoticeTemplate struct {
	Kind      string    `bun:"kind,pk" json:"kind"`
	Lang      string    `bun:"lang,pk" json:"lang"`
	Subject   string    `bun:"subject,notnull" json:"subject"`
	Body      string    `bun:"body,notnull" json:"body"`
	SMS       string    `bun:"sms,notnull" json:"sms"`
	UpdatedBy *int64    `bun:"updated_by" json:"-"`
	UpdatedAt time.Time `bun:"updated_at,notnull" json:"updated_at"`
	// Custom is false for the catalog's default wording.
	Custom bool `bun:"-" json:"custom"`
}

// NoticeArgs are the names a template may use.
var NoticeArgs = []string{"City", "Number", "Category", "Address", "Status", "Link", "Answer", "Reason", "Notice", "Organization", "Due", "OptOut", "Utility", "Level"}

// Limits of a template.
const (
	MaxNoticeSubject = 200
	MaxNoticeBody    = 4000
	MaxNoticeSMS     = 480 // three concatenated Cyrillic SMS parts (3 × 67 = 201 is the cheap length)
)

// Recipient is who a notice goes to: an e-mail address, a phone number or
// both, in a language.
type Recipient struct {
	Email string
	Phone string // E.164; empty for no SMS
	Lang  string
}

// CitizenNotice is the citizen's notice kind a history event raises, ""
// for none.
func CitizenNotice(ev *RequestEvent) string {
	if ev.Kind == "outage" {
		return NoticeOutage
	}
	if ev.FromState == ev.ToState {
		return ""
	}
	switch Status(ev.ToState) {
	case StatusAccepted:
		return NoticeAccepted
	case StatusResolved:
		return NoticeResolved
	case StatusClosed:
		return NoticeClosed
	case StatusRejected:
		return NoticeRejected
	}
	return ""
}

// OrganizationNotice is the notice an event raises for an organization
// (to whom it went: ev.OrganizationID, or the holder of an escalated
// request), "" for none. A request attached to an outage is not news to
// the supplier that declared it.
func OrganizationNotice(ev *RequestEvent) string {
	switch {
	case ev.Kind == "escalated":
		return NoticeEscalated
	case ev.Kind == "outage":
		return ""
	case ev.OrganizationID != nil:
		return NoticeAssigned
	}
	return ""
}

// StaffNotified are the staff roles told of an escalation of the given
// level by e-mail: the addressees of its alerts (AlertAddressees) but the
// organization's manager, who is told as the organization.
func StaffNotified(level int) []Role {
	var out []Role
	for _, r := range AlertAddressees(level, false) {
		if r != RoleOrgManager {
			out = append(out, r)
		}
	}
	return out
}

// NoticeStore keeps a city's templates and opt-outs.
type NoticeStore interface {
	// NoticeTemplates returns the city's own templates.
	NoticeTemplates(ctx context.Context) ([]NoticeTemplate, error)
	PutNoticeTemplate(ctx context.Context, t *NoticeTemplate) error
	DeleteNoticeTemplate(ctx context.Context, kind, lang string) error
	// OptOut turns the notifications of the address with the token off;
	// it returns ErrNotFound for an unknown token.
	OptOut(ctx context.Context, token string, now time.Time) error
}

// Notices manages a city's notification templates and opt-outs.
type Notices struct {
	Store NoticeStore
	Gate  Gate
	Now   func() time.Time
}

// Templates returns every kind's template in every language: the city's
// own where it has one, the catalog's otherwise.
func (n *Notices) Templates(ctx context.Context, a Actor) ([]NoticeTemplate, error) {
	if err := n.Gate.Allow(ctx, a, ObjNotifications, ActRead); err != nil {
		return nil, err
	}
	own, err := n.Store.NoticeTemplates(ctx)
	if err != nil {
		return nil, err
	}
	return MergeTemplates(own), nil
}

// MergeTemplates completes a city's own templates with the catalog's, for
// every kind and language, in NoticeKinds order.
func MergeTemplates(own []NoticeTemplate) []NoticeTemplate {
	var out []NoticeTemplate
	for _, k := range NoticeKinds {
		for _, l := range i18n.Languages {
			i := slices.IndexFunc(own, func(t NoticeTemplate) bool { return t.Kind == k && t.Lang == l })
			if i >= 0 {
				t := own[i]
				t.Custom = true
				out = append(out, t)
			} else {
				out = append(out, DefaultTemplate(k, l))
			}
		}
	}
	return out
}

// DefaultTemplate is the catalog's wording of a kind in lang
// (notify.<kind>.subject, .body and .sms).
func DefaultTemplate(kind, lang string) NoticeTemplate {
	raw := func(part string) string { return i18n.Source(lang, "notify."+kind+"."+part) }
	return NoticeTemplate{Kind: kind, Lang: lang, Subject: raw("subject"), Body: raw("body"), SMS: raw("sms")}
}

// Put stores the city's wording of a kind in a language after checking
// that every part parses and renders with sample values.
func (n *Notices) Put(ctx context.Context, a Actor, t NoticeTemplate) error {
	if err := n.Gate.Allow(ctx, a, ObjNotifications, ActUpdate); err != nil {
		return err
	}
	if err := t.Validate(); err != nil {
		return err
	}
	t.UpdatedAt, t.UpdatedBy = n.Now().UTC(), actorID(a)
	return n.Store.PutNoticeTemplate(ctx, &t)
}

// Reset drops the city's wording of a kind in a language: the catalog's
// is used again.
func (n *Notices) Reset(ctx context.Context, a Actor, kind, lang string) error {
	if err := n.Gate.Allow(ctx, a, ObjNotifications, ActUpdate); err != nil {
		return err
	}
	if !slices.Contains(NoticeKinds, kind) || !i18n.Supported(lang) {
		return NotFound("notice_template")
	}
	return n.Store.DeleteNoticeTemplate(ctx, kind, lang)
}

// OptOut turns off the notifications of the address the token was given
// to (the link in every e-mail). The token is the credential: whoever
// holds it acts as the anonymous role, logged in or not.
func (n *Notices) OptOut(ctx context.Context, token string) error {
	if err := n.Gate.Allow(ctx, Actor{Role: RoleAnonymous}, ObjNotificationOptOut, ActUpdate); err != nil {
		return err
	}
	token = strings.TrimSpace(token)
	if len(token) < 16 || len(token) > 64 {
		return NotFound("notice_contact")
	}
	return n.Store.OptOut(ctx, token, n.Now().UTC())
}

// Validate checks a template's kind, language, lengths and that each part
// parses and renders with sample values; errors name the field.
func (t *NoticeTemplate) Validate() error {
	f := FieldErrors{}
	if !slices.Contains(NoticeKinds, t.Kind) {
		f.Add("kind", "error.one_of", "List", strings.Join(NoticeKinds, ", "))
	}
	if !i18n.Supported(t.Lang) {
		f.Add("lang", "error.one_of", "List", strings.Join(i18n.Languages, ", "))
	}
	t.Subject = strings.TrimSpace(t.Subject)
	t.Body = strings.TrimSpace(strings.ReplaceAll(t.Body, "\r\n", "\n"))
	t.SMS = strings.TrimSpace(t.SMS)
	for _, p := range []struct {
		field, text string
		max         int
	}{{"subject", t.Subject, MaxNoticeSubject}, {"body", t.Body, MaxNoticeBody}, {"sms", t.SMS, MaxNoticeSMS}} {
		if p.text == "" {
			f.Add(p.field, "error.required")
			continue
		}
		checkLen(f, p.field, p.text, p.max)
		if _, err := renderText(p.text, SampleNoticeArgs(t.Lang)); err != nil {
			f.Add(p.field, "error.notice_template")
		}
	}
	return f.Err()
}

// SampleNoticeArgs are made-up values of every argument, for previews and
// for checking a template.
func SampleNoticeArgs(lang string) map[string]string {
	args := map[string]string{"City": "Казань", "Number": "2026-000123", "Category": "Протечка кровли",
		"Address": "ул. Баумана, 19", "Status": "решена", "Link": "https://kazan.opencity.example/track/ABCD-EFGH-JKLM-NPQR",
		"Answer": "Кровля отремонтирована.", "Reason": "Дом не обслуживается городом.", "Notice": "Плановое отключение горячей воды до 18:00.",
		"Organization": "УК «Вахитовская»", "Due": "30.11.2026 18:00", "OptOut": "https://kazan.opencity.example/notifications/off/0123456789abcdef",
		"Utility": "вода", "Level": "1"}
	if lang == "en" {
		maps.Copy(args, map[string]string{"City": "Kazan", "Category": "Roof leak", "Address": "19 Baumana St", "Status": "resolved",
			"Answer": "The roof was repaired.", "Reason": "The building is not served by the city.",
			"Notice": "Planned hot water shutdown until 18:00.", "Organization": "Vakhitovsky MC", "Utility": "water"})
	}
	return args
}

// errTemplate is a template that does not parse or render.
var errTemplate = errors.New("notice template")

// renderText executes a template text over args; a name args lack renders
// empty, a syntax error is errTemplate.
func renderText(text string, args map[string]string) (string, error) {
	tpl, err := template.New("n").Option("missingkey=zero").Parse(text)
	if err != nil {
		return "", errTemplate
	}
	var b bytes.Buffer
	if err := tpl.Execute(&b, args); err != nil {
		return "", errTemplate
	}
	return strings.ReplaceAll(b.String(), "<no value>", ""), nil
}

// RenderedNotice is a notice in one language: the e-mail's subject and
// body and the SMS text.
type RenderedNotice struct {
	Subject, Body, SMS string
}

// RenderNotice renders the city's template t (the catalog's when it has
// none) with args; a part of a city's own template that no longer renders
// falls back to the catalog's.
func RenderNotice(t NoticeTemplate, args map[string]string) RenderedNotice {
	def := DefaultTemplate(t.Kind, t.Lang)
	part := func(own, dflt string) string {
		if own != "" {
			if s, err := renderText(own, args); err == nil {
				return strings.TrimSpace(s)
			}
		}
		s, _ := renderText(dflt, args)
		return strings.TrimSpace(s)
	}
	return RenderedNotice{Subject: part(t.Subject, def.Subject), Body: part(t.Body, def.Body), SMS: part(t.SMS, def.SMS)}
}

// Preview renders a template (as edited, not yet stored) with sample
// values; a part that does not render is a field error.
func (n *Notices) Preview(ctx context.Context, a Actor, t NoticeTemplate) (RenderedNotice, error) {
	if err := n.Gate.Allow(ctx, a, ObjNotifications, ActRead); err != nil {
		return RenderedNotice{}, err
	}
	if err := t.Validate(); err != nil {
		return RenderedNotice{}, err
	}
	return RenderNotice(t, SampleNoticeArgs(t.Lang)), nil
}

// applicantLang keeps a language the catalog speaks, "" otherwise.
func applicantLang(l string) string {
	if i18n.Supported(l) {
		return l
	}
	return ""
}
