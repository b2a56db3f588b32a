package httpapi

import (
	"net/http"

	"github.com/opencity/opencity/core"
)

// endpointCreated is a new endpoint with its signing secret, shown this
// once.
type endpointCreated struct {
	core.WebhookEndpoint
	Secret string `json:"secret"`
}

func (a *API) webhookRoutes() []Route {
	o := core.ObjWebhooks
	return []Route{
		endpoint(Route{Method: "GET", Path: "/webhooks/endpoints", Obj: o, Act: core.ActRead, Status: http.StatusOK,
			Summary: "The webhook endpoints the caller may see: the city's all (city admin), an organization's its own (its manager)"}, a.listEndpoints),
		endpoint(Route{Method: "POST", Path: "/webhooks/endpoints", Obj: o, Act: core.ActCreate, Status: http.StatusCreated,
			Summary: "Subscribe an endpoint to events (" + joinEvents() + "); the answer carries its signing secret, shown only this once"}, a.createEndpoint),
		endpoint(Route{Method: "GET", Path: "/webhooks/endpoints/:id/deliveries", Obj: o, Act: core.ActRead, Status: http.StatusOK,
			Summary: "An endpoint's delivery log, newest first, up to limit", Query: []Param{{"limit", "integer", "1 to 100 (20)"}}}, a.listDeliveries),
		endpoint(Route{Method: "POST", Path: "/webhooks/endpoints/:id/enable", Obj: o, Act: core.ActUpdate, Status: http.StatusNoContent,
			Summary: "Turn a disabled endpoint back on; its pending deliveries go out"}, a.enableEndpoint),
		endpoint(Route{Method: "POST", Path: "/webhooks/deliveries/:id/redeliver", Obj: o, Act: core.ActUpdate, Status: http.StatusAccepted,
			Summary: "Send a delivery again (same event id)"}, a.redeliver),
	}
}

func joinEvents() string {
	s := ""
	for i, e := range core.WebhookEvents {
		if i > 0 {
			s += ", "
		}
		s += e
	}
	return s
}

func (a *API) listEndpoints(c *Call, _ none) (listOf[core.WebhookEndpoint], error) {
	es, err := a.Services().Webhooks(c.City).List(c.Ctx, c.Actor)
	return itemsOf(es), err
}

func (a *API) createEndpoint(c *Call, in core.NewEndpoint) (*endpointCreated, error) {
	e, err := a.Services().Webhooks(c.City).Create(c.Ctx, c.Actor, in)
	if err != nil {
		return nil, err
	}
	return &endpointCreated{WebhookEndpoint: *e, Secret: e.Secret}, nil
}

func (a *API) listDeliveries(c *Call, _ none) (listOf[core.WebhookDelivery], error) {
	id, err := pathID(c, "id", "webhook_endpoint")
	if err != nil {
		return listOf[core.WebhookDelivery]{}, err
	}
	f := core.FieldErrors{}
	limit := intParam(c.Context, f, "limit", defaultPage, 1, core.MaxPage)
	if err := f.Err(); err != nil {
		return listOf[core.WebhookDelivery]{}, err
	}
	ds, err := a.Services().Webhooks(c.City).Deliveries(c.Ctx, c.Actor, id, limit)
	return itemsOf(ds), err
}

func (a *API) enableEndpoint(c *Call, _ none) (none, error) {
	id, err := pathID(c, "id", "webhook_endpoint")
	if err != nil {
		return none{}, err
	}
	return none{}, a.Services().Webhooks(c.City).Enable(c.Ctx, c.Actor, id)
}

func (a *API) redeliver(c *Call, _ none) (none, error) {
	id, err := pathID(c, "id", "webhook_delivery")
	if err != nil {
		return none{}, err
	}
	return none{}, a.Services().Webhooks(c.City).Redeliver(c.Ctx, c.Actor, id)
}
