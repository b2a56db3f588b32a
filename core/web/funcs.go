package web

import (
	"errors"
	"fmt"
	"html/template"
	"slices"
	"time"

	"github.com/opencity/opencity/core"
)

// funcs are the kit's pure template helpers; what depends on the request
// (t, asset, csrfField, fieldError, hasError, time) are methods of Page.
var funcs = template.FuncMap{
	// dict builds a map for partials: {{template "field" dict "P" $ "Name" "code" "Label" "code"}}.
	"dict": func(kv ...any) (map[string]any, error) {
		if len(kv)%2 != 0 {
			return nil, errors.New("dict: odd number of arguments")
		}
		m := map[string]any{}
		for i := 0; i < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m, nil
	},
	// has reports whether a list of strings holds s.
	"has": func(list []string, s string) bool { return slices.Contains(list, s) },
	// str prints any value as text (ids in form values).
	"str": func(v any) string {
		switch x := v.(type) {
		case *int64:
			if x == nil {
				return ""
			}
			return fmt.Sprint(*x)
		}
		return fmt.Sprint(v)
	},
	"add": func(a, b int) int { return a + b },
	// phone writes an E.164 number for people: +7 917 555-01-23.
	"phone": core.FormatPhone,
	// ms is a duration in milliseconds.
	"ms": func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) },
	// list makes a list of strings in a template.
	"list": func(s ...string) []string { return s },
	// minutes writes a duration in minutes as 30m, 2h or 2h30m.
	"minutes": core.FormatMinutes,
}
