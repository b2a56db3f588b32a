package sms_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/opencity/opencity/core/sms"
	"github.com/opencity/opencity/core/sms/smstest"
)

// The adapter speaks SMS.ru's API to a local fake of it: a message is
// accepted, a wrong api_id and an HTTP failure are errors to retry, a
// barred number is ErrRejected, and no error names the number or text.
func TestSMSRu(t *testing.T) {
	fake := smstest.Start(t)
	s := &sms.SMSRu{APIID: smstest.APIID, BaseURL: fake.URL, From: "OpenCity"}
	ctx := context.Background()
	if err := s.Send(ctx, "+79991234567", "Обращение 2026-000001 принято"); err != nil {
		t.Fatal(err)
	}
	got := fake.Wait(t, "79991234567")
	if len(got) != 1 || got[0].Text != "Обращение 2026-000001 принято" || got[0].From != "OpenCity" {
		t.Fatalf("received %+v", got)
	}
	fake.FailNext(1)
	if err := s.Send(ctx, "+79991234567", "x"); err == nil || errors.Is(err, sms.ErrRejected) {
		t.Fatalf("HTTP 503: %v", err)
	}
	fake.Bar("79990000000")
	err := s.Send(ctx, "+79990000000", "secret text")
	if !errors.Is(err, sms.ErrRejected) {
		t.Fatalf("barred number: %v", err)
	}
	if strings.Contains(err.Error(), "7999") || strings.Contains(err.Error(), "secret") {
		t.Fatalf("the error names personal data: %v", err)
	}
	bad := &sms.SMSRu{APIID: "wrong", BaseURL: fake.URL}
	if err := bad.Send(ctx, "+79991234567", "x"); err == nil || errors.Is(err, sms.ErrRejected) {
		t.Fatalf("wrong api_id: %v", err)
	}
	if err := s.Send(ctx, "not a phone", "x"); !errors.Is(err, sms.ErrRejected) {
		t.Fatalf("not a phone: %v", err)
	}
}
