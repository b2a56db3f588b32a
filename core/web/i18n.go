package web

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
)

// Languages the pages speak; the first is the default.
var Languages = []string{"ru", "en"}

// LangCookie remembers the language chosen with ?lang=.
const LangCookie = "opencity_lang"

// Messages are page texts by language, then by key. Keys starting with
// "msg." translate the English messages of core errors (e.g.
// "msg.is required"), so domain field errors read well in Russian.
type Messages map[string]map[string]string

// merge returns a catalog with the texts of m over those of base.
func (base Messages) merge(m Messages) Messages {
	out := Messages{}
	for _, src := range []Messages{base, m} {
		for lang, texts := range src {
			if out[lang] == nil {
				out[lang] = map[string]string{}
			}
			for k, v := range texts {
				out[lang][k] = v
			}
		}
	}
	return out
}

// text looks key up in lang, then in English, then gives the key itself.
func (m Messages) text(lang, key string) string {
	if s, ok := m[lang][key]; ok {
		return s
	}
	if s, ok := m["en"][key]; ok {
		return s
	}
	return key
}

// message translates an English core message; unknown messages stay as
// they are. "must be at most 200 characters" style messages with numbers
// are matched with the number replaced by N.
func (m Messages) message(lang, msg string) string {
	if lang == "en" || msg == "" {
		return msg
	}
	if s, ok := m[lang]["msg."+msg]; ok {
		return s
	}
	// One number inside: "must be at most 200 characters" → "msg.must be at most N characters".
	start, end := -1, -1
	for i, r := range msg {
		if r >= '0' && r <= '9' {
			if start < 0 {
				start = i
			}
			end = i + 1
		} else if start >= 0 && end > 0 {
			break
		}
	}
	if start >= 0 {
		if s, ok := m[lang]["msg."+msg[:start]+"N"+msg[end:]]; ok {
			return strings.ReplaceAll(s, "N", msg[start:end])
		}
	}
	return msg
}

// Language picks the page language: ?lang= (remembered in a cookie), the
// cookie, Accept-Language, then the city's locale (fallback, may be "").
func Language(c *gin.Context, fallback string) string {
	if l := c.Query("lang"); supported(l) {
		if ck, err := c.Cookie(LangCookie); err != nil || ck != l {
			http.SetCookie(c.Writer, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: c.Request.TLS != nil})
		}
		return l
	}
	if ck, err := c.Cookie(LangCookie); err == nil && supported(ck) {
		return ck
	}
	for _, part := range strings.Split(c.GetHeader("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		for _, l := range Languages {
			if tag == l || strings.HasPrefix(tag, l+"-") {
				return l
			}
		}
	}
	if fb := strings.ToLower(fallback); len(fb) >= 2 && supported(fb[:2]) {
		return fb[:2]
	}
	return Languages[0]
}

func supported(l string) bool {
	for _, s := range Languages {
		if s == l {
			return true
		}
	}
	return false
}

// baseMessages are the kit's own texts: the layout, login, errors and the
// usual words of forms, plus Russian for the common core messages.
var baseMessages = Messages{
	"ru": {
		"vendor": "OpenCity", "lang_name": "Русский", "logout": "Выйти", "login": "Вход", "login_title": "Вход",
		"login_field": "Логин", "password": "Пароль", "login_submit": "Войти", "logged_in_as": "Вы вошли как",
		"logged_in": "Вы вошли.", "vendor_login_title": "Вход для оператора платформы",
		"save": "Сохранить", "cancel": "Отмена", "delete": "Удалить", "add": "Добавить", "edit": "Изменить",
		"search": "Найти", "back": "Назад", "yes": "Да", "no": "Нет", "none": "—", "actions": "Действия",
		"confirm_title": "Подтвердите действие", "confirm_check": "Я понимаю последствия и подтверждаю",
		"confirm_submit": "Подтвердить", "confirm_required": "поставьте отметку, чтобы подтвердить",
		"fix_fields": "Исправьте отмеченные поля.", "saved": "Сохранено.",
		"forbidden_title": "Доступ запрещён", "forbidden_text": "Вашей роли эта страница недоступна.",
		"notfound_title": "Страница не найдена", "notfound_text": "Такой страницы нет или она вам не видна.",
		"csrf_title": "Форма устарела", "csrf_text": "Форма устарела или отправлена не с этого сайта: обновите страницу и повторите.",
		"readonly_title": "Город приостановлен", "readonly_text": "Город приостановлен: данные можно смотреть, но не менять.",
		"error_title": "Ошибка", "error_text": "Внутренняя ошибка. Мы уже знаем о ней; попробуйте позже.",
		"unavailable_title": "Сервис ненадолго недоступен", "unavailable_text": "База данных сейчас недоступна. Повторите через несколько секунд.",
		"too_many":             "Слишком много неудачных попыток входа: подождите и попробуйте снова.",
		"body_too_large_title": "Слишком много данных", "body_too_large_text": "Форма отправила больше, чем принимает эта страница (фотография — не больше 10 МБ). Вернитесь, уменьшите файл и отправьте снова.",
		"bad_body_title": "Форма не прочитана", "bad_body_text": "Форма пришла повреждённой или не полностью. Вернитесь и отправьте её снова.",
		"invite_title": "Приглашение", "invite_submit": "Задать пароль и войти", "invite_lead": "Задайте пароль для своей учётной записи.",
		"invite_done":     "Пароль задан. Войдите с ним.",
		"role.city_admin": "администратор города", "role.dispatcher": "диспетчер", "role.org_operator": "оператор организации",
		"role.org_manager": "руководитель организации", "role.analyst": "аналитик", "role.citizen": "житель",
		"role.vendor_admin": "оператор платформы", "role.anonymous": "аноним",
		"msg.is required":                       "обязательное поле",
		"msg.wrong login or password":           "неверный логин или пароль",
		"msg.must be at most N characters":      "не длиннее N символов",
		"msg.must be at least N characters":     "не короче N символов",
		"msg.already exists":                    "уже существует",
		"msg.is not an e-mail address":          "это не адрес электронной почты",
		"msg.must be a whole number":            "должно быть целым числом",
		"msg.must be a number":                  "должно быть числом",
		"msg.must be positive":                  "должно быть больше нуля",
		"msg.no such organization":              "нет такой организации",
		"msg.no such category":                  "нет такой категории",
		"msg.no such district":                  "нет такого района",
		"msg.no such building":                  "нет такого дома",
		"msg.no such group":                     "нет такой группы",
		"msg.unknown role":                      "неизвестная роль",
		"msg.must be a duration like 2h or 30m": "укажите длительность, например 2h или 30m",
	},
	"en": {
		"vendor": "OpenCity", "lang_name": "English", "logout": "Log out", "login": "Log in", "login_title": "Log in",
		"login_field": "Login", "password": "Password", "login_submit": "Log in", "logged_in_as": "Logged in as",
		"logged_in": "You are logged in.", "vendor_login_title": "Platform operator login",
		"save": "Save", "cancel": "Cancel", "delete": "Delete", "add": "Add", "edit": "Edit",
		"search": "Search", "back": "Back", "yes": "Yes", "no": "No", "none": "—", "actions": "Actions",
		"confirm_title": "Confirm the action", "confirm_check": "I understand the consequences and confirm",
		"confirm_submit": "Confirm", "confirm_required": "tick the box to confirm",
		"fix_fields": "Please correct the marked fields.", "saved": "Saved.",
		"forbidden_title": "Access denied", "forbidden_text": "Your role may not use this page.",
		"notfound_title": "Page not found", "notfound_text": "There is no such page, or it is not visible to you.",
		"csrf_title": "The form is outdated", "csrf_text": "The form is outdated or was not sent from this site: reload the page and try again.",
		"readonly_title": "The city is suspended", "readonly_text": "The city is suspended: data can be read but not changed.",
		"error_title": "Error", "error_text": "Internal error. It has been logged; please try again later.",
		"unavailable_title": "Briefly unavailable", "unavailable_text": "The database cannot be reached right now. Try again in a few seconds.",
		"too_many":             "Too many failed logins: wait a while and try again.",
		"body_too_large_title": "Too much data", "body_too_large_text": "The form sent more than this page takes (a photo may be at most 10 MB). Go back, make the file smaller and send it again.",
		"bad_body_title": "The form could not be read", "bad_body_text": "The form arrived damaged or incomplete. Go back and send it again.",
		"invite_title": "Invitation", "invite_submit": "Set the password and log in", "invite_lead": "Choose a password for your account.",
		"invite_done":     "The password is set. Log in with it.",
		"role.city_admin": "city admin", "role.dispatcher": "dispatcher", "role.org_operator": "organization operator",
		"role.org_manager": "organization manager", "role.analyst": "analyst", "role.citizen": "citizen",
		"role.vendor_admin": "platform operator", "role.anonymous": "anonymous",
	},
}
