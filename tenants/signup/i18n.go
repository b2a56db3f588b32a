package signup

import (
	"net/http"
	"strings"

	"github.com/opencity/opencity/tenants/billing"
)

// lang picks the page language: ?lang= or the form's lang field, then the
// Accept-Language header; Russian by default.
func lang(r *http.Request) string {
	for _, v := range []string{r.URL.Query().Get("lang"), r.PostFormValue("lang")} {
		if v == "ru" || v == "en" {
			return v
		}
	}
	for _, part := range strings.Split(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "ru"):
			return "ru"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "ru"
}

// texts are the pages' words, by language.
var texts = map[string]map[string]string{
	"ru": {
		"title": "Подключить город к OpenCity", "lead": "Все заявки жителей о ЖКХ — в одном месте: приём, маршрутизация, сроки, контроль.",
		"city_name": "Название города", "slug": "Адрес города", "slug_hint": "латинские буквы, цифры и дефис; город будет доступен по адресу /t/<адрес>/",
		"admin_name": "Имя администратора", "admin_email": "Электронная почта администратора", "plan": "Тариф",
		"submit": "Перейти к оплате", "submit_trial": "Создать город", "trial": "Оплата отключена на этом сервере: город создаётся как пробный, как только администратор подтвердит адрес электронной почты.",
		"per_month": "в месяц", "included": "заявок включено", "extra": "каждая сверх включённых",
		"fix": "Исправьте отмеченные поля.", "canceled": "Оплата отменена. Можно попробовать снова.",
		"available": "Адрес свободен", "other_lang": "English", "other_lang_code": "en",
		"done_title": "Город подключается", "waiting": "Ждём подтверждения оплаты от Stripe… Страница обновится сама.",
		"provisioning": "Создаём город…", "ready": "Город готов.", "set_password_link": "Задать пароль администратора",
		"no_link": "Ссылка для пароля показывается только в браузере, где подтверждался адрес.", "status": "Состояние",
		"failed":    "Создание города не удалось с первой попытки; повторяем автоматически.",
		"open_city": "Открыть город", "not_found": "Такой заявки на подключение нет.",
		"st_pending": "ожидает подтверждения", "st_provisioning": "создаётся", "st_active": "работает",
		"st_past_due": "оплата просрочена", "st_suspended": "приостановлен",
		"check_mail":    "Мы отправили письмо на адрес администратора. Откройте ссылку из письма, чтобы подтвердить адрес: без этого город не будет создан.",
		"confirm_title": "Подтверждение адреса", "confirm_lead": "Подтвердите, что это ваш адрес и вы подключаете город к OpenCity.",
		"confirm_button": "Подтвердить адрес", "confirm_unknown": "Ссылка неизвестна, уже использована или устарела.",
		"confirm_failed": "Не удалось подтвердить адрес; попробуйте ещё раз через минуту.",
	},
	"en": {
		"title": "Bring your city to OpenCity", "lead": "Every citizen request about housing and utilities in one place: intake, routing, deadlines, control.",
		"city_name": "City name", "slug": "City address", "slug_hint": "latin letters, digits and hyphens; the city will live at /t/<address>/",
		"admin_name": "Administrator's name", "admin_email": "Administrator's e-mail", "plan": "Plan",
		"submit": "Continue to payment", "submit_trial": "Create the city", "trial": "Billing is off on this server: the city is created as a trial as soon as the administrator confirms the e-mail address.",
		"per_month": "a month", "included": "requests included", "extra": "each extra request",
		"fix": "Please correct the marked fields.", "canceled": "The payment was cancelled. You can try again.",
		"available": "The address is free", "other_lang": "Русский", "other_lang_code": "ru",
		"done_title": "Your city is on its way", "waiting": "Waiting for Stripe to confirm the payment… This page refreshes itself.",
		"provisioning": "Creating the city…", "ready": "The city is ready.", "set_password_link": "Set the administrator's password",
		"no_link": "The password link is shown only in the browser the address was confirmed in.", "status": "Status",
		"failed":    "Creating the city failed at the first attempt; it is retried automatically.",
		"open_city": "Open the city", "not_found": "There is no such signup.",
		"st_pending": "waiting for confirmation", "st_provisioning": "being created", "st_active": "active",
		"st_past_due": "payment past due", "st_suspended": "suspended",
		"check_mail":    "We sent an e-mail to the administrator's address. Open its link to confirm the address: the city is not created without it.",
		"confirm_title": "Confirm the address", "confirm_lead": "Confirm that this is your address and that you are bringing a city to OpenCity.",
		"confirm_button": "Confirm the address", "confirm_unknown": "This link is unknown, used or expired.",
		"confirm_failed": "The address could not be confirmed; please try again in a minute.",
	},
}

// messagesRU translates the field messages of the billing service and core.
var messagesRU = map[string]string{
	billing.MsgRequired:     "обязательное поле",
	billing.MsgTooLong:      "слишком длинно",
	billing.MsgSlugShape:    "2–40 строчных латинских букв, цифр и дефисов: начинается с буквы, кончается буквой или цифрой, без двух дефисов на 3-м и 4-м месте",
	billing.MsgSlugTaken:    "этот адрес занят",
	billing.MsgSlugReserved: "этот адрес зарезервирован",
	billing.MsgEmail:        "это не адрес электронной почты",
	billing.MsgPlan:         "выберите один из тарифов",
	billing.MsgNoMail:       "подключение городов на этом сервере закрыто: он не может отправить письмо для подтверждения",
	billing.MsgMailFailed:   "не удалось отправить письмо для подтверждения; попробуйте ещё раз через минуту",
}

// message translates a field message into the page's language.
func message(lang, msg string) string {
	if lang == "ru" {
		if ru, ok := messagesRU[msg]; ok {
			return ru
		}
	}
	return msg
}

// slugReason is the machine-readable reason of an unavailable slug.
var slugReason = map[string]string{
	billing.MsgSlugShape: "invalid", billing.MsgSlugTaken: "taken", billing.MsgSlugReserved: "reserved",
}
