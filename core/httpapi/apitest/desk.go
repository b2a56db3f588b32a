package apitest

import (
	"net/http"
	"net/url"
)

// DeskWalk follows the pages of a city's desk (GET /desk with params, by
// its next_cursor) as token and returns the requests in the order seen. A
// page the desk refuses fails the test. params gets the cursor of each page.
func (c *Client) DeskWalk(city, token string, params url.Values) []map[string]any {
	c.T.Helper()
	var out []map[string]any
	for pages := 0; ; pages++ {
		r := c.Call("GET", Path(city, "/desk?"+params.Encode()), token, nil)
		if r.Status != http.StatusOK {
			c.T.Fatalf("desk %v: %d %s", params, r.Status, r.Body)
		}
		m := r.JSON(c.T)
		items, ok := m["items"].([]any)
		if !ok {
			c.T.Fatalf("desk %v: no items: %s", params, Truncate(r.Body))
		}
		for _, it := range items {
			out = append(out, it.(map[string]any))
		}
		next, _ := m["next_cursor"].(string)
		if next == "" || pages > 500 {
			return out
		}
		params.Set("cursor", next)
	}
}
