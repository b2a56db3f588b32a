package billing

import (
	"time"

	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/mail"
)

// confirmMail is the confirmation e-mail in the signup's language (catalog
// codes mail.confirm_subject, mail.confirm_text): the city's name, the link
// and the hours the link stays valid.
func confirmMail(in SignupInput, to, link string, ttl time.Duration) mail.Message {
	lang := i18n.Choose("", in.Locale, "")
	args := i18n.Args("Admin", in.AdminName, "City", in.CityName, "Link", link, "Count", int(ttl.Hours()))
	return mail.Message{To: to, Subject: i18n.Text(lang, "mail.confirm_subject", args), Text: i18n.Text(lang, "mail.confirm_text", args)}
}
