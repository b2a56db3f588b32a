package vendorapi

import (
	"context"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
)

// PageAuth lets the page kit log vendor users in to /admin/ with the same
// password check, lockout and global policies as this API.
type PageAuth struct {
	Backend tenants.VendorAccounts
	Authz   Authorizer
}

var _ web.VendorAuth = PageAuth{}

// VendorLogin checks a vendor password and returns a vendor token.
func (p PageAuth) VendorLogin(ctx context.Context, c core.Credentials, now time.Time) (string, time.Time, error) {
	return p.Backend.VendorLogin(ctx, c, now)
}

// VendorSessionUser is the vendor user of a token; unknown tokens are
// core.ENOTFOUND.
func (p PageAuth) VendorSessionUser(ctx context.Context, token string, now time.Time) (*web.VendorUser, error) {
	u, err := p.Backend.VendorUserByToken(ctx, token, now)
	if err != nil {
		if core.ErrorCode(err) == core.ENOTFOUND {
			return nil, core.ErrNotFound
		}
		return nil, err
	}
	return &web.VendorUser{ID: u.ID, Login: u.Login, Name: u.Name, Role: u.Role}, nil
}

// AllowedGlobal decides in the vendor's global domain.
func (p PageAuth) AllowedGlobal(ctx context.Context, role, obj, act string) (bool, error) {
	return p.Authz.AllowedGlobal(ctx, role, obj, act)
}
