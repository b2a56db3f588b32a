package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/web/session"
)

// Page is what every template gets as its dot: the layout's facts (city,
// user, language, banner) and the package's Data. The template helpers are
// its methods: {{$.T "code"}}, {{$.T "count_users" "Count" 3}}, {{$.M .Msg}}, {{$.Asset "admin/console.css"}},
// {{$.CSRFField}}, {{$.FieldError "name"}}, {{$.HasError "name"}},
// {{$.Value "name"}}, {{$.Time .CreatedAt}}.
type Page struct {
	Title string // a message key, translated by the layout
	Lang  string
	// City is the city of /t/{slug} pages; nil on vendor pages.
	City *httpapi.City
	// Actor is the logged-in city user (zero when anonymous).
	Actor core.Actor
	// Vendor is the logged-in vendor user on /admin/ pages.
	Vendor *VendorUser
	// Banner is a notice above the page (a message code): billing, suspension.
	Banner string
	// Flash is a one-line success notice (a message code).
	Flash string
	// Errors are field messages, shown in the page's language next to
	// their fields; "form" is the form-wide one.
	Errors core.FieldErrors
	// Form holds the submitted values, so a refused form keeps its input.
	Form url.Values
	// Nav is the name of the package's navigation template ("" for none).
	Nav string
	// Data is the package's own content.
	Data any
	// Path is the request path, for links that keep the page (language).
	Path  string
	Query url.Values

	kit    *Kit
	ns     string // the package's section of the catalog ("console")
	loc    *time.Location
	ctx    context.Context // the request's: its session gives the CSRF token, the directory's names
	dir    *core.Directory // the city's directory, read on first use
	dirErr error
}

// T renders a message of the catalog in the page's language, with
// arguments as key/value pairs ("Count", 3). A package's own section is
// looked up first: on the city console, "created" is "console.created"
// when the catalog has it.
func (p *Page) T(code string, kv ...any) string {
	return i18n.Text(p.Lang, p.code(code), i18n.Args(kv...))
}

// M renders a message with its arguments (field errors, history events,
// routing reasons); arguments that carry a directory code (core.RefArgs)
// show the entry's name in the page's language.
func (p *Page) M(m core.Msg) string {
	var names i18n.Namer
	if d := p.directory(); d != nil {
		names = d.Namer(p.Lang)
	}
	return i18n.Embedded().TextNamed(p.Lang, p.code(m.Code), m.Args, names)
}

// directory is the city's directory for names, nil outside a city or when
// it cannot be read (codes are shown then, and the error is logged once).
func (p *Page) directory() *core.Directory {
	if p.dir != nil || p.dirErr != nil || p.City == nil || p.City.Store == nil || p.ctx == nil {
		return p.dir
	}
	p.dir, p.dirErr = p.City.Store.Directory(p.ctx, false)
	if p.dirErr != nil {
		slog.ErrorContext(p.ctx, "web: directory for names", "err", p.dirErr)
	}
	return p.dir
}

// name is the name of a directory entry in the page's language, its code
// when the directory does not know it (a deleted entry).
func (p *Page) name(kind, code string) string {
	if n, ok := p.directory().Name(kind, code, p.Lang); ok {
		return n
	}
	return code
}

// Org is an organization's name, by its code, in the page's language.
func (p *Page) Org(code string) string { return p.name(core.RefOrganization, code) }

// Category is a category's name, by its code, in the page's language.
func (p *Page) Category(code string) string { return p.name(core.RefCategory, code) }

// Group is a category group's name, by its code, in the page's language.
func (p *Page) Group(code string) string { return p.name(core.RefGroup, code) }

// District is a district's name, by its code, in the page's language.
func (p *Page) District(code string) string { return p.name(core.RefDistrict, code) }

// OrgByID is an organization's name, by its id (an int64 or *int64), in
// the page's language; "" for none.
func (p *Page) OrgByID(id any) string {
	var n int64
	switch v := id.(type) {
	case int64:
		n = v
	case *int64:
		if v != nil {
			n = *v
		}
	}
	if n == 0 {
		return ""
	}
	if d := p.directory(); d != nil {
		if o := d.Organization(n); o != nil {
			return core.LocalName(o.NameRU, o.NameEN, p.Lang)
		}
	}
	return fmt.Sprintf("#%d", n)
}

// RouteSource is which router decided (core.Decision.Source) in the page's
// language; a plugin's reference is shown as it is.
func (p *Page) RouteSource(source string) string {
	if c, ok := core.SourceArg(source).(i18n.Code); ok {
		return p.T(string(c))
	}
	return source
}

// Utility is the name of a utility (core.Utilities) in the page's language.
func (p *Page) Utility(u string) string {
	if u == "" {
		return ""
	}
	return p.T("utility." + u)
}

// Name is an entry's name in the page's language from its two names.
func (p *Page) Name(ru, en string) string { return core.LocalName(ru, en, p.Lang) }

func (p *Page) code(code string) string {
	if p.ns != "" {
		if nc := p.ns + "." + code; i18n.Embedded().Has(i18n.Default, nc) {
			return nc
		}
	}
	return code
}

// Can reports whether the page's reader may act on obj (core.Obj*,
// core.Act*), asked of the same policies the routes enforce: the city's
// (casbin, through Kit.Authz) on city pages, the vendor's global ones on
// /admin/ pages. Pages show a link, form or button only when it answers
// true; a failed check answers false and is logged.
func (p *Page) Can(obj, act string) bool {
	if p.kit == nil || p.ctx == nil {
		return false
	}
	var ok bool
	var err error
	switch {
	case p.Vendor != nil && p.kit.Vendor != nil:
		ok, err = p.kit.Vendor.AllowedGlobal(p.ctx, p.Vendor.Role, obj, act)
	case p.City != nil && p.Actor.UserID != 0 && p.kit.Authz != nil:
		ok, err = p.kit.Authz.Allowed(p.ctx, p.City.Slug, p.Actor.Role, obj, act)
	}
	if err != nil {
		slog.ErrorContext(p.ctx, "web: policy check for a page", "obj", obj, "act", act, "err", err)
	}
	return err == nil && ok
}

// CanPost is Can for a form: a read-only (suspended) city refuses every
// form, whatever the policies say (Kit.Require).
func (p *Page) CanPost(obj, act string) bool {
	return !(p.City != nil && p.City.ReadOnly) && p.Can(obj, act)
}

// Asset is the checksummed URL of a registered static file.
func (p *Page) Asset(name string) string { return p.kit.Assets.URL(name) }

// CSRFField is the hidden input every form carries. A visitor's session
// is stored from their first form on.
func (p *Page) CSRFField() template.HTML {
	return template.HTML(`<input type="hidden" name="` + session.FormField + `" value="` +
		template.HTMLEscapeString(p.CSRFToken()) + `">`)
}

// CSRFToken is the raw token, for forms built by hand.
func (p *Page) CSRFToken() string {
	if p.ctx == nil {
		return ""
	}
	return session.Token(p.ctx)
}

// HasError reports whether a field has a message.
func (p *Page) HasError(field string) bool { return p.Errors[field].Code != "" }

// FieldError is the message of a field in the page's language, "" when
// it is fine.
func (p *Page) FieldError(field string) string { return p.M(p.Errors[field]) }

// Value is the submitted value of a field ("" when none was sent).
func (p *Page) Value(field string) string { return p.Form.Get(field) }

// ValueOr is the submitted value of a field, or def when the form was not
// submitted yet.
func (p *Page) ValueOr(field, def string) string {
	if p.Form == nil {
		return def
	}
	return p.Form.Get(field)
}

// Time formats t in the city's time zone; outside a city (the vendor's
// pages, which show every city) it is UTC and says so: "30.11.2026 12:30
// UTC". A nil or zero time is a dash.
func (p *Page) Time(t any) string {
	var tt time.Time
	switch v := t.(type) {
	case time.Time:
		tt = v
	case *time.Time:
		if v != nil {
			tt = *v
		}
	}
	if tt.IsZero() {
		return "—"
	}
	s := tt.In(p.loc).Format("02.01.2006 15:04")
	if p.City == nil {
		s += " " + p.loc.String()
	}
	return s
}

// Say renders a value of a closed list through the catalog: the message
// prefix+value ("billing_state_" + "past_due") when the catalog has it,
// else the value as it is (a status a newer Stripe API version added).
func (p *Page) Say(prefix, value string) string {
	if value == "" {
		return ""
	}
	if c := p.code(prefix + value); i18n.Embedded().Has(p.Lang, c) {
		return i18n.Text(p.Lang, c, nil)
	}
	return value
}

// Minutes writes a duration given in minutes in the page's language:
// "30 мин", "2 ч", "2 ч 30 мин" (catalog codes clock.*).
func (p *Page) Minutes(m int) string {
	switch {
	case m%60 == 0:
		return p.T("clock.h", "H", m/60)
	case m > 60:
		return p.T("clock.hm", "H", m/60, "M", m%60)
	}
	return p.T("clock.m", "M", m)
}

// Location is the time zone pages show times in.
func (p *Page) Location() *time.Location { return p.loc }

// LangURL is the current page in another language.
func (p *Page) LangURL(lang string) string {
	q := url.Values{}
	for k, v := range p.Query {
		q[k] = v
	}
	q.Set("lang", lang)
	return p.Path + "?" + q.Encode()
}

// Languages lists the languages the switch offers.
func (p *Page) Languages() []string { return i18n.Languages }

// Role is the translated name of a role.
func (p *Page) Role(r any) string { return p.T("role." + fmt.Sprint(r)) }

// UserName is who the header says is logged in ("" when anonymous).
func (p *Page) UserName() string {
	switch {
	case p.Vendor != nil:
		return p.Vendor.Login
	case p.Actor.UserID != 0 && p.Actor.Name != "":
		return p.Actor.Name
	case p.Actor.UserID != 0:
		return fmt.Sprintf("#%d", p.Actor.UserID)
	}
	return ""
}

// Home is the logged-in reader's own start page: their role's landing in
// the city (Kit.SetLanding), the city's portal for a role without one,
// the console for a vendor user; "" when anonymous.
func (p *Page) Home() string {
	switch {
	case p.Vendor != nil:
		return "/admin/"
	case p.City != nil && p.Actor.UserID != 0:
		if rel, ok := p.kit.landing[p.Actor.Role]; ok {
			return "/t/" + p.City.Slug + "/" + rel
		}
		return "/t/" + p.City.Slug + "/"
	}
	return ""
}

// LogoutURL is where the header's logout form posts.
func (p *Page) LogoutURL() string {
	if p.Vendor != nil {
		return "/admin/logout"
	}
	if p.City != nil {
		return "/t/" + p.City.Slug + "/logout"
	}
	return ""
}

// Views is one package's set of page templates, each parsed together with
// the kit's layout and the package's partials.
type Views struct {
	kit   *Kit
	pages map[string]*template.Template
	ns    string
}

// Views parses the templates of a package: every dir/*.html is a page,
// except files starting with "_", which are partials (nav, shared
// fragments) parsed into every page. A page defines "content"; it may
// define "head" and "scripts". Texts come from the catalog (core/i18n);
// ns names the package's own section of it ("console" looks up
// "console.<code>" before "<code>"), "" for none.
func (k *Kit) Views(fsys fs.FS, dir, ns string) (*Views, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.html"))
	if err != nil {
		return nil, err
	}
	var partials, pages []string
	for _, n := range names {
		if strings.HasPrefix(path.Base(n), "_") {
			partials = append(partials, n)
		} else {
			pages = append(pages, n)
		}
	}
	v := &Views{kit: k, pages: map[string]*template.Template{}, ns: ns}
	for _, n := range pages {
		t, err := k.layout.Clone()
		if err != nil {
			return nil, err
		}
		if len(partials) > 0 {
			if t, err = t.ParseFS(fsys, partials...); err != nil {
				return nil, err
			}
		}
		if t, err = t.ParseFS(fsys, n); err != nil {
			return nil, err
		}
		v.pages[path.Base(n)] = t
	}
	return v, nil
}

// MustViews is Views for package initialization, where a template error is
// a programming error.
func (k *Kit) MustViews(fsys fs.FS, dir, ns string) *Views {
	v, err := k.Views(fsys, dir, ns)
	if err != nil {
		panic(err)
	}
	return v
}

// Page starts the page of a request: language, city, user, banner and the
// CSRF token come from the request's context.
func (v *Views) Page(c *gin.Context, title string) *Page {
	ctx := c.Request.Context()
	p := &Page{Title: title, kit: v.kit, ns: v.ns, ctx: ctx, loc: time.UTC,
		Path: c.Request.URL.Path, Query: c.Request.URL.Query()}
	p.Query.Del("lang")
	fallback := ""
	if city := httpapi.CityFromContext(ctx); city != nil {
		p.City, p.Banner, fallback = city, city.Banner, city.Locale
		if city.Location != nil {
			p.loc = city.Location
		}
		p.Actor = httpapi.ActorFromContext(ctx)
	}
	p.Vendor = VendorFromContext(ctx)
	p.Lang = Language(c, fallback)
	if f := c.Query("ok"); f != "" {
		if i18n.Embedded().Has(p.Lang, p.code(f)) { // only the site's own notices, never text from a link
			p.Flash = f
		}
	}
	return p
}

// Render executes page name with p and writes it with status.
func (v *Views) Render(c *gin.Context, status int, name string, p *Page) {
	t, ok := v.pages[name]
	if !ok {
		slog.ErrorContext(c.Request.Context(), "web: no such template", "name", name)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	if p.kit == nil {
		p.kit, p.ns = v.kit, v.ns
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		slog.ErrorContext(c.Request.Context(), "web: render", "template", name, "err", err)
		c.String(http.StatusInternalServerError, "internal error")
		return
	}
	c.Header("Cache-Control", "no-store")
	c.Header("X-Frame-Options", "DENY")
	c.Header("Content-Language", p.Lang)
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
	c.Abort()
}

// Fail shows err on the page: field errors go next to their fields, other
// messages to the form; the answer status follows the error's code. An
// internal error is logged and shown as "internal error".
//
// A page with no Data yet (its content could not be loaded) is replaced by
// the kit's error page when the error is a 404, 403 or internal one.
func (v *Views) Fail(c *gin.Context, name string, p *Page, err error) {
	status := p.SetError(c, err)
	if p.Data == nil {
		switch status {
		case http.StatusNotFound:
			v.kit.Error(c, status, "notfound_title", "notfound_text")
			return
		case http.StatusForbidden:
			v.kit.errorPage(c, status, "forbidden_title", p.Errors["form"])
			return
		case http.StatusInternalServerError:
			v.kit.Error(c, status, "error_title", "error_text")
			return
		}
	}
	v.Render(c, status, name, p)
}

// SetError puts err into p.Errors and returns the HTTP status for it.
func (p *Page) SetError(c *gin.Context, err error) int {
	if p.Errors == nil {
		p.Errors = core.FieldErrors{}
	}
	var ce *core.Error
	if !errors.As(err, &ce) && httpapi.ClientGone(c) {
		slog.Info("web: client closed the request", "path", c.Request.URL.Path, "err", err)
		return httpapi.StatusClientClosed
	}
	if !errors.As(err, &ce) || ce.Code == core.EINTERNAL {
		slog.ErrorContext(c.Request.Context(), "web: internal error", "path", c.Request.URL.Path, "err", err)
		_ = c.Error(err)
		p.Errors["form"] = core.M("error_text")
		return http.StatusInternalServerError
	}
	for f, m := range ce.Fields {
		p.Errors[f] = m
	}
	if len(ce.Fields) == 0 {
		p.Errors["form"] = ce.Msg()
	} else if p.Errors["form"].Code == "" {
		p.Errors["form"] = core.M("fix_fields")
	}
	return statusOf(ce.Code)
}

func statusOf(code string) int {
	switch code {
	case core.EINVALID:
		return http.StatusUnprocessableEntity
	case core.ENOTFOUND:
		return http.StatusNotFound
	case core.ECONFLICT:
		return http.StatusConflict
	case core.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case core.EFORBIDDEN, core.EREADONLY:
		return http.StatusForbidden
	case core.ETOOMANY:
		return http.StatusTooManyRequests
	case core.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case core.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// Confirm renders the kit's confirmation step (see Kit.Confirm).
func (v *Views) Confirm(c *gin.Context, p *Page, cf Confirmation) { v.kit.Confirm(c, p, cf) }

// Kit is the kit the views belong to.
func (v *Views) Kit() *Kit { return v.kit }
