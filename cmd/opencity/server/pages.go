package server

import (
	"context"
	"fmt"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/admin/cityconsole"
	"github.com/opencity/opencity/admin/vendorconsole"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants/access"
	"github.com/opencity/opencity/tenants/vendorapi"
)

// newKit builds the page kit every server-rendered page shares: page
// sessions kept in each city and in the control plane, the city logins and
// the vendor login.
func (s *Server) newKit(sc SessionConfig, authz *access.Authorizer) (*web.Kit, error) {
	if sc.Err != nil {
		return nil, sc.Err
	}
	kit, err := web.New(web.Options{Cities: s.Cities, Authz: authz, Control: s.Backend.ControlSessions(),
		Sessions: sc.options(), Now: s.now,
		Vendor: vendorapi.PageAuth{Backend: s.Backend, Authz: authz}, Limits: s.rateLimits})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return kit, nil
}

// mountPages mounts the kit's routes and every page package on r.
func (s *Server) mountPages(r *gin.Engine, api *httpapi.API) {
	s.Kit.Mount(r)
	cc := cityconsole.New(s.Kit, api.Services(), cityProfile{s}) // city admin console
	cc.Channels = s.notifyChannels
	cc.Register(r)
	vc := vendorconsole.New(s.Kit, s.Backend, s.Billing, s.Plugins, s.now, s.Cities.Invalidate) // super-admin console
	if s.fleet.Silence > 0 {
		vc.FleetSilence = s.fleet.Silence
	}
	vc.Register(r)
}

// cityProfile lets the city console change the city's registry entry and
// makes the resolver see it at once.
type cityProfile struct{ s *Server }

func (p cityProfile) SetCityProfile(ctx context.Context, actor, slug, name, locale, timezone string) error {
	_, err := p.s.Backend.Registry().SetProfile(ctx, actor, slug, name, locale, timezone)
	if err == nil {
		p.s.Cities.Invalidate()
	}
	return err
}
