package signup

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
)

type signupPage struct {
	page
	Form      billing.SignupInput
	Plans     []planView
	BillingOn bool
	Canceled  bool
	// SlugPattern is the address field's pattern: core.SlugPattern.
	SlugPattern string
}

func (h *Handler) signupData(c *gin.Context) signupPage {
	p := h.page(c, "title")
	plans := h.Billing.Config().Plans
	d := signupPage{page: p, Plans: plansView(plans, p.Lang), BillingOn: h.Billing.Enabled(),
		Canceled: c.Query("canceled") != "", SlugPattern: core.SlugPattern}
	d.Form.Plan = plans[0].Code
	return d
}

func (h *Handler) signupPage(c *gin.Context) {
	d := h.signupData(c)
	if slug := c.Query("slug"); tenants.ValidSlug(slug) {
		d.Form.Slug = slug
	}
	render(c, http.StatusOK, "signup.html", d)
}

// signupSubmit handles the form: errors are shown next to their fields;
// success goes to Stripe's checkout, or straight to the progress page when
// billing is off.
func (h *Handler) signupSubmit(c *gin.Context) {
	d := h.signupData(c)
	r := c.Request
	r.Body = http.MaxBytesReader(c.Writer, r.Body, 64<<10)
	d.Form = billing.SignupInput{CityName: r.PostFormValue("city_name"), Slug: r.PostFormValue("slug"),
		AdminName: r.PostFormValue("admin_name"), AdminEmail: r.PostFormValue("admin_email"),
		Plan: r.PostFormValue("plan"), Locale: d.Lang}
	s, err := h.Billing.Signup(r.Context(), d.Form, baseURL(r))
	if err != nil {
		var ce *core.Error
		if !errors.As(err, &ce) {
			ce = &core.Error{Code: core.EINTERNAL, Message: "error.internal"}
			_ = c.Error(err)
		}
		d.Errors = map[string]string{}
		for f, m := range ce.Fields {
			d.Errors[f] = d.M(m)
		}
		if len(d.Errors) == 0 {
			d.Errors["form"] = d.M(ce.Msg())
		}
		status := http.StatusUnprocessableEntity
		if ce.Code == core.EINTERNAL || ce.Code == core.EUNAVAILABLE {
			status = http.StatusServiceUnavailable
		}
		render(c, status, "signup.html", d)
		return
	}
	target := s.CheckoutURL
	if target == "" {
		target = "/signup/done?slug=" + s.Slug + "&lang=" + d.Lang
	}
	c.Redirect(http.StatusSeeOther, target)
}

type confirmPage struct {
	page
	Token string
}

// confirmPage is where the confirmation e-mail's link leads: a button, so
// that a mail scanner following the link confirms nothing.
func (h *Handler) confirmPage(c *gin.Context) {
	render(c, http.StatusOK, "confirm.html", confirmPage{page: h.page(c, "confirm_title"), Token: c.Query("token")})
}

// confirmSubmit confirms the administrator's address and keeps the admin's
// set-password link in this browser until the city is ready.
func (h *Handler) confirmSubmit(c *gin.Context) {
	r := c.Request
	r.Body = http.MaxBytesReader(c.Writer, r.Body, 64<<10)
	d := confirmPage{page: h.page(c, "confirm_title"), Token: r.PostFormValue("token")}
	s, err := h.Billing.Confirm(r.Context(), d.Token)
	if err != nil {
		status := http.StatusNotFound
		d.Errors = map[string]string{"form": d.T("confirm_unknown")}
		if code := core.ErrorCode(err); code != core.ENOTFOUND {
			_ = c.Error(err)
			status, d.Errors["form"] = http.StatusServiceUnavailable, d.T("confirm_failed")
		}
		render(c, status, "confirm.html", d)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: cookieName(s.Slug), Value: s.SetPasswordToken, Path: "/signup/",
		MaxAge: int(billing.SetPasswordTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	c.Redirect(http.StatusSeeOther, "/signup/done?slug="+s.Slug+"&lang="+d.Lang)
}

// cookieName is where the browser that confirmed keeps the set-password
// token until the city is ready.
func cookieName(slug string) string { return "opencity_setpw_" + slug }

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

type donePage struct {
	page
	Status         *billing.SignupStatus
	Ready          bool
	SetPasswordURL string
}

// donePage is where Stripe sends the browser back: it shows the progress
// (refreshing itself until the city is ready) and then the admin's link to
// the city's invitation page, where the password is chosen.
func (h *Handler) donePage(c *gin.Context) {
	d := donePage{page: h.page(c, "done_title")}
	slug := c.Query("slug")
	st, err := h.Billing.Status(c.Request.Context(), slug)
	if err != nil {
		status := http.StatusNotFound
		if code := core.ErrorCode(err); code != core.ENOTFOUND && code != core.EINVALID {
			_ = c.Error(err)
			status = http.StatusInternalServerError
		}
		render(c, status, "done.html", d)
		return
	}
	d.Status = st
	d.Ready = st.ProvisionedAt != nil && st.Status != tenants.StatusPending && st.Status != tenants.StatusProvisioning
	d.Refresh = !d.Ready
	if token, err := c.Cookie(cookieName(slug)); err == nil && d.Ready && token != "" {
		d.SetPasswordURL = billing.InviteURL(slug, token) + "&lang=" + d.Lang
	}
	render(c, http.StatusOK, "done.html", d)
}
