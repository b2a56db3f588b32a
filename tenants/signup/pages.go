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
}

func (h *Handler) signupData(c *gin.Context) signupPage {
	p := h.page(c, "title")
	plans := h.Billing.Config().Plans
	d := signupPage{page: p, Plans: plansView(plans, p.Lang), BillingOn: h.Billing.Enabled(),
		Canceled: c.Query("canceled") != ""}
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
			ce = &core.Error{Code: core.EINTERNAL, Message: "internal error"}
			_ = c.Error(err)
		}
		d.Errors = map[string]string{}
		for f, m := range ce.Fields {
			d.Errors[f] = message(d.Lang, m)
		}
		if len(d.Errors) == 0 {
			d.Errors["form"] = ce.Message
		}
		status := http.StatusUnprocessableEntity
		if ce.Code == core.EINTERNAL {
			status = http.StatusServiceUnavailable
		}
		render(c, status, "signup.html", d)
		return
	}
	http.SetCookie(c.Writer, &http.Cookie{Name: cookieName(s.Slug), Value: s.SetPasswordToken, Path: "/",
		MaxAge: int(billing.SetPasswordTTL / time.Second), HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode})
	target := s.CheckoutURL
	if target == "" {
		target = "/signup/done?slug=" + s.Slug + "&lang=" + d.Lang
	}
	c.Redirect(http.StatusSeeOther, target)
}

// cookieName is where the browser that signed up keeps the set-password
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
// (refreshing itself until the city is ready) and then the set-password link.
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
		d.SetPasswordURL = "/t/" + slug + "/set-password?lang=" + d.Lang + "&token=" + token
	}
	render(c, http.StatusOK, "done.html", d)
}

type setPasswordPage struct {
	page
	Slug, Token string
	Done        bool
}

func (h *Handler) setPasswordPage(c *gin.Context) {
	slug := c.Param("slug")
	d := setPasswordPage{page: h.page(c, "setpw_title"), Slug: slug, Token: c.Query("token")}
	if !tenants.ValidSlug(slug) {
		render(c, http.StatusNotFound, "done.html", donePage{page: d.page})
		return
	}
	c.Header("Referrer-Policy", "no-referrer") // the token is in the URL
	render(c, http.StatusOK, "setpw.html", d)
}

// setPasswordSubmit takes the form, or JSON {token, password} from API
// clients (answered with problem+json on errors).
func (h *Handler) setPasswordSubmit(c *gin.Context) {
	slug := c.Param("slug")
	if c.ContentType() == "application/json" {
		var in struct {
			Token    string `json:"token"`
			Password string `json:"password"`
		}
		if err := decodeJSON(c, &in); err != nil {
			problem(c, err)
			return
		}
		if err := h.Billing.SetPassword(c.Request.Context(), slug, in.Token, in.Password); err != nil {
			problem(c, err)
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "password set", "login": "your e-mail", "token_url": "/t/" + slug + "/api/v1/auth/token"})
		return
	}
	r := c.Request
	r.Body = http.MaxBytesReader(c.Writer, r.Body, 16<<10)
	d := setPasswordPage{page: h.page(c, "setpw_title"), Slug: slug, Token: r.PostFormValue("token")}
	c.Header("Referrer-Policy", "no-referrer")
	password := r.PostFormValue("password")
	var err error
	if password != r.PostFormValue("password2") {
		err = &core.Error{Code: core.EINVALID, Message: billing.MsgPasswordSame, Fields: map[string]string{"password2": billing.MsgPasswordSame}}
	} else {
		err = h.Billing.SetPassword(r.Context(), slug, d.Token, password)
	}
	var ce *core.Error
	switch {
	case err == nil:
		d.Done = true
		http.SetCookie(c.Writer, &http.Cookie{Name: cookieName(slug), Path: "/", MaxAge: -1})
		render(c, http.StatusOK, "setpw.html", d)
	case errors.As(err, &ce) && len(ce.Fields) > 0:
		d.Errors = map[string]string{}
		for f, m := range ce.Fields {
			d.Errors[f] = message(d.Lang, m)
		}
		render(c, http.StatusUnprocessableEntity, "setpw.html", d)
	case core.ErrorCode(err) == core.ENOTFOUND:
		render(c, http.StatusNotFound, "done.html", donePage{page: d.page})
	default:
		_ = c.Error(err)
		c.String(http.StatusInternalServerError, "internal error")
	}
}
