// Package signup serves the self-signup of new cities: the signup page and
// its JSON API, the progress page and Stripe's
// webhook. Pages are server-rendered html/template from the binary, in
// Russian and English, and work without JavaScript.
package signup

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"html/template"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/ratelimit"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants/billing"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

var pages = template.Must(template.ParseFS(templateFS, "templates/*.html"))

// Handler serves the signup pages and APIs over a billing service.
type Handler struct {
	Billing *billing.Service
	assets  assetSet
}

// assetSet holds the URLs of the static files; each carries a checksum so a
// browser never keeps a stale copy.
type assetSet struct {
	CSS, JS string
	files   map[string][]byte
}

// Register mounts the routes: /signup… and POST /billing/webhook. forms is
// the page kit's session and CSRF guard (core/web's Kit.Forms): every page
// with a form runs behind it, so a form posted from another site is
// refused. The new admin chooses a password on the city's invitation page
// (core/web). limits bound, per client address, the signups and the
// e-mail confirmations, page and API together; nil limiters leave them
// unbounded.
func Register(r gin.IRouter, svc *billing.Service, forms gin.HandlerFunc, limits *ratelimit.Limiters) *Handler {
	h := &Handler{Billing: svc, assets: loadAssets()}
	if limits == nil {
		limits = &ratelimit.Limiters{}
	}
	limit, confirm := limits.Signup, limits.Confirm
	r.GET("/signup", forms, h.signupPage)
	r.POST("/signup", forms, limit.Middleware(h.tooMany), h.signupSubmit)
	r.GET("/signup/confirm", forms, h.confirmPage)
	r.POST("/signup/confirm", forms, confirm.Middleware(h.tooManyConfirmations), h.confirmSubmit)
	r.GET("/signup/done", h.donePage)
	r.GET("/signup/assets/:file", h.asset)
	r.GET("/signup/api/slug", h.apiSlug)
	r.GET("/signup/api/plans", h.apiPlans)
	r.POST("/signup/api", limit.Middleware(httpapi.TooManyRequests), h.apiSignup)
	r.POST("/signup/api/confirm", confirm.Middleware(httpapi.TooManyRequests), h.apiConfirm)
	r.GET("/signup/api/status/:slug", h.apiStatus)
	r.POST("/billing/webhook", h.webhook)
	return h
}

// tooMany answers a signup over the limit with the form and a message in
// the page's language.
func (h *Handler) tooMany(c *gin.Context, _ time.Duration) {
	d := h.signupData(c)
	d.Errors = map[string]string{"form": d.T("too_many_signups")}
	render(c, http.StatusTooManyRequests, "signup.html", d)
}

// tooManyConfirmations answers a confirmation over the limit with the
// form and a message in the page's language.
func (h *Handler) tooManyConfirmations(c *gin.Context, _ time.Duration) {
	d := confirmPage{page: h.page(c, "confirm_title"), Token: c.PostForm("token")}
	d.Errors = map[string]string{"form": d.T("rate_text")}
	render(c, http.StatusTooManyRequests, "confirm.html", d)
}

func loadAssets() assetSet {
	a := assetSet{files: map[string][]byte{}}
	for _, name := range []string{"style.css", "slug.js"} {
		b, err := assetFS.ReadFile("assets/" + name)
		if err != nil {
			panic(err) // embedded at build time
		}
		sum := sha256.Sum256(b)
		base, ext, _ := strings.Cut(name, ".")
		versioned := base + "." + hex.EncodeToString(sum[:4]) + "." + ext
		a.files[versioned] = b
		if ext == "css" {
			a.CSS = "/signup/assets/" + versioned
		} else {
			a.JS = "/signup/assets/" + versioned
		}
	}
	return a
}

func (h *Handler) asset(c *gin.Context) {
	name := c.Param("file")
	b, ok := h.assets.files[name]
	if !ok {
		c.String(http.StatusNotFound, "no such file")
		return
	}
	ct := "text/css; charset=utf-8"
	if strings.HasSuffix(name, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	c.Header("Cache-Control", "public, max-age=31536000, immutable")
	c.Data(http.StatusOK, ct, b)
}

// page is what every template gets.
type page struct {
	Lang, Title    string
	CSRF           string // the token every form sends back
	Assets         assetSet
	OtherLangQuery string
	Refresh        bool
	// Errors are the field messages in the page's language, "form" the
	// form-wide one.
	Errors map[string]string
}

// T renders a catalog message in the page's language; the signup's own
// section ("signup.<code>") first. Arguments are key/value pairs.
func (p page) T(code string, kv ...any) string {
	return i18n.Text(p.Lang, section(code), i18n.Args(kv...))
}

// M renders a message with its arguments.
func (p page) M(m core.Msg) string { return i18n.Text(p.Lang, section(m.Code), m.Args) }

func section(code string) string {
	if sc := "signup." + code; i18n.Embedded().Has(i18n.Default, sc) {
		return sc
	}
	return code
}

// lang picks the page language with i18n.Choose: the reader's choice
// (?lang= or the form's lang field), else Accept-Language; signups belong
// to no city yet.
func lang(r *http.Request) string {
	choice := r.URL.Query().Get("lang")
	if !i18n.Supported(choice) {
		choice = r.PostFormValue("lang")
	}
	return i18n.Choose(choice, "", r.Header.Get("Accept-Language"))
}

func (h *Handler) page(c *gin.Context, titleKey string) page {
	p := page{Lang: lang(c.Request), Assets: h.assets}
	p.Title = p.T(titleKey)
	q := c.Request.URL.Query()
	q.Set("lang", p.T("other_lang_code"))
	p.OtherLangQuery = q.Encode()
	p.CSRF = web.CSRFToken(c.Request.Context())
	return p
}

func render(c *gin.Context, status int, name string, data any) {
	var buf bytes.Buffer
	if err := pages.ExecuteTemplate(&buf, name, data); err != nil {
		slog.ErrorContext(c.Request.Context(), "render page", "page", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Content-Security-Policy", web.CSP("https://checkout.stripe.com"))
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}

// planView is a plan as the page shows it.
type planView struct {
	Code, Name, Price, Extra string
	Included                 int64
}

func plansView(ps []billing.Plan, lang string) []planView {
	out := make([]planView, 0, len(ps))
	for _, p := range ps {
		out = append(out, planView{Code: p.Code, Name: p.Name(lang), Price: money(p.MonthlyPrice, p.Currency),
			Extra: money(p.ExtraRequestPrice, p.Currency), Included: p.IncludedRequests})
	}
	return out
}

// money formats minor units: 1500000 rub → "15 000 ₽", 250 usd → "2.50 USD".
func money(minor int64, currency string) string {
	whole, cents := minor/100, minor%100
	s := fmt.Sprint(whole)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "\u00a0" + s[i:]
	}
	if cents != 0 {
		s += fmt.Sprintf(",%02d", cents)
	}
	if strings.EqualFold(currency, "rub") {
		return s + "\u00a0₽"
	}
	return s + "\u00a0" + strings.ToUpper(currency)
}
