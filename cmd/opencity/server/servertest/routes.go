package servertest

import "strings"

// Concrete fills a route pattern's parameters with kazan's values: the
// city, the request number given, the category "lift" and the id 1.
func Concrete(pattern, number string) string {
	return strings.NewReplacer(":slug", "kazan", ":number", number, ":code", "lift", ":id", "1").Replace(pattern)
}
