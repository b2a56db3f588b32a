package core

import "regexp"

// SlugPattern is the one shape of the short names that appear in URLs,
// schema names, file names and references: a city's slug, the codes of
// districts, category groups, categories and organizations, and plugin
// names. 2 to 40 characters: lowercase latin letters, digits and hyphens,
// starting with a letter. The hyphen is escaped so that Go's regexp,
// JavaScript and an HTML input's pattern attribute (compiled with the v
// flag, where a bare "-" in a class is an error) all read it alike.
const SlugPattern = `[a-z][a-z0-9\-]{1,39}`

// SlugRule says SlugPattern in words, for field messages.
const SlugRule = "use 2-40 lowercase latin letters, digits and hyphens, starting with a letter"

var slugRE = regexp.MustCompile(`^` + SlugPattern + `$`)

// ValidSlug reports whether s has the shape of SlugPattern. Codes and slugs
// end up in quoted identifiers and paths, never concatenated into SQL.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }
