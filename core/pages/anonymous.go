package pages

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// anonymous is the one authorization check of the portal's pages for people
// without an account: the city's policies must let the anonymous role act on
// public requests. A logged-in user is sent to the portal's own form. Forms
// must carry the session's CSRF token, as everywhere in the kit, and are
// refused in a suspended city.
func (p *Pages) anonymous(act string) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		ct, actor := city(c)
		if actor.UserID != 0 && act == core.ActCreate {
			back(c, base(ct)+"/new", "")
			return
		}
		ok, err := p.kit.Authz.Allowed(ctx, ct.Slug, core.RoleAnonymous, core.ObjPublicRequests, act)
		if err != nil {
			p.fail(c, err)
			return
		}
		if !ok {
			p.kit.Error(c, http.StatusForbidden, "forbidden_title", "forbidden_text")
			return
		}
		if c.Request.Method != http.MethodPost {
			c.Next()
			return
		}
		if ct.ReadOnly {
			p.kit.Error(c, http.StatusForbidden, "readonly_title", "readonly_text")
			return
		}
		p.kit.CheckCSRF(c)
	}
}

// reportForm is the portal's form for people without an account, when the
// city takes their requests; otherwise they are asked to log in.
func (p *Pages) reportForm(c *gin.Context) {
	ct, _ := city(c)
	on, err := p.api.Services().PublicIntake(ct).Open(c.Request.Context())
	if err != nil {
		p.fail(c, err)
		return
	}
	if !on {
		back(c, base(ct)+"/login?next="+base(ct)+"/new", "")
		return
	}
	p.requestForm(c, http.StatusOK, "new.html", "new_title", nil)
}

// reportSubmit files the request of someone without an account and shows
// its tracking page: the number and the code are the only keys to it.
func (p *Pages) reportSubmit(c *gin.Context) {
	ct, _ := city(c)
	if c.PostForm(fFind) != "" {
		p.requestForm(c, http.StatusOK, "new.html", "new_title", nil)
		return
	}
	in, ferrs := newRequestForm(c.Request.PostForm)
	in.Channel = core.ChannelPortal
	in.Applicant.Lang = web.Language(c, ct.Locale)
	if len(ferrs) > 0 {
		// Every other fault of the form is shown with these, not after.
		_, _, err := p.api.Services().Requests(ct).Check(c.Request.Context(), core.Actor{Role: core.RoleAnonymous}, &in, "", ferrs)
		p.requestForm(c, 0, "new.html", "new_title", err)
		return
	}
	_, code, err := p.api.Services().PublicIntake(ct).Submit(c.Request.Context(), in)
	if err != nil {
		p.requestForm(c, 0, "new.html", "new_title", err)
		return
	}
	back(c, base(ct)+"/track/"+code, "submitted")
}

// trackData is what the holder of a tracking code sees: no contacts, no
// organization, the public history only.
type trackData struct {
	Req      *core.PublicRequest
	Category string
	Code     string
	// Outages are the open outages at the request's building.
	Outages []core.Outage
}

// track shows a request to the holder of its tracking code.
func (p *Pages) track(c *gin.Context) {
	ct, _ := city(c)
	pr, err := p.api.Services().PublicIntake(ct).Track(c.Request.Context(), c.Param("code"))
	if err != nil {
		p.fail(c, err)
		return
	}
	pg := p.views.Page(c, "request_title")
	names, err := categoryNames(c, ct, pg.Lang)
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &trackData{Req: pr, Category: names[pr.Request.CategoryCode], Code: c.Param("code")}
	if b := pr.Request.BuildingID; b != nil {
		d.Outages = p.publicOutages(c, ct, *b)
	}
	pg.Data = d
	p.views.Render(c, http.StatusOK, "track.html", pg)
}
