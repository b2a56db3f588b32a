package billing

import (
	"fmt"
	"time"

	"github.com/opencity/opencity/core/mail"
)

// confirmTexts are the confirmation e-mail in the signup's language:
// subject, then the text with the city's name, the link and the hours the
// link stays valid.
var confirmTexts = map[string][2]string{
	"ru": {"Подтвердите адрес администратора города «%s»",
		"Здравствуйте, %s!\n\nНа этот адрес оформлено подключение города «%s» к OpenCity. " +
			"Чтобы город заработал, подтвердите адрес по ссылке:\n\n%s\n\n" +
			"После подтверждения вы зададите пароль администратора. " +
			"Если вы ничего не оформляли, просто не отвечайте: без подтверждения заявка удаляется через %d ч.\n"},
	"en": {"Confirm the administrator's address of %s",
		"Hello %s,\n\nThis address was given to bring the city of %s to OpenCity. " +
			"To have the city created, confirm the address at this link:\n\n%s\n\n" +
			"After confirming you will choose the administrator's password. " +
			"If this was not you, do nothing: an unconfirmed signup is removed after %d h.\n"},
}

func confirmMail(in SignupInput, to, link string, ttl time.Duration) mail.Message {
	t, ok := confirmTexts[in.Locale]
	if !ok {
		t = confirmTexts["ru"]
	}
	return mail.Message{To: to, Subject: fmt.Sprintf(t[0], in.CityName),
		Text: fmt.Sprintf(t[1], in.AdminName, in.CityName, link, int(ttl.Hours()))}
}
