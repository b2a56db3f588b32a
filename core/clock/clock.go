// Package clock reads clock times of day, "HH:MM", and the daily windows
// made of two of them. It is the one rule for a city's working hours, the
// time windows of routing rules and the windows of routing plugins, which
// import it through the plugin SDK without the rest of core; it depends on
// the standard library only.
package clock

import (
	"fmt"
	"strings"
	"time"
)

// Parse reads a clock time "HH:MM" (two digits each, 00:00 to 24:00, where
// 24:00 is the end of the day; surrounding spaces are ignored) into minutes
// after midnight, 0 to 1440. Anything else is an error naming the input.
func Parse(s string) (int, error) {
	s = strings.TrimSpace(s)
	digit := func(i int) bool { return s[i] >= '0' && s[i] <= '9' }
	if len(s) != 5 || s[2] != ':' || !digit(0) || !digit(1) || !digit(3) || !digit(4) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	h, m := int(s[0]-'0')*10+int(s[1]-'0'), int(s[3]-'0')*10+int(s[4]-'0')
	if h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	return h*60 + m, nil
}

// Valid reports whether Parse reads s.
func Valid(s string) bool {
	_, err := Parse(s)
	return err == nil
}

// InWindow reports whether the clock time of t (in t's own location) lies
// in [from, to), both read by Parse; a window whose end is before its start
// wraps midnight (22:00–07:00). A window with an unreadable end holds no
// time.
func InWindow(t time.Time, from, to string) bool {
	f, err1 := Parse(from)
	e, err2 := Parse(to)
	if err1 != nil || err2 != nil {
		return false
	}
	m := t.Hour()*60 + t.Minute()
	if f <= e {
		return m >= f && m < e
	}
	return m >= f || m < e
}
