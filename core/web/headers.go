package web

import (
	"net/http"
	"strings"

	"github.com/gin-contrib/gzip"
	"github.com/gin-gonic/gin"
)

// ContentSecurityPolicy is the policy of every answer: scripts, styles,
// images and requests only from the site itself (images also as data:
// URLs), no inline script or style, no plugins, no <base> elsewhere, forms
// sent only to the site, never inside a frame. Pages keep their code in
// asset files to stay within it.
var ContentSecurityPolicy = CSP()

// CSP is the site's Content-Security-Policy with formTargets as further
// origins its forms may be sent to (the signup's to Stripe's checkout,
// "https://checkout.stripe.com"); browsers check redirects after a form
// against them too.
func CSP(formTargets ...string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action " + strings.Join(append([]string{"'self'"}, formTargets...), " ")
}

// ReferrerPolicy sends the full address only to the site itself and
// nothing to others, so tokens in links (invitations, tracking codes) never
// leave in a Referer header.
const ReferrerPolicy = "same-origin"

// SecurityHeaders sets the Content-Security-Policy, X-Content-Type-Options
// nosniff and the Referrer-Policy on every answer; a handler may narrow the
// referrer policy further (the invitation page sends none).
func SecurityHeaders(c *gin.Context) {
	h := c.Writer.Header()
	h.Set("Content-Security-Policy", ContentSecurityPolicy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", ReferrerPolicy)
	c.Next()
}

// CompressAssets gzips the static files under the given path prefixes for
// clients that accept it (github.com/gin-contrib/gzip). Pages and API
// answers are left alone: a page mixing a CSRF token with text the visitor
// sent would otherwise leak the token through its compressed size (BREACH).
func CompressAssets(prefixes ...string) gin.HandlerFunc {
	zip := gzip.Gzip(gzip.DefaultCompression)
	return func(c *gin.Context) {
		for _, p := range prefixes {
			if strings.HasPrefix(c.Request.URL.Path, p) {
				zip(c)
				return
			}
		}
		c.Next()
	}
}

// favicon answers /favicon.ico with the kit's icon, cached for a day.
func (k *Kit) favicon(c *gin.Context) {
	k.Assets.mu.RLock()
	f, ok := k.Assets.files["web/favicon.ico"]
	k.Assets.mu.RUnlock()
	if !ok {
		c.Status(http.StatusNotFound)
		return
	}
	c.Header("Cache-Control", "public, max-age=86400")
	c.Data(http.StatusOK, "image/x-icon", f.body)
}
