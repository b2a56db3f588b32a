// Package mailtest runs mailpit, a real SMTP server with an HTTP API, for
// tests that send e-mail.
package mailtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/core/testproc"
)

// Install is how to get the mailpit binary the tests need.
const Install = "go install github.com/axllent/mailpit@v1.33.1"

// Mailpit is a running mailpit.
type Mailpit struct {
	SMTP string // host:port of its SMTP server
	API  string // base URL of its HTTP API
}

// Start runs mailpit on free ports until the test ends. A missing binary
// fails the test with the command that installs it.
func Start(tb testing.TB) *Mailpit {
	tb.Helper()
	bin, err := testproc.Find("mailpit")
	if err != nil {
		tb.Fatalf("mailpit (a test SMTP server) is needed by the signup tests; install: %s", Install)
	}
	smtpPort, httpPort := fmt.Sprint(testproc.FreePort(tb)), fmt.Sprint(testproc.FreePort(tb))
	cmd := exec.Command(bin, "--smtp", "127.0.0.1:"+smtpPort, "--listen", "127.0.0.1:"+httpPort,
		"--database", filepath.Join(tb.TempDir(), "mailpit.db"), "--disable-version-check", "--quiet")
	logs := testproc.Start(tb, cmd)
	m := &Mailpit{SMTP: "127.0.0.1:" + smtpPort, API: "http://127.0.0.1:" + httpPort}
	testproc.WaitReady(tb, "mailpit", 20*time.Second, 50*time.Millisecond, logs, func() error {
		resp, err := http.Get(m.API + "/api/v1/messages")
		if err != nil {
			return err
		}
		resp.Body.Close()
		c, err := net.DialTimeout("tcp", m.SMTP, time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	return m
}

// Sender sends to this mailpit as the server would (plain SMTP, no auth).
func (m *Mailpit) Sender() *mail.SMTP {
	s, err := mail.ParseURL("smtp://"+m.SMTP, "OpenCity <noreply@opencity.test>")
	if err != nil {
		panic(err) // a fixed, valid URL
	}
	return s
}

// URL is the OPENCITY_SMTP_URL that reaches this mailpit.
func (m *Mailpit) URL() string { return "smtp://" + m.SMTP }

// Message is a received message as mailpit's API gives it.
type Message struct {
	ID      string
	Subject string
	To      []string
	Text    string
}

// Messages returns the messages received for an address, newest first,
// with their text.
func (m *Mailpit) Messages(tb testing.TB, to string) []Message {
	tb.Helper()
	var list struct {
		Messages []struct {
			ID      string
			Subject string
			To      []struct{ Address string }
		}
	}
	m.get(tb, "/api/v1/messages?limit=1000", &list)
	var out []Message
	for _, l := range list.Messages {
		msg := Message{ID: l.ID, Subject: l.Subject}
		for _, a := range l.To {
			msg.To = append(msg.To, a.Address)
		}
		if !strings.EqualFold(strings.Join(msg.To, ","), to) {
			continue
		}
		var full struct{ Text string }
		m.get(tb, "/api/v1/message/"+l.ID, &full)
		msg.Text = full.Text
		out = append(out, msg)
	}
	return out
}

// Wait returns the newest message for an address, waiting up to 10 s for
// one to arrive.
func (m *Mailpit) Wait(tb testing.TB, to string) Message {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if ms := m.Messages(tb, to); len(ms) > 0 {
			return ms[0]
		}
		if time.Now().After(deadline) {
			tb.Fatalf("no e-mail to %s reached mailpit", to)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *Mailpit) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(m.API + path)
	if err != nil {
		tb.Fatalf("mailpit API: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit API %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("mailpit API %s: %v", path, err)
	}
}

// Link returns the first link of the newest message to an address that
// starts with prefix (e.g. "http://opencity.test/signup/confirm?token="),
// waiting for the message like Wait.
func (m *Mailpit) Link(tb testing.TB, to, prefix string) string {
	tb.Helper()
	msg := m.Wait(tb, to)
	i := strings.Index(msg.Text, prefix)
	if i < 0 {
		tb.Fatalf("the e-mail to %s has no link %s…: %s", to, prefix, msg.Text)
	}
	link := msg.Text[i:]
	if end := strings.IndexAny(link, " \r\n\t"); end >= 0 {
		link = link[:end]
	}
	return link
}
