package main

import (
	"crypto/rand"
	"fmt"
	"log/slog"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants/access"
	"github.com/opencity/opencity/tenants/vendorapi"
)

// newKit builds the page kit every server-rendered page shares (#7, #8):
// sessions signed with cfg.SessionKey (random per start when unset, which
// logs everybody out on restart), the city logins and the vendor login.
func (s *Server) newKit(key []byte, authz *access.Authorizer) (*web.Kit, error) {
	if len(key) == 0 {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
		slog.Warn("OPENCITY_SESSION_KEY is not set: page sessions end when the server restarts")
	}
	kit, err := web.New(web.Options{Cities: s.Cities, Authz: authz, SessionKey: key, Now: s.now,
		Vendor: vendorapi.PageAuth{Backend: s.Backend, Authz: authz}})
	if err != nil {
		return nil, fmt.Errorf("pages: %w", err)
	}
	return kit, nil
}

// mountPages mounts the kit's routes and every page package on r.
func (s *Server) mountPages(r *gin.Engine) {
	s.Kit.Mount(r)
}
