package store

import (
	"fmt"
	"testing"

	"github.com/opencity/opencity/core"
)

// A period is read as whole months where a month is mostly inside it, less
// the days outside; else as days.
func TestPlanMonths(t *testing.T) {
	spans := func(qs []core.DaysQuery) (out []string) {
		for _, q := range qs {
			out = append(out, q.From+"…"+q.To)
		}
		return out
	}
	for _, c := range []struct {
		from, to, first, last string
		add, sub              []string
	}{
		{"2026-10-01", "2026-11-30", "2026-10", "2026-11", nil, nil},
		{"2026-10-02", "2026-10-31", "2026-10", "2026-10", nil, []string{"2026-10-01…2026-10-01"}},
		{"2026-10-03", "2026-10-29", "2026-10", "2026-10", nil, []string{"2026-10-01…2026-10-02", "2026-10-30…2026-10-31"}},
		{"2026-10-10", "2026-10-20", "", "", []string{"2026-10-10…2026-10-20"}, nil},
		{"2026-11-16", "2026-12-15", "", "", []string{"2026-11-16…2026-11-30", "2026-12-01…2026-12-15"}, nil},
		{"2026-11-15", "2026-12-16", "2026-11", "2026-12", nil, []string{"2026-11-01…2026-11-14", "2026-12-17…2026-12-31"}},
		{"2025-12-02", "2026-12-01", "2025-12", "2026-11", []string{"2026-12-01…2026-12-01"}, []string{"2025-12-01…2025-12-01"}},
		{"2026-02-14", "2026-02-28", "2026-02", "2026-02", nil, []string{"2026-02-01…2026-02-13"}},
		{"2026-02-15", "2026-02-28", "", "", []string{"2026-02-15…2026-02-28"}, nil},
	} {
		p := planMonths(core.DaysQuery{From: c.from, To: c.to})
		if p.first != c.first || p.last != c.last || fmt.Sprint(spans(p.add)) != fmt.Sprint(c.add) || fmt.Sprint(spans(p.sub)) != fmt.Sprint(c.sub) {
			t.Errorf("%s–%s: months %q–%q, add %v, less %v; want %q–%q, add %v, less %v",
				c.from, c.to, p.first, p.last, spans(p.add), spans(p.sub), c.first, c.last, c.add, c.sub)
		}
	}
}
