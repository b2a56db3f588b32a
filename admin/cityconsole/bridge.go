package cityconsole

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// bridge calls the city API's own handlers in-process, so every page runs
// exactly the validation, storage and side effects of the JSON API (the
// same core functions, the same field errors) without a second copy of
// the rules. The page's route is authorized with the route's own
// (object, action) pair before the call.
type bridge struct {
	routes map[string]httpapi.Route // "POST /categories" → route
}

func newBridge(api *httpapi.API) *bridge {
	b := &bridge{routes: map[string]httpapi.Route{}}
	for _, rt := range api.Routes() {
		b.routes[rt.Method+" "+rt.Path] = rt
	}
	return b
}

// route returns the API route of method and path; a missing one is a
// programming error caught by the console's tests at start.
func (b *bridge) route(method, path string) httpapi.Route {
	rt, ok := b.routes[method+" "+path]
	if !ok {
		panic("cityconsole: the API has no route " + method + " " + path)
	}
	return rt
}

// call runs the API handler of method and path (path parameters in
// params, query in q) with in as its JSON body and decodes the answer into
// out. A problem answer comes back as the *core.Error it was made from.
func (b *bridge) call(c *gin.Context, method, path string, params gin.Params, q url.Values, in, out any) error {
	var body io.Reader
	ct := ""
	switch v := in.(type) {
	case nil:
	case rawBody:
		body, ct = bytes.NewReader(v.data), v.contentType
	default:
		data, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body, ct = bytes.NewReader(data), "application/json"
	}
	rt := b.route(method, path)
	target := "/api/v1" + path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), method, target, body)
	if err != nil {
		return err
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	req.Header.Set("Accept-Language", c.GetHeader("Accept-Language"))
	w := newRecorder()
	cc, _ := gin.CreateTestContext(w)
	cc.Request, cc.Params = req, params
	rt.Handler(cc)
	cc.Writer.WriteHeaderNow()
	data, code := w.body.Bytes(), w.code
	if code >= 400 {
		var p httpapi.Problem
		if json.Unmarshal(data, &p) != nil || p.Type == "" {
			return core.Errorf(core.EINTERNAL, "the API answered %d", code)
		}
		code := strings.TrimPrefix(p.Type, "urn:opencity:problem:")
		if code == core.EINTERNAL {
			return &core.Error{Code: core.EINTERNAL, Message: "internal error"}
		}
		return &core.Error{Code: code, Message: p.Detail, Fields: p.Errors}
	}
	if out != nil && len(data) > 0 {
		return json.Unmarshal(data, out)
	}
	return nil
}

// rawBody is a non-JSON body for the bridge (the buildings CSV).
type rawBody struct {
	data        []byte
	contentType string
}
