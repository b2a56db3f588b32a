package httpapi

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// routeTestInput is a request that is routed but never created.
type routeTestInput struct {
	Category   string        `json:"category"`
	BuildingID *int64        `json:"building_id"`
	Address    string        `json:"address"`
	Priority   core.Priority `json:"priority"`
	At         *time.Time    `json:"at"` // default: now
}

// routeTestOutput is the routing decision for a request that is not created.
type routeTestOutput struct {
	Triage       bool          `json:"triage"`
	Reason       string        `json:"reason"`
	Source       string        `json:"source"`
	Organization *orgJSON      `json:"organization"`
	Priority     core.Priority `json:"priority"`
	BuildingID   *int64        `json:"building_id"`
}

type orgJSON struct {
	ID   int64  `json:"id"`
	Code string `json:"code"`
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// testRouting answers which organization a request would go to, and why,
// with the city's effective router (its plugin, its rules or triage),
// without creating the request.
func (a *API) testRouting(c *gin.Context) {
	var in routeTestInput
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	ctx := c.Request.Context()
	city := CityFromContext(ctx)
	dir, err := city.Store.Directory(ctx, false)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	f := core.FieldErrors{}
	var cat *core.Category
	for i := range dir.Categories {
		if dir.Categories[i].Code == in.Category && dir.Categories[i].Active {
			cat = &dir.Categories[i]
		}
	}
	if cat == nil {
		f.Add("category", "unknown category "+strconv.Quote(in.Category))
	}
	if in.Priority != "" && !in.Priority.Valid() {
		f.Add("priority", "must be emergency, normal or planned")
	}
	var b *core.Building
	switch {
	case in.BuildingID != nil:
		b, err = city.Store.Building(ctx, *in.BuildingID)
		if core.ErrorCode(err) == core.ENOTFOUND {
			f.Add("building_id", "no such building in this city")
		} else if err != nil {
			WriteProblem(c, err)
			return
		}
	case strings.TrimSpace(in.Address) != "":
		b, err = city.Store.BuildingByAddress(ctx, in.Address)
		if core.ErrorCode(err) == core.ENOTFOUND {
			b = nil // a free address: routed without a registry building
		} else if err != nil {
			WriteProblem(c, err)
			return
		}
	default:
		f.Add("building_id", "give building_id or address")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	at := a.Now()
	if in.At != nil {
		at = *in.At
	}
	req := &core.Request{Priority: in.Priority, Address: in.Address, Channel: core.ChannelPortal}
	if req.Priority == "" {
		req.Priority = cat.DefaultPriority
	}
	if b != nil {
		req.BuildingID, req.DistrictID, req.Address = &b.ID, &b.DistrictID, b.AddressRU
	}
	d, err := a.RouterFor(city).Route(ctx, core.RouteInput{City: city.Slug, Request: req, Category: *cat, Building: b, At: at.In(city.Location)})
	if err != nil {
		WriteProblem(c, err)
		return
	}
	out := routeTestOutput{Triage: d.Triage, Reason: d.Reason, Source: d.Source, Priority: req.Priority}
	if d.Priority != "" {
		out.Priority = d.Priority
	}
	if b != nil {
		out.BuildingID = &b.ID
	}
	if o := dir.Organization(d.OrganizationID); o != nil && !d.Triage {
		name := o.NameRU
		if language(c, city) == "en" {
			name = o.NameEN
		}
		out.Organization = &orgJSON{ID: o.ID, Code: o.Code, Kind: o.Kind, Name: name}
	}
	c.JSON(http.StatusOK, out)
}
