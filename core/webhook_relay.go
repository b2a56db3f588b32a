package core

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// WebhookPayload is the JSON body of every delivery (api_version
// WebhookAPIVersion). ID is the event's id: the same for every endpoint and
// every redelivery of the event, so receivers deduplicate by it.
type WebhookPayload struct {
	ID         string         `json:"id"`
	APIVersion string         `json:"api_version"`
	Type       string         `json:"type"`
	CreatedAt  time.Time      `json:"created_at"`
	City       string         `json:"city"`
	Data       WebhookRequest `json:"data"`
}

// WebhookRequest is the request an event is about, without the
// applicant's personal data, and the event itself.
type WebhookRequest struct {
	Number       string    `json:"number"`
	Status       Status    `json:"status"`
	Priority     Priority  `json:"priority"`
	Category     string    `json:"category"`
	Organization string    `json:"organization,omitempty"`
	Executor     string    `json:"executor,omitempty"`
	Address      string    `json:"address,omitempty"`
	Description  string    `json:"description"`
	CreatedAt    time.Time `json:"created_at"`
	// ExternalSource and ExternalID name the external system's record an
	// imported request came from.
	ExternalSource string       `json:"external_source,omitempty"`
	ExternalID     string       `json:"external_id,omitempty"`
	Event          WebhookEvent `json:"event"`
}

// WebhookEvent is the history event behind a webhook event.
type WebhookEvent struct {
	Kind         string `json:"kind"`
	FromStatus   string `json:"from_status,omitempty"`
	ToStatus     string `json:"to_status,omitempty"`
	Organization string `json:"organization,omitempty"` // where an assignment went
	Comment      string `json:"comment,omitempty"`
}

// WebhookTypes are the event types a history event raises.
func WebhookTypes(ev *RequestEvent) []string {
	var out []string
	if ev.OrganizationID != nil {
		out = append(out, EventRequestAssigned)
	}
	if ev.FromState != ev.ToState && ev.ToState != "" {
		out = append(out, EventRequestStatusChanged)
	}
	switch ev.Kind {
	case "comment":
		out = append(out, EventRequestCommented)
	case "escalated":
		out = append(out, EventRequestOverdue)
	}
	return out
}

// WebhookAudience reports whether an endpoint receives event typ raised by
// ev on request r: the city's endpoints all of them, an organization's
// those of the requests it holds or executes or was just given, and only
// public comments; an import connector's callback those of the requests
// from its source.
func WebhookAudience(e *WebhookEndpoint, typ string, ev *RequestEvent, r *Request) bool {
	if !e.Subscribes(typ) {
		return false
	}
	if e.ExternalSource != "" && (r.ExternalSource == nil || *r.ExternalSource != e.ExternalSource) {
		return false
	}
	if e.OrganizationID == nil {
		return true
	}
	org := *e.OrganizationID
	if typ == EventRequestCommented && !ev.Public {
		return false
	}
	return (r.OrganizationID != nil && *r.OrganizationID == org) || (r.ExecutorID != nil && *r.ExecutorID == org) ||
		(ev.OrganizationID != nil && *ev.OrganizationID == org)
}

// NewWebhookPayload builds the body of event typ raised by ev on r; orgs
// names organizations by id.
func NewWebhookPayload(city, typ string, ev *RequestEvent, r *Request, orgs map[int64]string) WebhookPayload {
	p := WebhookPayload{ID: fmt.Sprintf("evt_%s_%d_%s", city, ev.ID, typ[len("request."):]), APIVersion: WebhookAPIVersion,
		Type: typ, CreatedAt: ev.CreatedAt.UTC(), City: city,
		Data: WebhookRequest{Number: r.Number, Status: r.Status, Priority: r.Priority, Category: r.CategoryCode,
			Organization: r.Organization, Executor: r.Executor, Address: r.Address, Description: r.Description,
			CreatedAt: r.CreatedAt.UTC(),
			Event:     WebhookEvent{Kind: ev.Kind, FromStatus: ev.FromState, ToStatus: ev.ToState}}}
	if ev.OrganizationID != nil {
		p.Data.Event.Organization = orgs[*ev.OrganizationID]
	}
	if r.ExternalSource != nil && r.ExternalID != nil {
		p.Data.ExternalSource, p.Data.ExternalID = *r.ExternalSource, *r.ExternalID
	}
	if ev.Kind == "comment" {
		p.Data.Event.Comment = ev.Comment
	}
	return p
}

// OutagePayload is the JSON body of an outage.declared delivery: the same
// envelope as WebhookPayload, with the outage as its data.
type OutagePayload struct {
	ID         string        `json:"id"`
	APIVersion string        `json:"api_version"`
	Type       string        `json:"type"`
	CreatedAt  time.Time     `json:"created_at"`
	City       string        `json:"city"`
	Data       WebhookOutage `json:"data"`
}

// WebhookOutage is an outage as webhooks describe it.
type WebhookOutage struct {
	ID           int64     `json:"id"`
	Utility      string    `json:"utility"`
	Kind         string    `json:"kind"`
	Organization string    `json:"organization,omitempty"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	NoticeRU     string    `json:"notice_ru"`
	NoticeEN     string    `json:"notice_en"`
	Buildings    int       `json:"buildings"`
}

// NewOutagePayload builds the body of the outage.declared event of o,
// which covers n buildings.
func NewOutagePayload(city string, o *Outage, n int) OutagePayload {
	return OutagePayload{ID: fmt.Sprintf("evt_%s_outage_%d_declared", city, o.ID), APIVersion: WebhookAPIVersion,
		Type: EventOutageDeclared, CreatedAt: o.CreatedAt.UTC(), City: city,
		Data: WebhookOutage{ID: o.ID, Utility: o.Utility, Kind: o.Kind, Organization: o.Organization, StartsAt: o.StartsAt.UTC(),
			EndsAt: o.EndsAt.UTC(), NoticeRU: o.NoticeRU, NoticeEN: o.NoticeEN, Buildings: n}}
}

// OutageAudience reports whether an endpoint receives the outage.declared
// event of o: the city's endpoints, and those of the organization the
// outage is with.
func OutageAudience(e *WebhookEndpoint, o *Outage) bool {
	if !e.Subscribes(EventOutageDeclared) {
		return false
	}
	return e.OrganizationID == nil || (o.OrganizationID != nil && *e.OrganizationID == *o.OrganizationID)
}

// RelayStore is what the relay needs of a city's storage.
type RelayStore interface {
	// FanOut turns up to limit new history events into deliveries for the
	// endpoints that take them, in one transaction, and reports how many
	// events it took.
	FanOut(ctx context.Context, city string, now time.Time, limit int) (int, error)
	// DueEndpoints are the enabled endpoints with pending deliveries that
	// are not waiting for a retry at now.
	DueEndpoints(ctx context.Context, now time.Time) ([]WebhookEndpoint, error)
	// LeaseEndpoint takes an endpoint for this relay until until, unless
	// another relay holds it.
	LeaseEndpoint(ctx context.Context, id int64, now, until time.Time) (bool, error)
	// PendingDeliveries are an endpoint's pending deliveries, oldest first.
	PendingDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error)
	// RecordAttempt stores the outcome of one delivery attempt with the
	// endpoint's state after it (ep carries failures, failing_since,
	// retry_at, status and the released lease).
	RecordAttempt(ctx context.Context, d *WebhookDelivery, ep *WebhookEndpoint) error
	// NextRetry is the earliest time an enabled endpoint with pending
	// deliveries is due; nil when none waits.
	NextRetry(ctx context.Context) (*time.Time, error)
}

// WebhookRelay delivers one city's webhook events: at least once, in the
// order they happened per endpoint (so per request), retrying a failing
// endpoint with exponential backoff (WebhookBackoff) for
// WebhookRetryWindow, after which the delivery is given up and an
// endpoint that has not answered since is disabled and its owner told.
type WebhookRelay struct {
	Store RelayStore
	City  string
	HTTP  *http.Client // its Timeout bounds a hanging receiver
	Now   func() time.Time
	// Disabled is told of an endpoint just disabled (its owner is told);
	// nil for nobody.
	Disabled func(ctx context.Context, e *WebhookEndpoint) error
}

// WebhookBackoff is the wait after an endpoint's n-th failure in a row:
// 10 s doubling, at most an hour.
func WebhookBackoff(n int) time.Duration {
	if n > 10 {
		return time.Hour
	}
	return min(10*time.Second<<max(n-1, 0), time.Hour)
}

const (
	relayBatch = 200
	relayLease = 2 * time.Minute
)

// Run fans out the new events and delivers what is due. It returns when
// the next retry is due (zero when nothing waits).
func (w *WebhookRelay) Run(ctx context.Context) (time.Time, error) {
	for {
		n, err := w.Store.FanOut(ctx, w.City, w.Now().UTC(), relayBatch)
		if err != nil {
			return time.Time{}, err
		}
		if n < relayBatch {
			break
		}
	}
	eps, err := w.Store.DueEndpoints(ctx, w.Now().UTC())
	if err != nil {
		return time.Time{}, err
	}
	for i := range eps {
		if err := w.endpoint(ctx, &eps[i]); err != nil {
			return time.Time{}, err
		}
	}
	next, err := w.Store.NextRetry(ctx)
	if err != nil || next == nil {
		return time.Time{}, err
	}
	return *next, nil
}

// endpoint sends an endpoint's pending deliveries in order until one fails.
func (w *WebhookRelay) endpoint(ctx context.Context, ep *WebhookEndpoint) error {
	now := w.Now().UTC()
	if ok, err := w.Store.LeaseEndpoint(ctx, ep.ID, now, now.Add(relayLease)); err != nil || !ok {
		return err
	}
	ds, err := w.Store.PendingDeliveries(ctx, ep.ID, relayBatch)
	if err != nil {
		return err
	}
	ep.LeaseUntil = nil
	for i := range ds {
		d := &ds[i]
		code, sendErr := w.send(ctx, ep, d)
		now = w.Now().UTC()
		d.Attempts++
		d.AttemptedAt, d.LastStatus = &now, code
		if sendErr == nil {
			d.Status, d.LastError, d.DeliveredAt = DeliveryDelivered, "", &now
			ep.Failures, ep.FailingSince, ep.RetryAt = 0, nil, nil
			ep.LeaseUntil = nil // released after the last one
			if i < len(ds)-1 {
				ep.LeaseUntil = ptr(now.Add(relayLease))
			}
			if err := w.Store.RecordAttempt(ctx, d, ep); err != nil {
				return err
			}
			continue
		}
		d.LastError = sendErr.Error()
		if len(d.LastError) > 500 {
			d.LastError = d.LastError[:500]
		}
		if now.Sub(d.CreatedAt) >= WebhookRetryWindow {
			d.Status = DeliveryFailed
		}
		ep.Failures++
		if ep.FailingSince == nil {
			ep.FailingSince = &now
		}
		ep.RetryAt = ptr(now.Add(WebhookBackoff(ep.Failures)))
		disable := now.Sub(*ep.FailingSince) >= WebhookRetryWindow
		if disable {
			ep.Status, ep.DisabledAt = EndpointDisabled, &now
		}
		if err := w.Store.RecordAttempt(ctx, d, ep); err != nil {
			return err
		}
		if disable && w.Disabled != nil {
			return w.Disabled(ctx, ep)
		}
		return nil
	}
	return nil
}

func ptr[T any](v T) *T { return &v }

// send posts one delivery, signed at the moment of sending; any answer
// but 2xx is a failure.
func (w *WebhookRelay) send(ctx context.Context, ep *WebhookEndpoint, d *WebhookDelivery) (int, error) {
	body := []byte(d.Payload)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "OpenCity-Webhooks/1")
	req.Header.Set(WebhookSignatureHeader, SignWebhook(ep.Secret, w.Now(), body))
	var id struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(body, &id)
	req.Header.Set("OpenCity-Event-Id", id.ID)
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp.StatusCode, fmt.Errorf("HTTP %s", strconv.Itoa(resp.StatusCode))
	}
	return resp.StatusCode, nil
}
