package core

import "testing"

// Slugs are DNS labels: no trailing hyphen, no "--" in 3rd and 4th place
// (punycode's xn--), the shape of SlugPattern otherwise.
func TestValidSlug(t *testing.T) {
	for s, want := range map[string]bool{
		"kazan": true, "nizhny-novgorod": true, "k2": true, "ab-c": true, "abc--d": true, "a-b-c": true,
		"kazan-": false, "ab-": false, "xn--80ak6aa92e": false, "ab--c": false, "a--b": true, "ab--": false,
		"Kazan": false, "2gis": false, "k": false, "ка": false, "a_b": false, "": false,
		"a23456789012345678901234567890123456789x": true, "a234567890123456789012345678901234567890x": false,
	} {
		if got := ValidSlug(s); got != want {
			t.Errorf("ValidSlug(%q) = %v, want %v", s, got, want)
		}
	}
}
