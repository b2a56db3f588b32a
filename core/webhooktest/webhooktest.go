// Package webhooktest is a real HTTP receiver of OpenCity's signed webhook
// events for tests: it can be told to fail, to hang past the sender's
// timeout, or to accept, and it keeps what it accepted with a valid
// signature.
package webhooktest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Mode is how a receiver answers.
type Mode int

const (
	// Accept verifies the signature and answers 204 (400 for a bad one).
	Accept Mode = iota
	// Fail answers 503 without looking at the request.
	Fail
	// Hang never answers: the sender gives up first.
	Hang
)

// Receiver is a webhook endpoint on 127.0.0.1; its URL is the endpoint's
// address to subscribe.
type Receiver struct {
	*httptest.Server

	mu     sync.Mutex
	mode   Mode
	secret string
	got    []map[string]any
	bad    int
	tries  int
}

// Start starts a receiver that accepts; it stops when the test ends. It
// accepts nothing until told the endpoint's secret (SetSecret).
func Start(t testing.TB) *Receiver {
	rc := &Receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

// Set changes how the receiver answers from the next request on.
func (rc *Receiver) Set(m Mode) { rc.mu.Lock(); rc.mode = m; rc.mu.Unlock() }

// SetSecret sets the endpoint's secret the signatures are checked with.
func (rc *Receiver) SetSecret(secret string) { rc.mu.Lock(); rc.secret = secret; rc.mu.Unlock() }

// Secret is the endpoint's secret the receiver was told.
func (rc *Receiver) Secret() string { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.secret }

// Tries is how many requests reached the receiver, whatever its answer.
func (rc *Receiver) Tries() int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.tries }

// Bad is how many requests came with a wrong signature.
func (rc *Receiver) Bad() int { rc.mu.Lock(); defer rc.mu.Unlock(); return rc.bad }

// Got returns the accepted events' payloads, in the order received.
func (rc *Receiver) Got() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...)
}

// Verify checks an OpenCity-Signature header as the README tells receivers
// to: HMAC-SHA256 of "<t>.<body>" with the endpoint's secret.
func Verify(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(ts + "."))
	m.Write(body)
	return ts != "" && hmac.Equal([]byte(sig), []byte(hex.EncodeToString(m.Sum(nil))))
}

func (rc *Receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	mode, secret := rc.mode, rc.secret
	rc.tries++
	rc.mu.Unlock()
	switch mode {
	case Fail:
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	case Hang:
		<-r.Context().Done() // the sender gives up first
		return
	}
	if !Verify(secret, r.Header.Get("OpenCity-Signature"), body) {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	var p map[string]any
	_ = json.Unmarshal(body, &p)
	rc.mu.Lock()
	rc.got = append(rc.got, p)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Events returns the distinct event ids received for a request (by its
// number), in the order first received, and how many deliveries there
// were in all.
func (rc *Receiver) Events(number string) (ids []string, all int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	seen := map[string]bool{}
	for _, p := range rc.got {
		data, _ := p["data"].(map[string]any)
		if data["number"] != number {
			continue
		}
		all++
		id, _ := p["id"].(string)
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, all
}

// EventSeq is the history event number inside an event id
// (evt_<city>_<n>_<type>); -1 for an id of another shape.
func EventSeq(id string) int {
	parts := strings.Split(id, "_")
	if len(parts) < 3 {
		return -1
	}
	n, err := strconv.Atoi(parts[2])
	if err != nil {
		return -1
	}
	return n
}
