package cityconsole

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// webhooksData is the webhooks page: the endpoints, the delivery log of the
// one chosen, and a new endpoint's secret right after it was created.
type webhooksData struct {
	Endpoints  []core.WebhookEndpoint
	Current    int64
	Deliveries []core.WebhookDelivery
	Events     []string
	NewSecret  string
}

// webhooks shows the endpoints and one endpoint's delivery log.
func (cs *Console) webhooks(c *gin.Context) {
	cs.showWebhooks(c, cs.page(c, "webhooks_title", "webhooks"), http.StatusOK, "")
}

func (cs *Console) showWebhooks(c *gin.Context, p *web.Page, status int, secret string) {
	k := callOf(c)
	w := cs.svc.Webhooks(k.city)
	d := &webhooksData{Events: core.WebhookEvents, NewSecret: secret}
	var err error
	if d.Endpoints, err = w.List(k.ctx, k.actor); err != nil {
		cs.views.Fail(c, "webhooks.html", p, err)
		return
	}
	d.Current, _ = strconv.ParseInt(c.Query("endpoint"), 10, 64)
	if d.Current == 0 && len(d.Endpoints) > 0 {
		d.Current = d.Endpoints[0].ID
	}
	if d.Current != 0 {
		if d.Deliveries, err = w.Deliveries(k.ctx, k.actor, d.Current, 100); err != nil {
			cs.views.Fail(c, "webhooks.html", p, err)
			return
		}
	}
	p.Data = d
	cs.views.Render(c, status, "webhooks.html", p)
}

// createEndpoint subscribes an endpoint and shows its secret this once.
func (cs *Console) createEndpoint(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "webhooks_title", "webhooks")
	p.Form = f.Values
	k := callOf(c)
	e, err := cs.svc.Webhooks(k.city).Create(k.ctx, k.actor, core.NewEndpoint{URL: f.String("url"), Events: f.Values["events"],
		OwnerEmail: f.String("owner_email")})
	if err != nil {
		cs.showWebhooks(c, p, p.SetError(c, err), "")
		return
	}
	p.Form = nil
	cs.showWebhooks(c, p, http.StatusCreated, e.Secret)
}

// redeliver sends one delivery again.
func (cs *Console) redeliver(c *gin.Context) {
	k := callOf(c)
	p := cs.page(c, "webhooks_title", "webhooks")
	var err error = core.NotFound("webhook_delivery")
	if id, perr := strconv.ParseInt(c.Param("id"), 10, 64); perr == nil {
		err = cs.svc.Webhooks(k.city).Redeliver(k.ctx, k.actor, id)
	}
	if err != nil {
		cs.views.Fail(c, "webhooks.html", p, err)
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/webhooks?endpoint="+c.PostForm("endpoint")+"&ok=saved")
}

// enableEndpoint turns a disabled endpoint back on.
func (cs *Console) enableEndpoint(c *gin.Context) {
	k := callOf(c)
	p := cs.page(c, "webhooks_title", "webhooks")
	var err error = core.NotFound("webhook_endpoint")
	if id, perr := strconv.ParseInt(c.Param("id"), 10, 64); perr == nil {
		err = cs.svc.Webhooks(k.city).Enable(k.ctx, k.actor, id)
	}
	if err != nil {
		cs.views.Fail(c, "webhooks.html", p, err)
		return
	}
	c.Redirect(http.StatusSeeOther, base(c)+"/webhooks?endpoint="+c.Param("id")+"&ok=saved")
}
