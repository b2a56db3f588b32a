package vendorconsole

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
)

// ObjFleet is the vendor's fleet of dedicated installations.
const ObjFleet = "fleet"

// DefaultFleetSilence is how long an installation may stay without a
// heartbeat before the fleet page flags it as silent.
const DefaultFleetSilence = 15 * time.Minute

// Fleet is what the fleet page needs from the control plane (tenants.Backend).
type Fleet interface {
	Installations(ctx context.Context) ([]tenants.Installation, error)
	RegisterInstallation(ctx context.Context, name string, now time.Time) (*tenants.Installation, string, error)
	RevokeInstallation(ctx context.Context, id int64, now time.Time) error
}

// FleetRow is an installation with its alerts.
type FleetRow struct {
	tenants.Installation
	Alerts []string
}

type fleetData struct {
	Rows    []FleetRow
	Version string // the vendor's own version
	Token   string // the token of an installation just registered, shown once
	Created string
}

func (cs *Console) showFleet(c *gin.Context, p *web.Page, status int, d *fleetData) {
	ins, err := cs.fleet.Installations(c.Request.Context())
	if err != nil {
		cs.views.Fail(c, "fleet.html", p, err)
		return
	}
	now := cs.now()
	d.Version = tenants.Version
	for _, in := range ins {
		d.Rows = append(d.Rows, FleetRow{in, in.Alerts(now, cs.FleetSilence, tenants.Version)})
	}
	p.Data = d
	cs.views.Render(c, status, "fleet.html", p)
}

// fleetPage lists the installations with version, last heartbeat and alerts.
func (cs *Console) fleetPage(c *gin.Context) {
	cs.showFleet(c, cs.page(c, "fleet_title", "fleet"), http.StatusOK, &fleetData{})
}

// registerInstallation adds an installation and shows its heartbeat token once.
func (cs *Console) registerInstallation(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "fleet_title", "fleet")
	p.Form = f.Values
	in, token, err := cs.fleet.RegisterInstallation(c.Request.Context(), f.String("name"), cs.now())
	if err != nil {
		cs.views.Fail(c, "fleet.html", p, err)
		return
	}
	_ = cs.b.Registry().Audit(c.Request.Context(), actor(c), "installation.registered", "", in.Name)
	p.Form = nil
	cs.showFleet(c, p, http.StatusCreated, &fleetData{Token: token, Created: in.Name})
}

// revokeInstallation stops an installation's heartbeat token.
func (cs *Console) revokeInstallation(c *gin.Context) {
	p := cs.page(c, "fleet_title", "fleet")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err == nil {
		err = cs.fleet.RevokeInstallation(c.Request.Context(), id, cs.now())
	} else {
		err = core.NotFound("installation")
	}
	if err != nil {
		cs.views.Fail(c, "fleet.html", p, err)
		return
	}
	_ = cs.b.Registry().Audit(c.Request.Context(), actor(c), "installation.revoked", "", c.Param("id"))
	c.Redirect(http.StatusSeeOther, "/admin/fleet?ok=saved")
}
