package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// optOutGate is the one authorization check of the opt-out page: the link
// is the credential, so whoever holds it (logged in or not) acts as the
// anonymous role, where the city's policies let it; the form carries the
// session's CSRF token.
func (p *Pages) optOutGate(c *gin.Context) {
	ct, _ := city(c)
	ok, err := p.kit.Authz.Allowed(c.Request.Context(), ct.Slug, core.RoleAnonymous, core.ObjNotificationOptOut, core.ActUpdate)
	if err != nil {
		p.fail(c, err)
		return
	}
	if !ok {
		p.kit.Error(c, http.StatusForbidden, "forbidden_title", "forbidden_text")
		return
	}
	if c.Request.Method == http.MethodPost {
		p.kit.CheckCSRF(c)
	}
}

// optOutData is the opt-out page's state.
type optOutData struct {
	Token string
	Done  bool
}

// optOutForm asks to confirm turning notifications off (a GET changes
// nothing: mail scanners follow links).
func (p *Pages) optOutForm(c *gin.Context) {
	pg := p.views.Page(c, "optout_title")
	pg.Data = &optOutData{Token: c.Param("token")}
	p.views.Render(c, http.StatusOK, "optout.html", pg)
}

// optOut turns off the notifications of the link's address.
func (p *Pages) optOut(c *gin.Context) {
	ct, _ := city(c)
	if err := p.api.Services().Notices(ct).OptOut(c.Request.Context(), c.Param("token")); err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "optout_title")
	pg.Data = &optOutData{Token: c.Param("token"), Done: true}
	p.views.Render(c, http.StatusOK, "optout.html", pg)
}
