package mail_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opencity/opencity/core/mail"
	"github.com/opencity/opencity/core/mail/mailtest"
)

// A message in Russian reaches a real SMTP server intact; a recipient that
// smuggles a header or a second address is refused before anything is sent.
func TestSMTPDelivery(t *testing.T) {
	mp := mailtest.Start(t)
	s := mp.Sender()
	text := "Здравствуйте!\nСсылка: http://opencity.test/signup/confirm?token=abc_DEF-123\n" + strings.Repeat("длинная строка ", 20)
	if err := s.Send(context.Background(), mail.Message{To: "anna@example.org", Subject: "Подтвердите адрес\r\nBcc: evil@example.org", Text: text}); err != nil {
		t.Fatal(err)
	}
	got := mp.Wait(t, "anna@example.org")
	if got.Subject != "Подтвердите адрес Bcc: evil@example.org" || !strings.Contains(got.Text, "token=abc_DEF-123") || !strings.Contains(got.Text, "длинная строка длинная") {
		t.Fatalf("received %+v", got)
	}
	for _, to := range []string{"anna@example.org\r\nBcc: evil@example.org", "a@example.org, b@example.org", "Anna <a@example.org>", "nobody"} {
		if err := s.Send(context.Background(), mail.Message{To: to, Subject: "x", Text: "x"}); err == nil {
			t.Errorf("sent to %q", to)
		}
	}
	if n := len(mp.Messages(t, "evil@example.org")); n != 0 {
		t.Errorf("%d messages reached the smuggled address", n)
	}
	for _, bad := range []string{"http://mail.example.org", "smtp://", "mail.example.org:25"} {
		if _, err := mail.ParseURL(bad, "a@example.org"); err == nil {
			t.Errorf("ParseURL(%q) accepted", bad)
		}
	}
}
