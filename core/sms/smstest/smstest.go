// Package smstest is a local stand-in for SMS.ru's HTTP API (POST
// /sms/send, answers as https://sms.ru/api/send documents them), for
// tests of the SMS.ru adapter and of notifications.
package smstest

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// APIID is the api_id the fake accepts.
const APIID = "0123456789ABCDEF-test"

// Message is one message the fake accepted.
type Message struct {
	To, Text, From string
}

// SMSRu is a running fake of SMS.ru.
type SMSRu struct {
	URL string

	mu       sync.Mutex
	messages []Message
	failNext int      // answer HTTP 503 this many times
	barred   []string // numbers answered with status 207
}

// Start runs the fake until the test ends.
func Start(tb testing.TB) *SMSRu {
	f := &SMSRu{}
	srv := httptest.NewServer(http.HandlerFunc(f.serve))
	tb.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

// FailNext makes the next n requests fail with HTTP 503.
func (f *SMSRu) FailNext(n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failNext = n
}

// Bar makes the fake refuse messages to a number (digits, no "+") with
// SMS.ru's status 207.
func (f *SMSRu) Bar(to string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.barred = append(f.barred, to)
}

// Messages returns the accepted messages, oldest first.
func (f *SMSRu) Messages() []Message {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Message(nil), f.messages...)
}

// Wait returns the accepted messages to a number (digits, no "+"),
// waiting up to 10 s for at least one.
func (f *SMSRu) Wait(tb testing.TB, to string) []Message {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []Message
		for _, m := range f.Messages() {
			if m.To == to {
				out = append(out, m)
			}
		}
		if len(out) > 0 {
			return out
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no SMS to %s reached the fake SMS.ru", to)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (f *SMSRu) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/sms/send" {
		http.NotFound(w, r)
		return
	}
	f.mu.Lock()
	if f.failNext > 0 {
		f.failNext--
		f.mu.Unlock()
		http.Error(w, "unavailable", http.StatusServiceUnavailable)
		return
	}
	f.mu.Unlock()
	_ = r.ParseForm()
	w.Header().Set("Content-Type", "application/json")
	if r.Form.Get("api_id") != APIID {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ERROR", "status_code": 200, "status_text": "Неправильный api_id"})
		return
	}
	msg := r.Form.Get("msg")
	sms := map[string]any{}
	for _, to := range strings.Split(r.Form.Get("to"), ",") {
		f.mu.Lock()
		barred := false
		for _, b := range f.barred {
			barred = barred || b == to
		}
		if !barred {
			f.messages = append(f.messages, Message{To: to, Text: msg, From: r.Form.Get("from")})
		}
		f.mu.Unlock()
		if barred {
			sms[to] = map[string]any{"status": "ERROR", "status_code": 207, "status_text": "На этот номер нельзя отправлять сообщения"}
		} else {
			sms[to] = map[string]any{"status": "OK", "status_code": 100, "sms_id": "000000-" + to[max(len(to)-6, 0):]}
		}
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "OK", "status_code": 100, "sms": sms, "balance": 4122.56})
}
