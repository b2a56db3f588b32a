package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// alertsShown bounds the alerts list.
const alertsShown = 50

// alerts lists the newest escalation alerts addressed to the user's role:
// the dispatcher on duty, an organization's manager (its organization's)
// and HQ's analysts.
func (p *Pages) alerts(c *gin.Context) {
	ct, actor := city(c)
	als, err := ct.Store.Alerts(c.Request.Context(), actor, alertsShown)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "alerts_title")
	pg.Nav = "nav"
	pg.Data = als
	p.views.Render(c, http.StatusOK, "alerts.html", pg)
}
