package pages

import (
	"math"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// matchRow is an open request shown beside the call-taking form.
type matchRow struct {
	queueRow
	Meters int // distance from the caller's building; 0 for the building's own
}

// findMatches fills the open requests that may be what the caller reports,
// once the form names a building and a category.
func (p *Pages) findMatches(c *gin.Context, ct *httpapi.City, d *callData, lang string) error {
	building, err := strconv.ParseInt(strings.TrimSpace(c.PostForm(fBuilding)), 10, 64)
	category := strings.TrimSpace(c.PostForm(fCategory))
	if err != nil || building <= 0 || category == "" || !p.allowed(c, string(core.ActionDuplicate)) {
		return nil
	}
	_, actor := city(c)
	ms, err := p.requests(ct).Matches(c.Request.Context(), actor, ct.Store, &building, category)
	if err != nil {
		return err
	}
	names, err := categoryNames(c, ct, lang)
	if err != nil {
		return err
	}
	d.MatchesAsked = true
	now := p.api.Now()
	for _, m := range ms {
		row := queueRows([]core.Request{m.Request}, names, now, lang)[0]
		d.Matches = append(d.Matches, matchRow{queueRow: row, Meters: int(math.Round(m.DistanceM))})
	}
	return nil
}

// callJoin adds the caller of the call-taking form to an open request as a
// co-applicant instead of filing a new one; a fault shows the form again
// with its messages.
func (p *Pages) callJoin(c *gin.Context) {
	ct, actor := city(c)
	number := strings.TrimSpace(c.PostForm(fJoin))
	in := core.Applicant{Name: c.PostForm(fName), Phone: c.PostForm(fPhone), Email: c.PostForm(fEmail)}
	r, err := p.requests(ct).Join(c.Request.Context(), actor, ct.Store, number, in)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			p.fail(c, err)
			return
		}
		p.requestForm(c, 0, "call.html", "call_title", err)
		return
	}
	back(c, requestPath(ct, r.Number), "joined")
}
