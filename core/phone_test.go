package core

import "testing"

// Every way people write one Russian number reads as the same E.164 number
// in a city of region RU; impossible numbers and text are refused.
func TestParsePhone(t *testing.T) {
	same := []string{"8 (917) 555-01-23", "+7 917 555-01-23", "917 555 01 23", "89175550123", "+79175550123",
		"8-917-555-01-23", " +7 (917) 555 01 23 ", "7 917 555 01 23"}
	for _, s := range same {
		if got, ok := ParsePhone(s, "RU"); !ok || got != "+79175550123" {
			t.Errorf("ParsePhone(%q, RU) = %q, %v; want +79175550123", s, got, ok)
		}
	}
	other := map[string]string{
		"+380 50 123 4567":  "+380501234567", // a country code wins over the region
		"8 (843) 231-00-00": "+78432310000",  // a Kazan landline
	}
	for s, want := range other {
		if got, ok := ParsePhone(s, "RU"); !ok || got != want {
			t.Errorf("ParsePhone(%q, RU) = %q, %v; want %s", s, got, ok, want)
		}
	}
	if got, ok := ParsePhone("701 555 01 23", "KZ"); !ok || got != "+77015550123" {
		t.Errorf("a Kazakh city reads its own national numbers: %q %v", got, ok)
	}
	for _, s := range []string{"", "12345", "917 555 01 2", "8 917 555 01 23 45 67", "call me", "+7 917 abc 01 23",
		"+７９１７５５５０１２３", "7+9175550123", "++79175550123", "917\x00555 01 23", "917 555 01 23 доб. 5"} {
		if got, ok := ParsePhone(s, "RU"); ok {
			t.Errorf("ParsePhone(%q) = %q, want refused", s, got)
		}
	}
}

// Numbers an earlier version stored as "+" and every digit typed are read
// back as the number the person meant.
func TestRepairStoredPhone(t *testing.T) {
	cases := map[string]string{
		"+89175550123":   "+79175550123", // typed 8 (917) 555-01-23
		"+9175550123":    "+79175550123", // typed 917 555 01 23 (not an Indian number)
		"+79175550123":   "+79175550123",
		"+380501234567":  "+380501234567",
		"8 917 555 0123": "+79175550123",
	}
	for in, want := range cases {
		if got, ok := RepairStoredPhone(in, "RU"); !ok || got != want {
			t.Errorf("RepairStoredPhone(%q) = %q, %v; want %s", in, got, ok, want)
		}
	}
	if _, ok := RepairStoredPhone("+123", "RU"); ok {
		t.Error("a number in no range was repaired")
	}
}

// A login that is a phone number is its E.164 form; other logins stay.
func TestLoginOf(t *testing.T) {
	for typed, want := range map[string]string{"8 (917) 555-01-23": "+79175550123", "dispatcher": "dispatcher",
		"anna@example.org": "anna@example.org", "12345": "12345"} {
		if got := LoginOf(typed, "RU"); got != want {
			t.Errorf("LoginOf(%q) = %q, want %q", typed, got, want)
		}
	}
}
