package web

import (
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core/i18n"
)

// LangCookie remembers the language chosen with ?lang=.
const LangCookie = "opencity_lang"

// Language picks the page language with i18n.Choose: the reader's own
// choice (?lang=, remembered in a cookie, or the cookie), else the city's
// locale (cityLocale, "" on pages outside a city), else Accept-Language.
func Language(c *gin.Context, cityLocale string) string {
	choice := ""
	if l := c.Query("lang"); i18n.Supported(l) {
		if ck, err := c.Cookie(LangCookie); err != nil || ck != l {
			http.SetCookie(c.Writer, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil})
		}
		choice = l
	} else if ck, err := c.Cookie(LangCookie); err == nil && i18n.Supported(ck) {
		choice = ck
	}
	return i18n.Choose(choice, cityLocale, c.GetHeader("Accept-Language"))
}
