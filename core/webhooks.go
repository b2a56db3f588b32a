package core

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ObjWebhooks are the outbound webhook endpoints and their deliveries: the
// city's (city admin) and an organization's own (its manager).
const ObjWebhooks = "webhooks"

// Webhook event types an endpoint subscribes to.
const (
	// EventRequestAssigned: a request was routed, assigned, delegated or
	// recalled to an organization (sent to that organization and the city).
	EventRequestAssigned = "request.assigned"
	// EventRequestStatusChanged: a request moved in its lifecycle.
	EventRequestStatusChanged = "request.status_changed"
	// EventRequestCommented: a comment was added (an organization's
	// endpoints get the public ones).
	EventRequestCommented = "request.commented"
	// EventRequestOverdue: a request missed its reaction or resolution time
	// and was escalated.
	EventRequestOverdue = "request.overdue"
	// EventOutageDeclared: an outage was declared (sent to the city and to
	// the organization it is with).
	EventOutageDeclared = "outage.declared"
)

// WebhookEvents lists the event types, in the order the API documents them.
var WebhookEvents = []string{EventRequestAssigned, EventRequestStatusChanged, EventRequestCommented, EventRequestOverdue, EventOutageDeclared}

// WebhookAPIVersion is the version of the payload's shape; it changes only
// when a field is removed or changes meaning.
const WebhookAPIVersion = "2026-11-30"

// Endpoint states.
const (
	EndpointEnabled  = "enabled"
	EndpointDisabled = "disabled"
)

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // gave up after WebhookRetryWindow
)

// WebhookRetryWindow is how long a delivery is retried, and how long an
// endpoint may fail without a success before it is disabled and its owner
// told.
const WebhookRetryWindow = 72 * time.Hour

// WebhookEndpoint is a URL that receives a city's or an organization's
// events, signed with its secret.
type WebhookEndpoint struct {
	ID             int64    `bun:"id,pk,autoincrement" json:"id"`
	OrganizationID *int64   `bun:"organization_id" json:"-"`
	Organization   string   `bun:"organization,scanonly" json:"organization,omitempty"` // code; "" for the city's own
	URL            string   `bun:"url,notnull" json:"url"`
	Events         string   `bun:"events,notnull" json:"-"` // comma-separated
	EventList      []string `bun:"-" json:"events"`
	Secret         string   `bun:"secret,notnull" json:"-"`
	OwnerEmail     string   `bun:"owner_email,notnull" json:"owner_email"`
	// ExternalSource, when set, limits the endpoint to the requests an
	// import connector of that code brought in: its status callback.
	ExternalSource string     `bun:"external_source,notnull" json:"external_source,omitempty"`
	Status         string     `bun:"status,notnull" json:"status"`
	Failures       int        `bun:"failures,notnull" json:"failures"`
	FailingSince   *time.Time `bun:"failing_since" json:"failing_since,omitempty"`
	RetryAt        *time.Time `bun:"retry_at" json:"-"`
	LeaseUntil     *time.Time `bun:"lease_until" json:"-"`
	DisabledAt     *time.Time `bun:"disabled_at" json:"disabled_at,omitempty"`
	CreatedBy      *int64     `bun:"created_by" json:"-"`
	CreatedAt      time.Time  `bun:"created_at,notnull" json:"created_at"`
}

// Subscribes reports whether the endpoint takes events of type typ.
func (e *WebhookEndpoint) Subscribes(typ string) bool {
	return slices.Contains(strings.Split(e.Events, ","), typ)
}

// WebhookDelivery is one event on its way to one endpoint.
type WebhookDelivery struct {
	ID          int64      `bun:"id,pk,autoincrement" json:"id"`
	EndpointID  int64      `bun:"endpoint_id,notnull" json:"endpoint_id"`
	EventID     string     `bun:"event_id,notnull" json:"event_id"`
	Type        string     `bun:"type,notnull" json:"type"`
	RequestID   int64      `bun:"request_id,notnull" json:"-"`
	Number      string     `bun:"number,scanonly" json:"number"`
	Payload     string     `bun:"payload,notnull" json:"-"`
	Status      string     `bun:"status,notnull" json:"status"`
	Attempts    int        `bun:"attempts,notnull" json:"attempts"`
	LastStatus  int        `bun:"last_status,notnull" json:"last_status"`
	LastError   string     `bun:"last_error,notnull" json:"last_error"`
	CreatedAt   time.Time  `bun:"created_at,notnull" json:"created_at"`
	AttemptedAt *time.Time `bun:"attempted_at" json:"attempted_at,omitempty"`
	DeliveredAt *time.Time `bun:"delivered_at" json:"delivered_at,omitempty"`
}

// WebhookStore keeps a city's endpoints and deliveries. Every read and
// write of an organization's manager is scoped to that organization.
type WebhookStore interface {
	CreateEndpoint(ctx context.Context, e *WebhookEndpoint) error
	// Endpoints lists the endpoints the actor may see: all of the city's
	// for staff who see every request, an organization's own otherwise.
	Endpoints(ctx context.Context, a Actor) ([]WebhookEndpoint, error)
	// Deliveries lists the newest deliveries of an endpoint the actor may
	// see (ENOTFOUND otherwise), at most limit.
	Deliveries(ctx context.Context, a Actor, endpointID int64, limit int) ([]WebhookDelivery, error)
	// Redeliver makes a delivery of an endpoint the actor may see pending
	// again, due now; ENOTFOUND otherwise.
	Redeliver(ctx context.Context, a Actor, deliveryID int64, now time.Time) error
	// EnableEndpoint turns a disabled endpoint the actor may see back on.
	EnableEndpoint(ctx context.Context, a Actor, endpointID int64, now time.Time) error
}

// NewEndpoint is what a subscriber gives.
type NewEndpoint struct {
	URL        string   `json:"url"`
	Events     []string `json:"events"`
	OwnerEmail string   `json:"owner_email"` // who is told when the endpoint is disabled; the caller's e-mail when empty
}

// Webhooks manages a city's outbound webhook endpoints.
type Webhooks struct {
	Store WebhookStore
	Gate  Gate
	Now   func() time.Time
	City  string
	// Changes is told after a redelivery or an endpoint enabled, so the
	// relay runs soon; nil for nobody.
	Changes ChangeObserver
}

func (w *Webhooks) changed() {
	if w.Changes != nil {
		w.Changes.Changed(w.City)
	}
}

// MaxWebhookURL bounds an endpoint's URL.
const MaxWebhookURL = 2000

// Create subscribes a new endpoint: the city's own for a city admin, the
// caller's organization's for an organization's manager. The returned
// endpoint carries its secret; it is never shown again.
func (w *Webhooks) Create(ctx context.Context, a Actor, in NewEndpoint) (*WebhookEndpoint, error) {
	if err := w.Gate.Allow(ctx, a, ObjWebhooks, ActCreate); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	in.URL = strings.TrimSpace(in.URL)
	checkLen(f, "url", in.URL, MaxWebhookURL)
	if u, err := url.Parse(in.URL); in.URL == "" {
		f.Add("url", "error.required")
	} else if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		f.Add("url", "error.webhook_url")
	}
	if len(in.Events) == 0 {
		f.Add("events", "error.required")
	}
	var events []string
	for _, e := range in.Events {
		if !slices.Contains(WebhookEvents, e) {
			f.Add("events", "error.one_of", "List", strings.Join(WebhookEvents, ", "))
		} else if !slices.Contains(events, e) {
			events = append(events, e)
		}
	}
	in.OwnerEmail = strings.TrimSpace(in.OwnerEmail)
	if in.OwnerEmail == "" {
		in.OwnerEmail = a.Email
	}
	checkLen(f, "owner_email", in.OwnerEmail, 254)
	if in.OwnerEmail != "" && !strings.Contains(in.OwnerEmail, "@") {
		f.Add("owner_email", "error.not_email")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	e := &WebhookEndpoint{URL: in.URL, Events: strings.Join(events, ","), EventList: events, Secret: NewWebhookSecret(),
		OwnerEmail: in.OwnerEmail, Status: EndpointEnabled, CreatedAt: w.Now().UTC(), CreatedBy: actorID(a)}
	if !a.SeesAllRequests() {
		if a.OrganizationID == 0 {
			return nil, E(EFORBIDDEN, "error.not_yours")
		}
		org := a.OrganizationID
		e.OrganizationID = &org
	}
	if err := w.Store.CreateEndpoint(ctx, e); err != nil {
		return nil, err
	}
	return e, nil
}

// List returns the endpoints the actor may see, without their secrets.
func (w *Webhooks) List(ctx context.Context, a Actor) ([]WebhookEndpoint, error) {
	if err := w.Gate.Allow(ctx, a, ObjWebhooks, ActRead); err != nil {
		return nil, err
	}
	es, err := w.Store.Endpoints(ctx, a)
	for i := range es {
		es[i].EventList = strings.Split(es[i].Events, ",")
	}
	return es, err
}

// Deliveries is the delivery log of one endpoint, newest first.
func (w *Webhooks) Deliveries(ctx context.Context, a Actor, endpointID int64, limit int) ([]WebhookDelivery, error) {
	if err := w.Gate.Allow(ctx, a, ObjWebhooks, ActRead); err != nil {
		return nil, err
	}
	return w.Store.Deliveries(ctx, a, endpointID, limit)
}

// Redeliver sends a delivery again, whatever became of it; the receiver
// sees the same event id.
func (w *Webhooks) Redeliver(ctx context.Context, a Actor, deliveryID int64) error {
	if err := w.Gate.Allow(ctx, a, ObjWebhooks, ActUpdate); err != nil {
		return err
	}
	defer w.changed()
	return w.Store.Redeliver(ctx, a, deliveryID, w.Now().UTC())
}

// Enable turns a disabled endpoint back on; its pending deliveries go out.
func (w *Webhooks) Enable(ctx context.Context, a Actor, endpointID int64) error {
	if err := w.Gate.Allow(ctx, a, ObjWebhooks, ActUpdate); err != nil {
		return err
	}
	defer w.changed()
	return w.Store.EnableEndpoint(ctx, a, endpointID, w.Now().UTC())
}

// NewWebhookSecret returns a fresh signing secret, "whsec_" and 32 random
// bytes in base64url.
func NewWebhookSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.RawURLEncoding.EncodeToString(b)
}

// WebhookSignatureHeader carries a delivery's signature.
const WebhookSignatureHeader = "OpenCity-Signature"

// SignWebhook returns the signature header of body sent at t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by secret>",
// the scheme of Stripe's Stripe-Signature header
// (https://docs.stripe.com/webhooks#verify-manually).
func SignWebhook(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts))
	m.Write([]byte("."))
	m.Write(body)
	return "t=" + ts + ",v1=" + hex.EncodeToString(m.Sum(nil))
}

// VerifyWebhook checks a signature header against body and secret, and
// that its time is within tolerance of now (replays are refused).
func VerifyWebhook(secret, header string, body []byte, now time.Time, tolerance time.Duration) bool {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sigs = append(sigs, v)
		}
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	t := time.Unix(sec, 0)
	if d := now.Sub(t); d > tolerance || d < -tolerance {
		return false
	}
	want := SignWebhook(secret, t, body)
	_, wantSig, _ := strings.Cut(want, ",v1=")
	for _, s := range sigs {
		if hmac.Equal([]byte(s), []byte(wantSig)) {
			return true
		}
	}
	return false
}
