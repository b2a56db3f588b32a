package servertest

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// RouteOf is the pattern of the route among routes (a server's
// Engine().Routes()) that a concrete path, its query ignored, belongs to
// for method; "" when none does.
func RouteOf(routes gin.RoutesInfo, method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	segs := strings.Split(path, "/")
	for _, r := range routes {
		if r.Method != method {
			continue
		}
		ps := strings.Split(r.Path, "/")
		if len(ps) != len(segs) {
			continue
		}
		ok := true
		for i := range ps {
			if ps[i] != segs[i] && !strings.HasPrefix(ps[i], ":") {
				ok = false
				break
			}
		}
		if ok {
			return r.Path
		}
	}
	return ""
}
