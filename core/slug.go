package core

import (
	"regexp"
	"strings"
)

// SlugPattern is the one shape of the short names that appear in URLs,
// schema names, file names and references: a city's slug, the codes of
// districts, category groups, categories and organizations, and plugin
// names. 2 to 40 characters: lowercase latin letters, digits and hyphens,
// starting with a letter. The hyphen is escaped so that Go's regexp,
// JavaScript and an HTML input's pattern attribute (compiled with the v
// flag, where a bare "-" in a class is an error) all read it alike.
const SlugPattern = `[a-z][a-z0-9\-]{1,39}`

// SlugRule is the catalog code that says the slug rule in words, for field
// messages.
const SlugRule = "error.slug_shape"

var slugRE = regexp.MustCompile(`^` + SlugPattern + `$`)

// ValidSlug reports whether s has the shape of SlugPattern and is a DNS
// label a city can be served under (<slug>.<base domain>): it does not end
// with a hyphen (RFC 1035, section 2.3.1) and has no "--" in its 3rd and
// 4th characters, which RFC 5891 (section 4.2.3.1) reserves for encoded
// labels such as punycode's "xn--", so no slug looks like another script's
// name. Codes and slugs end up in quoted identifiers and paths, never
// concatenated into SQL.
func ValidSlug(s string) bool {
	return slugRE.MatchString(s) && !strings.HasSuffix(s, "-") && (len(s) < 4 || s[2:4] != "--")
}
