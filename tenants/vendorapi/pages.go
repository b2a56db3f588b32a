package vendorapi

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
)

// PageAuth lets the page kit log vendor users in to /admin/ with the same
// password check, lockout and global policies as this API; the console's
// sessions are the kit's, stored in the control plane.
type PageAuth struct {
	Backend tenants.VendorAccounts
	Authz   Authorizer
}

var _ web.VendorAuth = PageAuth{}

// VendorLogin checks a vendor password under the login lockout and
// returns the vendor user.
func (p PageAuth) VendorLogin(ctx context.Context, c core.Credentials, now time.Time) (*web.VendorUser, error) {
	u, err := p.Backend.VendorAuthenticate(ctx, c, now)
	if err != nil {
		return nil, err
	}
	return pageUser(u), nil
}

// VendorUser is an active vendor user by id; unknown or inactive ones are
// core.ErrNotFound.
func (p PageAuth) VendorUser(ctx context.Context, id int64) (*web.VendorUser, error) {
	u, err := p.Backend.VendorUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	return pageUser(u), nil
}

// VendorTokenUser is the vendor user of an API bearer token; unknown
// tokens are core.ErrNotFound.
func (p PageAuth) VendorTokenUser(ctx context.Context, token string, now time.Time) (*web.VendorUser, error) {
	u, err := p.Backend.VendorUserByToken(ctx, token, now)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return nil, core.ErrNotFound
		}
		return nil, err
	}
	return pageUser(u), nil
}

func pageUser(u *tenants.VendorUser) *web.VendorUser {
	return &web.VendorUser{ID: u.ID, Login: u.Login, Name: u.Name, Role: u.Role}
}

// AllowedGlobal decides in the vendor's global domain.
func (p PageAuth) AllowedGlobal(ctx context.Context, role, obj, act string) (bool, error) {
	return p.Authz.AllowedGlobal(ctx, role, obj, act)
}
