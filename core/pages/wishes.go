package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// wishes is the headquarters' weekly list of wishes and suggestions, for
// the analysts and the city admin: the week's wishes grouped by category
// and district with their counts, each linking to its request. It only
// reads, and shows no personal data to those who may not see it.
func (p *Pages) wishes(c *gin.Context) {
	ct, actor := city(c)
	pg := p.views.Page(c, "wishes_title")
	pg.Nav = "nav"
	pg.Form = c.Request.URL.Query()
	svc := p.api.Services().Wishes(ct)
	status := http.StatusOK
	week, err := svc.Week(c.Request.Context(), actor, c.Query("week"))
	if core.ErrorCode(err) == core.EINVALID {
		status = pg.SetError(c, err)
		week, err = svc.Week(c.Request.Context(), actor, "")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	pg.Data = week
	c.Header("Cache-Control", "no-store")
	p.views.Render(c, status, "wishes.html", pg)
}
