package cityconsole

import (
	"net/http"
	"net/url"
	"slices"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/web"
)

// Channels are the notification channels the server sends on, shown on
// the notifications page: e-mail (SMTP configured) and the SMS gateway's
// name ("" for none).
type Channels struct {
	Email bool
	SMS   string
}

// notificationsData is the notifications page: every kind's template in
// every language, the one being edited, and its preview.
type notificationsData struct {
	Templates []core.NoticeTemplate
	Kind      string
	Lang      string
	Current   core.NoticeTemplate
	Preview   *core.RenderedNotice
	Names     []string
	Channels  Channels
}

// notifications shows the templates and the editor of the one chosen
// (?kind=&lang=; the first by default).
func (cs *Console) notifications(c *gin.Context) {
	p := cs.page(c, "notifications_title", "notifications")
	cs.showNotifications(c, p, http.StatusOK, c.Query("kind"), c.Query("lang"), nil)
}

// showNotifications renders the page; edited, when set, is the form's
// template (kept as typed after a refusal or for a preview).
func (cs *Console) showNotifications(c *gin.Context, p *web.Page, status int, kind, lang string, preview *core.RenderedNotice) {
	k := callOf(c)
	ts, err := cs.svc.Notices(k.city).Templates(k.ctx, k.actor)
	if err != nil {
		cs.views.Fail(c, "notifications.html", p, err)
		return
	}
	if !slices.Contains(core.NoticeKinds, kind) {
		kind = core.NoticeKinds[0]
	}
	if !i18n.Supported(lang) {
		lang = p.Lang
	}
	d := &notificationsData{Templates: ts, Kind: kind, Lang: lang, Preview: preview, Names: core.NoticeArgs, Channels: cs.Channels}
	for _, t := range ts {
		if t.Kind == kind && t.Lang == lang {
			d.Current = t
		}
	}
	if p.Form == nil {
		p.Form = url.Values{"subject": {d.Current.Subject}, "body": {d.Current.Body}, "sms": {d.Current.SMS}}
	}
	p.Data = d
	cs.views.Render(c, status, "notifications.html", p)
}

// saveNotification stores the form's template, or only previews it when
// the preview button was pressed.
func (cs *Console) saveNotification(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "notifications_title", "notifications")
	p.Form = f.Values
	k := callOf(c)
	t := core.NoticeTemplate{Kind: f.String("kind"), Lang: f.String("lang"), Subject: f.Values.Get("subject"), Body: f.Values.Get("body"), SMS: f.Values.Get("sms")}
	n := cs.svc.Notices(k.city)
	if f.String("preview") != "" {
		rn, err := n.Preview(k.ctx, k.actor, t)
		if err != nil {
			cs.showNotifications(c, p, p.SetError(c, err), t.Kind, t.Lang, nil)
			return
		}
		cs.showNotifications(c, p, http.StatusOK, t.Kind, t.Lang, &rn)
		return
	}
	if err := n.Put(k.ctx, k.actor, t); err != nil {
		cs.showNotifications(c, p, p.SetError(c, err), t.Kind, t.Lang, nil)
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/notifications?kind="+url.QueryEscape(t.Kind)+"&lang="+url.QueryEscape(t.Lang)+"&ok=saved")
}

// resetNotification drops the city's own template: the catalog's is used.
func (cs *Console) resetNotification(c *gin.Context) {
	f := web.ReadForm(c)
	k := callOf(c)
	kind, lang := f.String("kind"), f.String("lang")
	if err := cs.svc.Notices(k.city).Reset(k.ctx, k.actor, kind, lang); err != nil {
		cs.views.Fail(c, "notifications.html", cs.page(c, "notifications_title", "notifications"), err)
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/notifications?kind="+url.QueryEscape(kind)+"&lang="+url.QueryEscape(lang)+"&ok=saved")
}
