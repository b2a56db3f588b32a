// Package sms sends text messages through an SMS gateway. Sender is the
// port; SMSRu is the adapter for SMS.ru's HTTP API
// (https://sms.ru/api/send): POST /sms/send with api_id, to, msg and
// json=1, answered by a JSON document whose status_code 100 means accepted.
package sms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Sender delivers one text message to one phone number (E.164, "+7…").
type Sender interface {
	Send(ctx context.Context, phone, text string) error
	// Name names the gateway in the console and the logs.
	Name() string
}

// ErrRejected wraps a gateway's refusal of one message (a bad or barred
// number, a text it will not take): sending it again will not help.
var ErrRejected = errors.New("sms: rejected by the gateway")

// SMSRu sends through SMS.ru.
type SMSRu struct {
	APIID string // the account's api_id
	// From is the approved sender name; "" for the account's default.
	From string
	// BaseURL is the API's address; DefaultSMSRuURL when empty (tests
	// point it at a local fake).
	BaseURL string
	HTTP    *http.Client // nil: a client with a 15 s timeout
}

// DefaultSMSRuURL is SMS.ru's API address.
const DefaultSMSRuURL = "https://sms.ru"

// Name implements Sender.
func (s *SMSRu) Name() string { return "SMS.ru" }

// smsRuAnswer is SMS.ru's JSON answer to /sms/send.
type smsRuAnswer struct {
	Status     string `json:"status"`
	StatusCode int    `json:"status_code"`
	StatusText string `json:"status_text"`
	SMS        map[string]struct {
		Status     string `json:"status"`
		StatusCode int    `json:"status_code"`
		StatusText string `json:"status_text"`
		SMSID      string `json:"sms_id"`
	} `json:"sms"`
}

// Send implements Sender. A transport failure, an HTTP error or a refusal
// of the whole request (a wrong api_id, no money) is an error worth
// retrying; the gateway's refusal of the number or the text wraps
// ErrRejected. Errors never contain the number or the text.
func (s *SMSRu) Send(ctx context.Context, phone, text string) error {
	to := strings.TrimPrefix(strings.TrimSpace(phone), "+")
	if to == "" || strings.Trim(to, "0123456789") != "" {
		return fmt.Errorf("%w: not a phone number", ErrRejected)
	}
	base := s.BaseURL
	if base == "" {
		base = DefaultSMSRuURL
	}
	form := url.Values{"api_id": {s.APIID}, "to": {to}, "msg": {text}, "json": {"1"}}
	if s.From != "" {
		form.Set("from", s.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/sms/send", strings.NewReader(form.Encode()))
	if err != nil {
		return fmt.Errorf("sms.ru: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	client := s.HTTP
	if client == nil {
		client = &http.Client{Timeout: 15 * time.Second}
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL carries no personal data, but keep the log short
		}
		return fmt.Errorf("sms.ru: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("sms.ru: HTTP %d", resp.StatusCode)
	}
	var a smsRuAnswer
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil {
		return fmt.Errorf("sms.ru: unreadable answer: %v", err)
	}
	if a.Status != "OK" || a.StatusCode != 100 {
		return fmt.Errorf("sms.ru: status %d", a.StatusCode)
	}
	one, ok := a.SMS[to]
	if !ok {
		return fmt.Errorf("sms.ru: the answer names no message")
	}
	if one.Status != "OK" || one.StatusCode != 100 {
		return fmt.Errorf("%w: SMS.ru status %d", ErrRejected, one.StatusCode)
	}
	return nil
}
