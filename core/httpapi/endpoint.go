package httpapi

import (
	"context"
	"reflect"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// Call is what an endpoint gets besides its decoded body: the request (path
// and query parameters, headers) through the embedded gin context, the
// request's context, the resolved city and the authenticated caller.
type Call struct {
	*gin.Context
	Ctx   context.Context
	City  *City
	Actor core.Actor

	replayed bool
}

// Replayed makes the answer carry the route's Also status instead of its
// Status: an idempotent replay, a grant the city had already.
func (c *Call) Replayed() { c.replayed = true }

// none is the body type of endpoints that take no body or answer none.
type none struct{}

// endpoint completes rt with the one generic JSON adapter: the route's In
// and Out come from fn's types (none for no body, a pointer answer is
// described by its element), and its handler decodes the body strictly
// (DecodeJSON), calls fn, and writes fn's answer with the route's Status
// (Also after Replayed; no body when Out is none) or fn's error as a
// problem document. An endpoint without a JSON body reads what it needs
// from the request itself (a multipart upload).
func endpoint[In, Out any](rt Route, fn func(c *Call, in In) (Out, error)) Route {
	var zeroIn In
	_, noIn := any(zeroIn).(none)
	if !noIn {
		rt.In = zeroIn
	}
	outType := reflect.TypeFor[Out]()
	if outType != reflect.TypeFor[none]() {
		if outType.Kind() == reflect.Pointer {
			outType = outType.Elem()
		}
		rt.Out = reflect.New(outType).Elem().Interface()
	}
	hasOut := rt.Out != nil
	rt.Handler = func(gc *gin.Context) {
		var in In
		if !noIn && !(rt.OptionalBody && gc.Request.ContentLength == 0) {
			if err := DecodeJSON(gc, &in, MaxBody); err != nil {
				WriteProblem(gc, err)
				return
			}
		}
		ctx := gc.Request.Context()
		call := &Call{Context: gc, Ctx: ctx, City: CityFromContext(ctx), Actor: ActorFromContext(ctx)}
		out, err := fn(call, in)
		if err != nil {
			WriteProblem(gc, err)
			return
		}
		status := rt.Status
		if call.replayed && rt.Also != 0 {
			status = rt.Also
		}
		if !hasOut {
			gc.Status(status)
			return
		}
		gc.JSON(status, out)
	}
	return rt
}

// listOf is the answer of a list: {"items": [...]}.
type listOf[T any] struct {
	Items []T `json:"items"`
}

// itemsOf answers a list, never with null items.
func itemsOf[T any](xs []T) listOf[T] {
	if xs == nil {
		xs = []T{}
	}
	return listOf[T]{Items: xs}
}

// pathID reads the path parameter name as a positive id; anything else
// names nothing, so it is ENOTFOUND with what.
func pathID(c *Call, name, what string) (int64, error) {
	id, err := parseID(c.Param(name))
	if err != nil {
		return 0, core.NotFound(what)
	}
	return id, nil
}
