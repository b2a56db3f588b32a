package pages

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// A league's orders and a trend's steps link the page to itself with the
// filter kept and the page's own parameters (format, language) dropped;
// the current choice is the request's, or the default when it names none.
func TestChoicesKeepTheFilter(t *testing.T) {
	get := func(target string) *gin.Context {
		c, _ := gin.CreateTestContext(httptest.NewRecorder())
		c.Request = httptest.NewRequest("GET", target, nil)
		return c
	}
	pg := &web.Page{Lang: "ru"}
	current := func(links []hqLink) (labels []string) {
		for _, l := range links {
			if l.Current {
				labels = append(labels, l.Label)
			}
		}
		return labels
	}

	links := choices(get("/t/kazan/hq/trends?district=sovetsky&format=csv&lang=en"), pg, "step", core.TrendSteps, core.StepMonth, "hq.step.")
	if len(links) != len(core.TrendSteps) {
		t.Fatalf("%d links for %d steps", len(links), len(core.TrendSteps))
	}
	for i, l := range links {
		want := "/t/kazan/hq/trends?district=sovetsky&step=" + core.TrendSteps[i]
		if l.Link != want {
			t.Errorf("link %d: %q, want %q", i, l.Link, want)
		}
		if l.Label == "" || strings.HasPrefix(l.Label, "hq.step.") {
			t.Errorf("link %d has no Russian label: %q", i, l.Label)
		}
	}
	if got := current(links); len(got) != 1 || got[0] != pg.T("hq.step."+core.StepMonth) {
		t.Errorf("without a step the current one is %v, want the month", got)
	}
	links = choices(get("/t/kazan/hq/trends?step="+core.TrendSteps[1]), pg, "step", core.TrendSteps, core.StepMonth, "hq.step.")
	if got := current(links); len(got) != 1 || got[0] != pg.T("hq.step."+core.TrendSteps[1]) {
		t.Errorf("with the second step the current one is %v", got)
	}
	links = choices(get("/t/kazan/hq/leagues/district?rank="+core.RankDeadlines), pg, "rank", core.LeagueRanks, core.RankPerThousand, "hq.rank_by.")
	if got := current(links); len(got) != 1 || got[0] != pg.T("hq.rank_by."+core.RankDeadlines) {
		t.Errorf("with rank=deadlines the current one is %v", got)
	}
}
