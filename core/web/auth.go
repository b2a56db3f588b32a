package web

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// loginData is what the login page shows besides the form.
type loginData struct {
	Action string // where the form posts
	Next   string
	Vendor bool
	// Register is the city's registration page (with Next); "" on the
	// vendor's login.
	Register string
}

// safeNext keeps only local paths under prefix as a place to return to.
func safeNext(next, prefix string) string {
	if !strings.HasPrefix(next, prefix) || strings.Contains(next, "//") || strings.Contains(next, `\`) {
		return ""
	}
	return next
}

func (k *Kit) loginPage(c *gin.Context) {
	city := httpapi.CityFromContext(c.Request.Context())
	p := k.views.Page(c, "login_title")
	next := safeNext(c.Query("next"), "/t/"+city.Slug+"/")
	p.Data = loginData{Action: "/t/" + city.Slug + "/login", Next: next, Register: registerPageData(city.Slug, next).Action}
	k.views.Render(c, http.StatusOK, "login.html", p)
}

// loginSubmit checks the password through the city's account service,
// under the same lockout as the API, and makes the page session the
// user's, with a new id.
func (k *Kit) loginSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	city := httpapi.CityFromContext(ctx)
	f := ReadForm(c)
	p := k.views.Page(c, "login_title")
	p.Form = cloneValues(f.Values)
	p.Form.Del("password")
	d := loginData{Action: "/t/" + city.Slug + "/login", Next: safeNext(f.String("next"), "/t/"+city.Slug+"/")}
	d.Register = registerPageData(city.Slug, d.Next).Action
	p.Data = d
	accounts := core.Accounts{Store: city.Store, Now: k.Now}
	u, err := accounts.Authenticate(ctx, core.Credentials{Login: f.String("login"), Password: f.Values.Get("password"), Client: c.ClientIP()})
	if err != nil {
		k.loginFailed(c, p, err)
		return
	}
	k.enter(c, p, "login.html", u, d.Next)
}

// enter makes the page session the session of u (a new id and CSRF token)
// and sends the user to next, else to their role's home page, else to the
// "logged in" page.
func (k *Kit) enter(c *gin.Context, p *Page, tpl string, u *core.User, next string) {
	city := httpapi.CityFromContext(c.Request.Context())
	if err := k.Sessions.LogIn(c, u.ID); err != nil {
		k.internal(c, err)
		return
	}
	actor, err := city.Store.ActorByUserID(c.Request.Context(), u.ID)
	if err != nil {
		k.views.Fail(c, tpl, p, err)
		return
	}
	target := next
	if rel, ok := k.landing[actor.Role]; ok && target == "" {
		target = "/t/" + city.Slug + "/" + rel
	}
	if target != "" {
		c.Redirect(http.StatusSeeOther, target)
		return
	}
	c.Request = c.Request.WithContext(httpapi.NewContextWithActor(c.Request.Context(), actor))
	p = k.views.Page(c, "logged_in")
	k.views.Render(c, http.StatusOK, "loggedin.html", p)
}

// loginFailed renders the login form again with the reason of a refused
// login: the password field for a wrong password, the form's message with
// Retry-After when the address must wait.
func (k *Kit) loginFailed(c *gin.Context, p *Page, err error) {
	var ce *core.Error
	if errors.As(err, &ce) {
		switch ce.Code {
		case core.EUNAUTHORIZED:
			err = &core.Error{Code: core.EUNAUTHORIZED, Message: "error.wrong_login",
				Fields: core.FieldErrors{"password": core.M("error.wrong_login")}}
		case core.ETOOMANY:
			c.Header("Retry-After", strconv.Itoa(max(int(math.Ceil(ce.RetryAfter.Seconds())), 1)))
			err = &core.Error{Code: core.ETOOMANY, Message: "too_many"}
		}
	}
	k.views.Fail(c, "login.html", p, err)
}

// logout ends the page session: deleted from the city's store and the
// browser.
func (k *Kit) logout(c *gin.Context) {
	city := httpapi.CityFromContext(c.Request.Context())
	if err := k.Sessions.LogOut(c); err != nil {
		k.internal(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/t/"+city.Slug+"/login")
}

func (k *Kit) vendorLoginPage(c *gin.Context) {
	p := k.views.Page(c, "vendor_login_title")
	p.Data = loginData{Action: "/admin/login", Next: safeNext(c.Query("next"), "/admin/"), Vendor: true}
	k.views.Render(c, http.StatusOK, "login.html", p)
}

// vendorLoginSubmit checks the password with the control plane, under the
// same lockout as every login, and makes the console session the vendor
// user's, with a new id.
func (k *Kit) vendorLoginSubmit(c *gin.Context) {
	f := ReadForm(c)
	p := k.views.Page(c, "vendor_login_title")
	p.Form = cloneValues(f.Values)
	p.Form.Del("password")
	d := loginData{Action: "/admin/login", Next: safeNext(f.String("next"), "/admin/"), Vendor: true}
	p.Data = d
	u, err := k.Vendor.VendorLogin(c.Request.Context(),
		core.Credentials{Login: f.String("login"), Password: f.Values.Get("password"), Client: c.ClientIP()}, k.Now())
	if err != nil {
		k.loginFailed(c, p, err)
		return
	}
	if err := k.VendorSessions.LogIn(c, u.ID); err != nil {
		k.internal(c, err)
		return
	}
	target := d.Next
	if target == "" {
		target = "/admin/"
	}
	c.Redirect(http.StatusSeeOther, target)
}

func (k *Kit) vendorLogout(c *gin.Context) {
	if err := k.VendorSessions.LogOut(c); err != nil {
		k.internal(c, err)
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/login")
}

// inviteData is the invitation page's greeting; nil when the link is not
// (or no longer) valid, and the page shows no form.
type inviteData struct {
	Login, Name string
}

// invitePage lets an invited staff member choose a password with the
// token from the invitation link (/t/{slug}/invite?token=…). An unknown,
// used or expired link is said at once (404), with no form to fill in.
func (k *Kit) invitePage(c *gin.Context) {
	ctx := c.Request.Context()
	city := httpapi.CityFromContext(ctx)
	p := k.views.Page(c, "invite_title")
	p.Form = map[string][]string{"token": {c.Query("token")}}
	c.Header("Referrer-Policy", "no-referrer")
	accounts := core.Accounts{Store: city.Store, Now: k.Now}
	u, err := accounts.Invitation(ctx, c.Query("token"))
	if err != nil {
		status := p.SetError(c, err)
		k.views.Render(c, status, "invite.html", p)
		return
	}
	p.Data = &inviteData{Login: u.Login, Name: u.Name}
	k.views.Render(c, http.StatusOK, "invite.html", p)
}

// inviteSubmit redeems the invitation with the same checks as the API,
// logs the user in with the password just chosen and sends them to their
// home page.
func (k *Kit) inviteSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	city := httpapi.CityFromContext(ctx)
	f := ReadForm(c)
	p := k.views.Page(c, "invite_title")
	p.Form = map[string][]string{"token": {f.String("token")}}
	c.Header("Referrer-Policy", "no-referrer")
	accounts := core.Accounts{Store: city.Store, Now: k.Now}
	invited, err := accounts.Invitation(ctx, f.String("token"))
	if err != nil {
		status := p.SetError(c, err)
		k.views.Render(c, status, "invite.html", p)
		return
	}
	p.Data = &inviteData{Login: invited.Login, Name: invited.Name}
	password := f.Values.Get("password")
	u, err := accounts.RedeemInvite(ctx, core.InviteRedemption{Token: f.String("token"), Password: password})
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND { // spent meanwhile: no form any more
			p.Data = nil
		}
		status := p.SetError(c, err)
		k.views.Render(c, status, "invite.html", p)
		return
	}
	u, err = accounts.Authenticate(ctx, core.Credentials{Login: u.Login, Password: password, Client: c.ClientIP()})
	if err != nil { // the password is set: the login page says why it cannot log in now
		p = k.views.Page(c, "login_title")
		p.Form = map[string][]string{"login": {u.Login}}
		p.Flash = "invite_done"
		p.Data = loginData{Action: "/t/" + city.Slug + "/login"}
		k.loginFailed(c, p, err)
		return
	}
	k.enter(c, p, "invite.html", u, "")
}

func cloneValues(v map[string][]string) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}
