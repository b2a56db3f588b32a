package core

import (
	"context"
	"strings"
	"unicode"

	"github.com/nyaruka/phonenumbers"
)

// SettingPhoneRegion is the city setting naming the region (ISO 3166-1
// alpha-2, "RU") whose numbering plan reads a phone number written without
// a country code: "8 (917) 555-01-23" and "917 555 01 23" are Russian
// numbers in a city of region RU.
const SettingPhoneRegion = "phone_region"

// DefaultPhoneRegion is the region of a city that has not chosen one.
const DefaultPhoneRegion = "RU"

// MsgNotPhone is the field message of a number that is not in the
// numbering plan of the city's region or of the country its code names.
const MsgNotPhone = "error.not_phone"

// PhoneRegions gives the phone region of a city (SettingPhoneRegion, with
// its default), for the services that read phone numbers people type.
type PhoneRegions interface {
	PhoneRegion(ctx context.Context) (string, error)
}

// PhoneRegion reads the phone region setting, with its default.
func PhoneRegion(settings map[string]string) string {
	if r := strings.ToUpper(strings.TrimSpace(settings[SettingPhoneRegion])); ValidPhoneRegion(r) {
		return r
	}
	return DefaultPhoneRegion
}

// ValidPhoneRegion reports whether r is a region the numbering plans
// (Google's libphonenumber metadata) know, such as "RU" or "KZ".
func ValidPhoneRegion(r string) bool {
	return phonenumbers.GetSupportedRegions()[r]
}

// looksLikePhone reports whether s holds only what people write in a phone
// number (digits, spaces, "+", "-", ".", brackets) and at least five digits.
func looksLikePhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == '+' || r == '-' || r == '.' || r == '(' || r == ')' || unicode.IsSpace(r):
		default:
			return false
		}
	}
	return digits >= 5
}

// ParsePhone returns the E.164 form ("+79175550123") of a phone number
// written any way people write one: with the country code ("+7 917
// 555-01-23"), with the trunk prefix of region ("8 (917) 555-01-23" in RU)
// or as a national number ("917 555 01 23"). ok is false for text that is
// not a phone number and for a number outside its country's numbering plan
// (libphonenumber's validity test: the number ranges and lengths of the
// plan, so a digit too few or too many is caught).
func ParsePhone(s, region string) (e164 string, ok bool) {
	s = strings.TrimSpace(s)
	if !looksLikePhone(s) || strings.Count(s, "+") > 1 || (strings.Contains(s, "+") && !strings.HasPrefix(s, "+")) {
		return "", false
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", false
	}
	return phonenumbers.Format(n, phonenumbers.E164), true
}

// FormatPhone writes an E.164 number for people, in the international
// format of its country ("+7 917 555-01-23"); anything else is returned as
// it is.
func FormatPhone(e164 string) string {
	if !strings.HasPrefix(e164, "+") {
		return e164
	}
	n, err := phonenumbers.Parse(e164, "")
	if err != nil {
		return e164
	}
	return phonenumbers.Format(n, phonenumbers.INTERNATIONAL)
}

// RepairStoredPhone reads a phone number kept by an earlier version, which
// stored a "+" and every digit of what was typed: "+89175550123" for "8
// (917) 555-01-23", "+9175550123" for "917 555 01 23". The digits are read
// first as a national number of region and then as an international one,
// and the first reading that is a valid number (in a known number range)
// wins; ok is false when neither is.
func RepairStoredPhone(s, region string) (e164 string, ok bool) {
	s = strings.TrimSpace(s)
	if !looksLikePhone(s) {
		return "", false
	}
	var digits strings.Builder
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits.WriteRune(r)
		}
	}
	d := digits.String()
	readings := []string{d, "+" + d}
	if strings.HasPrefix(s, "+") && !strings.HasPrefix(s, "+8") {
		// Typed with a country code (a "+8…" one is almost always the
		// Russian trunk prefix with a "+" put in front of it).
		readings = []string{"+" + d, d}
	}
	for _, text := range readings {
		if n, err := phonenumbers.Parse(text, region); err == nil && phonenumbers.IsValidNumber(n) {
			return phonenumbers.Format(n, phonenumbers.E164), true
		}
	}
	return "", false
}

// LoginOf returns the account login that what a person typed at a login
// form names: a phone number written any way becomes its E.164 form (the
// login of an account registered by phone), anything else is as typed.
func LoginOf(typed, region string) string {
	if p, ok := ParsePhone(typed, region); ok {
		return p
	}
	return typed
}
