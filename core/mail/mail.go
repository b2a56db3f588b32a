// Package mail sends plain-text e-mail in UTF-8 through an SMTP server
// (RFC 5321, with STARTTLS when the server offers it, or implicit TLS for
// smtps:// as in RFC 8314), or writes it to the log in demo mode.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/url"
	"strings"
	"time"
)

// Message is one plain-text e-mail to one address.
type Message struct {
	To      string // a bare address: anna@example.org
	Subject string
	Text    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// SMTP sends through one SMTP server.
type SMTP struct {
	Addr string // host:port
	From string // the sender, e.g. "OpenCity <noreply@opencity.example>"
	// Auth is PLAIN authentication from the URL's user info, nil without.
	Auth        smtp.Auth
	ImplicitTLS bool
	Timeout     time.Duration // per message; 30 s when zero
}

// ErrURL is returned by ParseURL for an unusable address.
var ErrURL = errors.New("use smtp://[user:password@]host:port or smtps://…")

// ParseURL reads OPENCITY_SMTP_URL: smtp://[user:password@]host[:port]
// (port 25 by default, STARTTLS when offered) or smtps://… (port 465,
// implicit TLS). from is the sender's address.
func ParseURL(raw, from string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "smtp" && u.Scheme != "smtps") || u.Hostname() == "" {
		return nil, fmt.Errorf("%q: %w", raw, ErrURL)
	}
	if _, err := mail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("sender %q is not an e-mail address", from)
	}
	s := &SMTP{From: from, ImplicitTLS: u.Scheme == "smtps"}
	port := u.Port()
	if port == "" {
		port = "25"
		if s.ImplicitTLS {
			port = "465"
		}
	}
	s.Addr = net.JoinHostPort(u.Hostname(), port)
	if u.User != nil {
		pw, _ := u.User.Password()
		s.Auth = smtp.PlainAuth("", u.User.Username(), pw, u.Hostname())
	}
	return s, nil
}

// Send delivers m, within the context's deadline or Timeout.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg, err := Compose(s.From, m)
	if err != nil {
		return err
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(s.Addr)
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if s.ImplicitTLS {
		conn = tls.Client(conn, &tls.Config{ServerName: host})
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok && !s.ImplicitTLS {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.Auth != nil {
		if err := c.Auth(s.Auth); err != nil {
			return fmt.Errorf("smtp auth: %w", err)
		}
	}
	from, _ := mail.ParseAddress(s.From)
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	return c.Quit()
}

// Compose writes m as an RFC 5322 message: the subject encoded as RFC 2047
// words, the text quoted-printable UTF-8. A recipient that is not one bare
// address is refused, so nothing can add headers or recipients.
func Compose(from string, m Message) ([]byte, error) {
	to, err := mail.ParseAddress(m.To)
	if err != nil || to.Address != m.To {
		return nil, fmt.Errorf("mail: %q is not one e-mail address", m.To)
	}
	subject := strings.Join(strings.Fields(m.Subject), " ") // no line breaks
	id := make([]byte, 12)
	_, _ = rand.Read(id)
	domain := "opencity"
	if a, err := mail.ParseAddress(from); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok {
			domain = d
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@%s>\r\n",
		from, to.Address, mime.QEncoding.Encode("utf-8", subject), time.Now().UTC().Format(time.RFC1123Z), hex.EncodeToString(id), domain)
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(strings.ReplaceAll(m.Text, "\n", "\r\n"))); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Log is the sender of demo mode and development: it writes each message,
// links included, to the log instead of sending it.
type Log struct{}

// Send implements Sender.
func (Log) Send(ctx context.Context, m Message) error {
	slog.InfoContext(ctx, "e-mail not sent (no OPENCITY_SMTP_URL; demo mode logs it)", "to", m.To, "subject", m.Subject, "text", m.Text)
	return nil
}
