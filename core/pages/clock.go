package pages

import (
	"fmt"
	"time"

	"github.com/opencity/opencity/core/i18n"
)

// remaining says how long until due, or how long past it, in the page's
// language: "2 h 05 min left", "overdue by 15 min" (catalog codes
// clock.*). The desk's script keeps the same words ticking in the browser,
// reading them from the page (clockWords).
func remaining(due, now time.Time, lang string) string {
	d := due.Sub(now).Truncate(time.Minute)
	late := d < 0
	if late {
		d = -d
	}
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var span string
	switch {
	case days > 0:
		span = i18n.Text(lang, "clock.dh", i18n.Args("D", days, "H", h))
	case h > 0:
		span = i18n.Text(lang, "clock.hm", i18n.Args("H", h, "M", fmt.Sprintf("%02d", m)))
	default:
		span = i18n.Text(lang, "clock.m", i18n.Args("M", m))
	}
	if late {
		return i18n.Text(lang, "clock.overdue", i18n.Args("Span", span))
	}
	return i18n.Text(lang, "clock.left", i18n.Args("Span", span))
}
