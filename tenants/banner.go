package tenants

// Banner is the billing notice a city's users see, "" when there is none.
func Banner(status, locale string) string {
	ru := locale != "en"
	switch status {
	case StatusPastDue:
		if ru {
			return "Оплата подписки не прошла. Обновите способ оплаты, иначе по истечении льготного периода город перейдёт в режим только для чтения."
		}
		return "The subscription payment failed. Update the payment method, or the city becomes read-only when the grace period ends."
	case StatusSuspended:
		if ru {
			return "Город приостановлен: заявки можно читать, но не изменять. Обратитесь к администратору города или в поддержку."
		}
		return "The city is suspended: requests can be read but not changed. Contact the city administrator or support."
	}
	return ""
}
