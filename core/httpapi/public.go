package httpapi

import (
	"strings"
	"time"

	"github.com/opencity/opencity/core"
)

func (a *API) submitPublic(c *Call, in core.NewRequest) (*publicSubmittedJSON, error) {
	r, code, err := a.Services().PublicIntake(c.City).Submit(c.Ctx, in)
	if err != nil {
		return nil, err
	}
	return &publicSubmittedJSON{Number: r.Number, Status: r.Status, TrackingCode: code,
		TrackURL: strings.TrimSuffix(c.Request.URL.Path, "/") + "/" + code}, nil
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
	Note      string    `json:"note,omitempty"` // the system's words, in the reader's language
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func (a *API) getPublic(c *Call, _ none) (*publicRequestJSON, error) {
	p, err := a.Services().PublicIntake(c.City).Track(c.Ctx, c.Param("code"))
	if err != nil {
		return nil, err
	}
	r := p.Request
	hist := make([]publicEventJSON, 0, len(p.History))
	lang := Lang(c.Context)
	for _, e := range p.History {
		hist = append(hist, publicEventJSON{e.Kind, e.FromState, e.ToState, e.Note.Text(lang), e.Comment, e.CreatedAt})
	}
	return &publicRequestJSON{Number: r.Number, Status: r.Status, Category: r.CategoryCode,
		Address: r.Address, Description: r.Description, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, History: hist}, nil
}
