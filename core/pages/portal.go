package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// homeData is the portal's front page: the city's recent requests, without
// personal data.
type homeData struct {
	Recent []core.PublicItem
	// Outages are the city's open outages.
	Outages []core.Outage
	// Anonymous: the city takes reports from people without an account.
	Anonymous bool
}

// home is the portal's front page, open to everyone.
func (p *Pages) home(c *gin.Context) {
	ct, _ := city(c)
	recent, err := ct.Store.RecentPublic(c.Request.Context(), 50)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "home_title")
	pg.Nav = "nav"
	anonymous, err := p.api.Services().PublicIntake(ct).Open(c.Request.Context())
	if err != nil {
		p.fail(c, err)
		return
	}
	pg.Data = &homeData{Recent: recent, Outages: p.publicOutages(c, ct, 0), Anonymous: anonymous}
	p.views.Render(c, http.StatusOK, "home.html", pg)
}

// newForm is the portal's form for a new request.
func (p *Pages) newForm(c *gin.Context) {
	p.requestForm(c, http.StatusOK, "new.html", "new_title", nil)
}

// newSubmit files the citizen's request and shows its page: its number and
// the link to follow it.
func (p *Pages) newSubmit(c *gin.Context) {
	p.submitForm(c, "new.html", "new_title", core.ChannelPortal)
}

// mine lists the citizen's own requests, newest first.
func (p *Pages) mine(c *gin.Context) {
	ct, actor := city(c)
	page, err := ct.Store.ListRequests(c.Request.Context(), actor, core.RequestQuery{Limit: core.MaxPage})
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "my_title")
	pg.Nav = "nav"
	names, err := categoryNames(c, ct, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	pg.Data = &officeData{Rows: queueRows(page.Items, names, p.api.Now(), pg.Lang)}
	p.views.Render(c, http.StatusOK, "my.html", pg)
}
