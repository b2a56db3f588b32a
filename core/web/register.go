package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// registerData is what the registration page shows besides the form.
type registerData struct {
	Action string // where the form posts
	Next   string // where to go once registered
	Login  string // the login page, with Next
}

func registerPageData(slug, next string) registerData {
	d := registerData{Action: "/t/" + slug + "/register", Next: safeNext(next, "/t/"+slug+"/"), Login: "/t/" + slug + "/login"}
	if d.Next != "" {
		d.Action += "?next=" + url.QueryEscape(d.Next)
		d.Login += "?next=" + url.QueryEscape(d.Next)
	}
	return d
}

// registerPage is a citizen's registration on the portal, reached from the
// login page (and so from every page that needs an account).
func (k *Kit) registerPage(c *gin.Context) {
	city := httpapi.CityFromContext(c.Request.Context())
	p := k.views.Page(c, "register_title")
	p.Data = registerPageData(city.Slug, c.Query("next"))
	k.views.Render(c, http.StatusOK, "register.html", p)
}

// registerSubmit creates the citizen's account through the city's account
// service, as the API's registration does (the phone number written any
// way, kept in E.164 form), logs them in and sends them on. A fault shows
// the form again with every field's message and what was typed, the
// password apart.
func (k *Kit) registerSubmit(c *gin.Context) {
	ctx := c.Request.Context()
	city := httpapi.CityFromContext(ctx)
	f := ReadForm(c)
	p := k.views.Page(c, "register_title")
	p.Form = cloneValues(f.Values)
	p.Form.Del("password")
	d := registerPageData(city.Slug, c.Query("next"))
	p.Data = d
	in := core.Registration{Name: f.String("name"), Phone: f.String("phone"), Email: f.String("email"),
		Password: f.Values.Get("password")}
	// The portal asks for a phone number and a name; the rest is the
	// registration's own rules, every fault at once.
	faults := core.FieldErrors{}
	if strings.TrimSpace(in.Phone) == "" {
		faults.Add("phone", "error.required")
	}
	if strings.TrimSpace(in.Name) == "" {
		faults.Add("name", "error.required")
	}
	accounts := core.Accounts{Store: city.Store, Now: k.Now}
	var u *core.User
	var err error
	if len(faults) > 0 {
		region, rerr := city.Store.PhoneRegion(ctx)
		if rerr != nil {
			k.views.Fail(c, "register.html", p, rerr)
			return
		}
		if _, verr := in.User(region); verr != nil {
			if e, ok := verr.(*core.Error); ok {
				for field, m := range e.Fields {
					faults.AddMsg(field, m)
				}
			}
		}
		k.views.Fail(c, "register.html", p, faults.Err())
		return
	}
	if u, err = accounts.Register(ctx, in); err != nil {
		k.views.Fail(c, "register.html", p, err)
		return
	}
	u, err = accounts.Authenticate(ctx, core.Credentials{Login: u.Login, Password: in.Password, Client: c.ClientIP()})
	if err != nil { // the account exists: the login page says why it cannot log in now
		p = k.views.Page(c, "login_title")
		p.Form = map[string][]string{"login": {in.Phone}}
		p.Data = loginData{Action: "/t/" + city.Slug + "/login", Next: d.Next, Register: d.Action}
		k.loginFailed(c, p, err)
		return
	}
	k.enter(c, p, "register.html", u, d.Next)
}
