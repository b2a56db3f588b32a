package pages

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// wishesData is the weekly review's page: the week, the directory's
// organizations for "passed to", which cluster's form failed, and whether
// the reader may decide.
type wishesData struct {
	*core.WishWeek
	Organizations []core.Organization
	Decisions     []string
	CanDecide     bool
	Failed        int // the index of the cluster whose form was refused; -1 for none
	Agenda        bool
}

// wishes is the headquarters' weekly review of wishes and suggestions, for
// the analysts and the city admin: the week's wishes grouped by category
// and district with their counts, similar wishes as one item each with its
// decision (the city admin records them here), and the last review's
// decisions with their progress. It shows no personal data to those who
// may not see it.
func (p *Pages) wishes(c *gin.Context) { p.wishesPage(c, false, nil) }

// wishesAgenda is the review's printable agenda.
func (p *Pages) wishesAgenda(c *gin.Context) { p.wishesPage(c, true, nil) }

// wishesPage renders the review or its agenda; refused is the error of a
// decision form, shown beside it.
func (p *Pages) wishesPage(c *gin.Context, agenda bool, refused error) {
	ct, actor := city(c)
	title := "wishes_title"
	if agenda {
		title = "wish.agenda_title"
	}
	pg := p.views.Page(c, title)
	pg.Nav = "nav"
	pg.Form = c.Request.URL.Query()
	if refused != nil {
		pg.Form = c.Request.PostForm
	}
	svc := p.api.Services().Wishes(ct)
	status := http.StatusOK
	weekParam := c.Query("week")
	if refused != nil {
		weekParam = c.PostForm("week")
		status = pg.SetError(c, refused)
	}
	week, err := svc.Week(c.Request.Context(), actor, weekParam)
	if core.ErrorCode(err) == core.EINVALID {
		status = pg.SetError(c, err)
		week, err = svc.Week(c.Request.Context(), actor, "")
	}
	if err != nil {
		p.fail(c, err)
		return
	}
	d := &wishesData{WishWeek: week, Decisions: core.WishDecisions, CanDecide: pg.CanPost(core.ObjWishes, core.ActUpdate) && !agenda,
		Failed: -1, Agenda: agenda}
	if refused != nil {
		if i, err := strconv.Atoi(c.PostForm("cluster")); err == nil {
			d.Failed = i
		}
	}
	if d.CanDecide {
		dir, err := ct.Store.Directory(c.Request.Context(), false)
		if err != nil {
			p.fail(c, err)
			return
		}
		for _, o := range dir.Organizations {
			if o.Active {
				d.Organizations = append(d.Organizations, o)
			}
		}
	}
	pg.Data = d
	c.Header("Cache-Control", "no-store")
	p.views.Render(c, status, "wishes.html", pg)
}

// wishDecide records the meeting's decision on one cluster of wishes and
// returns to the week; a refused decision shows the page again with the
// message beside the cluster's form and what was typed kept.
func (p *Pages) wishDecide(c *gin.Context) {
	ct, actor := city(c)
	in := core.WishDecisionInput{Numbers: c.PostFormArray("number"), Decision: c.PostForm("decision"), PlanDate: c.PostForm("plan_date"),
		Organization: c.PostForm(fOrg), Reason: c.PostForm("reason")}
	if _, err := p.api.Services().Wishes(ct).Decide(c.Request.Context(), actor, in); err != nil {
		if code := core.ErrorCode(err); code != core.EINVALID {
			p.fail(c, err)
			return
		}
		p.wishesPage(c, false, err)
		return
	}
	back(c, base(ct)+"/hq/wishes?"+url.Values{"week": {c.PostForm("week")}, "ok": {"done_wish_decision"}}.Encode(), "")
}
