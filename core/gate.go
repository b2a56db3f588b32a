package core

import (
	"context"

	"github.com/opencity/opencity/core/i18n"
)

// Gate is the authorization of a city's services: the city's policies must
// grant the actor's role the action on the object. Every service method
// that reads or changes the city's data passes its gate first, whichever
// adapter (API, console) calls it.
type Gate struct {
	Authz Authorizer
	City  string // the city's slug: the policies' domain
}

// Allow returns nil when actor may do act on obj in the city, an EFORBIDDEN
// *Error when the policies refuse it, and the authorizer's error otherwise.
func (g Gate) Allow(ctx context.Context, actor Actor, obj, act string) error {
	ok, err := g.Authz.Allowed(ctx, g.City, actor.Role, obj, act)
	if err != nil {
		return err
	}
	if !ok {
		return E(EFORBIDDEN, "error.role_may_not", "Act", i18n.Code("perm.act."+act), "Obj", i18n.Code("perm.obj."+obj))
	}
	return nil
}
