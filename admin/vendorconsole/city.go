package vendorconsole

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
)

type cityData struct {
	Row        CityRow
	Log        []tenants.AuditEntry
	Plans      []billing.Plan
	BillingOn  bool
	State      *billing.State
	Events     []billing.Event
	Usage      []billing.UsageReport
	Period     string
	RoutingRef string
}

// city is one city's page: status with suspend/resume, plan, activity,
// its provisioning and audit log, usage and billing.
func (cs *Console) city(c *gin.Context) {
	cs.showCity(c, cs.page(c, "city_title", "cities"), http.StatusOK)
}

func (cs *Console) showCity(c *gin.Context, p *web.Page, status int) {
	ctx := c.Request.Context()
	slug := c.Param("slug")
	t, err := cs.b.Registry().Get(ctx, slug)
	if err != nil {
		cs.views.Fail(c, "city.html", p, err)
		return
	}
	d := &cityData{Row: CityRow{Tenant: *t, Billing: "off"}, BillingOn: cs.billing != nil && cs.billing.Enabled()}
	d.Row.PlanRU, d.Row.PlanEN = cs.planNames(t.Plan)
	if err := cs.cityStats(ctx, &d.Row); err != nil {
		cs.views.Fail(c, "city.html", p, err)
		return
	}
	if d.Log, err = cs.b.Registry().AuditLog(ctx, slug, 100); err != nil {
		cs.views.Fail(c, "city.html", p, err)
		return
	}
	if cs.billing != nil {
		d.Plans = cs.billing.Config().Plans
		period := billing.PeriodOf(cs.now())
		d.Period = period.Key()
		if d.Usage, err = cs.billing.UsageLedger(ctx, slug, d.Period); err != nil {
			cs.views.Fail(c, "city.html", p, err)
			return
		}
		if d.State, err = cs.billing.State(ctx, slug); err != nil {
			cs.views.Fail(c, "city.html", p, err)
			return
		}
		if d.State != nil {
			d.Row.Billing = d.State.SubscriptionStatus
		}
		if d.Events, err = cs.billing.Events(ctx, slug, 50); err != nil {
			cs.views.Fail(c, "city.html", p, err)
			return
		}
	}
	if d.Row.Serving() {
		if st, err := cs.storeOf(slug); err == nil {
			if rs, err := st.RoutingSettings(ctx); err == nil {
				d.RoutingRef = rs.Plugin
			}
		}
	}
	p.Data = d
	if p.Form == nil {
		p.Form = url.Values{"plan": {t.Plan}}
	}
	cs.views.Render(c, status, "city.html", p)
}

// setStatus suspends or resumes a city after the confirmation step.
func (cs *Console) setStatus(c *gin.Context) {
	f := web.ReadForm(c)
	slug := c.Param("slug")
	action := f.String("action")
	target := map[string]string{"suspend": tenants.StatusSuspended, "resume": tenants.StatusActive}[action]
	p := cs.page(c, "city_title", "cities")
	if target == "" {
		p.Errors = core.FieldErrors{"form": core.M("error.suspend_or_resume")}
		cs.showCity(c, p, http.StatusUnprocessableEntity)
		return
	}
	if !web.Confirmed(f) {
		cs.views.Confirm(c, p, web.Confirmation{Question: "confirm_" + action, Subject: slug, Action: c.Request.URL.Path,
			Back: "/admin/cities/" + slug, Hidden: f.Values, Danger: action == "suspend"})
		return
	}
	if _, err := cs.b.Registry().SetStatus(c.Request.Context(), actor(c), slug, target); err != nil {
		status := p.SetError(c, err)
		if status == http.StatusNotFound {
			cs.kit.Error(c, status, "notfound_title", "notfound_text")
			return
		}
		cs.showCity(c, p, status)
		return
	}
	cs.changed()
	c.Redirect(http.StatusSeeOther, "/admin/cities/"+slug+"?ok=saved")
}

// setPlan moves a city to another plan of the price list.
func (cs *Console) setPlan(c *gin.Context) {
	f := web.ReadForm(c)
	slug := c.Param("slug")
	p := cs.page(c, "city_title", "cities")
	p.Form = f.Values
	plan := f.String("plan")
	known := plan == "trial"
	if cs.billing != nil {
		for _, pl := range cs.billing.Config().Plans {
			known = known || pl.Code == plan
		}
	}
	if !known {
		p.Errors = core.FieldErrors{"plan": core.M("error.no_plan")}
		cs.showCity(c, p, http.StatusUnprocessableEntity)
		return
	}
	if _, err := cs.b.Registry().SetPlan(c.Request.Context(), actor(c), slug, plan); err != nil {
		cs.showCity(c, p, p.SetError(c, err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/cities/"+slug+"?ok=saved")
}

type newCityData struct {
	Plans    []billing.Plan
	Created  *tenants.Provisioned
	Password string
}

func (cs *Console) newCityData() *newCityData {
	d := &newCityData{}
	if cs.billing != nil {
		d.Plans = cs.billing.Config().Plans
	}
	return d
}

// newCity is the form to create a city by hand.
func (cs *Console) newCity(c *gin.Context) {
	p := cs.page(c, "new_city_title", "new")
	p.Form = url.Values{"locale": {"ru"}, "timezone": {"Europe/Moscow"}, "admin_login": {"admin"}}
	p.Data = cs.newCityData()
	cs.views.Render(c, http.StatusOK, "newcity.html", p)
}

// createCity provisions a city (idempotent and resumable, as signup does)
// and shows the first admin's password when it was generated.
func (cs *Console) createCity(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "new_city_title", "new")
	p.Form = f.Values
	d := cs.newCityData()
	p.Data = d
	n := tenants.NewTenant{Slug: f.String("slug"), Name: f.String("name"), Locale: f.String("locale"), Timezone: f.String("timezone"),
		Plan: f.String("plan")}
	if err := n.Validate(); err != nil {
		cs.views.Fail(c, "newcity.html", p, err)
		return
	}
	login := f.String("admin_login")
	if login == "" {
		login = "admin"
	}
	res, err := cs.b.Provision(c.Request.Context(), n, tenants.Admin{Login: login, Name: f.String("admin_name"), Email: f.String("admin_email")})
	if core.ErrorCode(err) == core.ECONFLICT {
		err = &core.Error{Code: core.ECONFLICT, Message: "error.slug_taken", Fields: core.FieldErrors{"slug": core.M("error.slug_taken")}}
	}
	if err != nil {
		cs.views.Fail(c, "newcity.html", p, err)
		return
	}
	_ = cs.b.Registry().Audit(c.Request.Context(), actor(c), "tenant.created_by_hand", n.Slug, "admin "+login)
	cs.changed()
	d.Created, d.Password = res, res.AdminPassword
	p.Form = nil
	cs.views.Render(c, http.StatusCreated, "newcity.html", p)
}
