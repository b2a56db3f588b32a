package tenants

// Banner is the catalog code of the billing notice a city's users see, ""
// when there is none; pages and the API render it in the reader's language.
func Banner(status string) string {
	switch status {
	case StatusPastDue:
		return "banner.past_due"
	case StatusSuspended:
		return "banner.suspended"
	}
	return ""
}
