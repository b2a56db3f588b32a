package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

// trackingAlphabet avoids letters that read alike.
var trackingEncoding = base32.NewEncoding("ABCDEFGHJKLMNPQRSTUVWXYZ23456789").WithPadding(base32.NoPadding)

// newTrackingCode returns 16 characters (80 random bits), shown as
// XXXX-XXXX-XXXX-XXXX.
func newTrackingCode() string {
	b := make([]byte, 10)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return trackingEncoding.EncodeToString(b)
}

func showTrackingCode(code string) string {
	return code[0:4] + "-" + code[4:8] + "-" + code[8:12] + "-" + code[12:16]
}

func normalizeTrackingCode(s string) string {
	return strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(s))
}

func (a *API) submitPublic(c *Call, in core.NewRequest) (*publicSubmittedJSON, error) {
	r, code, err := SubmitAnonymously(c.Ctx, c.City.Store, a.requests(c.Context), in)
	if err != nil {
		return nil, err
	}
	return &publicSubmittedJSON{Number: r.Number, Status: r.Status, TrackingCode: code,
		TrackURL: strings.TrimSuffix(c.Request.URL.Path, "/") + "/" + code}, nil
}

// SubmitAnonymously files a request from someone without an account, when
// the city allows it, and returns it with its tracking code (shown as
// XXXX-XXXX-XXXX-XXXX), the only key to it. The API and the portal use it.
func SubmitAnonymously(ctx context.Context, st AccountStore, reqs *core.Requests, in core.NewRequest) (*core.Request, string, error) {
	v, err := st.Setting(ctx, core.SettingAnonymous)
	if err != nil {
		return nil, "", err
	}
	if v != "on" {
		return nil, "", core.Errorf(core.EFORBIDDEN, "this city takes requests from registered citizens only: register or log in")
	}
	actor, err := st.AnonymousActor(ctx)
	if err != nil {
		return nil, "", err
	}
	// No idempotency key: the anonymous account is shared by everyone, so a
	// replay could hand one person another's tracking code.
	r, _, err := reqs.Submit(ctx, actor, in, "")
	if err != nil {
		return nil, "", err
	}
	code := newTrackingCode()
	if err := st.SetTrackingCode(ctx, r.ID, code); err != nil {
		return nil, "", err
	}
	return r, showTrackingCode(code), nil
}

// AnonymousSubmissions reports whether the city takes requests from people
// without an account.
func AnonymousSubmissions(ctx context.Context, st AccountStore) (bool, error) {
	v, err := st.Setting(ctx, core.SettingAnonymous)
	return v == "on", err
}

// RequestByTrackingCode returns what the holder of a tracking code may see;
// the code may be typed with or without dashes, in any case.
func RequestByTrackingCode(ctx context.Context, st AccountStore, code string) (*core.PublicRequest, error) {
	code = normalizeTrackingCode(code)
	if len(code) != 16 {
		return nil, core.Errorf(core.ENOTFOUND, "no request has this tracking code")
	}
	p, err := st.RequestByTrackingCode(ctx, code)
	if core.ErrorCode(err) == core.ENOTFOUND {
		err = core.Errorf(core.ENOTFOUND, "no request has this tracking code")
	}
	return p, err
}

// publicSubmittedJSON answers an anonymous submission: the tracking code is
// the only key to the request and is shown once.
type publicSubmittedJSON struct {
	Number       string      `json:"number"`
	Status       core.Status `json:"status"`
	TrackingCode string      `json:"tracking_code"`
	TrackURL     string      `json:"track_url"`
}

// publicRequestJSON is what the holder of a tracking code sees: no contact
// details, no organization, no internal history.
type publicRequestJSON struct {
	Number      string            `json:"number"`
	Status      core.Status       `json:"status"`
	Category    string            `json:"category"`
	Address     string            `json:"address"`
	Description string            `json:"description"`
	CreatedAt   time.Time         `json:"created_at"`
	UpdatedAt   time.Time         `json:"updated_at"`
	History     []publicEventJSON `json:"history"`
}

type publicEventJSON struct {
	Kind      string    `json:"kind"`
	From      string    `json:"from,omitempty"`
	To        string    `json:"to,omitempty"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) getPublic(c *Call, _ none) (*publicRequestJSON, error) {
	p, err := RequestByTrackingCode(c.Ctx, c.City.Store, c.Param("code"))
	if err != nil {
		return nil, err
	}
	r := p.Request
	hist := make([]publicEventJSON, 0, len(p.History))
	for _, e := range p.History {
		hist = append(hist, publicEventJSON{e.Kind, e.FromState, e.ToState, e.Comment, e.CreatedAt})
	}
	return &publicRequestJSON{Number: r.Number, Status: r.Status, Category: r.CategoryCode,
		Address: r.Address, Description: r.Description, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, History: hist}, nil
}
