package pages

import (
	"fmt"
	"time"
)

// remaining says how long until due, or how long past it, in the page's
// language: "2 h 05 min left", "overdue by 15 min". The desk's script keeps
// the same words ticking in the browser.
func remaining(due, now time.Time, lang string) string {
	d := due.Sub(now).Truncate(time.Minute)
	late := d < 0
	if late {
		d = -d
	}
	days, h, m := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour), int(d%time.Hour/time.Minute)
	var span string
	switch {
	case lang == "ru" && days > 0:
		span = fmt.Sprintf("%d д %d ч", days, h)
	case lang == "ru" && h > 0:
		span = fmt.Sprintf("%d ч %02d мин", h, m)
	case lang == "ru":
		span = fmt.Sprintf("%d мин", m)
	case days > 0:
		span = fmt.Sprintf("%d d %d h", days, h)
	case h > 0:
		span = fmt.Sprintf("%d h %02d min", h, m)
	default:
		span = fmt.Sprintf("%d min", m)
	}
	switch {
	case lang == "ru" && late:
		return "просрочено на " + span
	case lang == "ru":
		return "осталось " + span
	case late:
		return "overdue by " + span
	}
	return span + " left"
}
