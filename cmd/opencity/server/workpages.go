package server

import (
	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/pages"
)

// mountWorkPages mounts the working pages on the kit: the dispatcher's
// desk, the organization's office and the citizens' portal. They use the
// API's router, upload folder and clock, so pages and API apply the same
// rules. A template that does not parse is a programming error, caught by
// every test that starts a server.
func (s *Server) mountWorkPages(r *gin.Engine, api *httpapi.API) {
	p, err := pages.New(s.Kit, api)
	if err != nil {
		panic(err)
	}
	p.Register(r)
}
