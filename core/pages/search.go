package pages

import (
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// searchData is the dispatcher's search: what was typed and the requests
// found, newest first.
type searchData struct {
	Query string
	Rows  []queueRow
	More  bool // there are more than shown: the search should be narrowed
}

// searchLimit is how many requests one search shows.
const searchLimit = 50

// search finds requests by number, by the caller's phone written any way,
// by the caller's name, by address and by words of the description (every
// word, in any order), within what the user may see.
func (p *Pages) search(c *gin.Context) {
	ct, actor := city(c)
	pg := p.views.Page(c, "search_title")
	pg.Nav = "nav"
	text := strings.TrimSpace(c.Query(fSearch))
	d := &searchData{Query: text}
	pg.Data = d
	status := http.StatusOK
	if utf8.RuneCountInString(text) > core.MaxSearch {
		status = pg.SetError(c, core.FieldErrors{fSearch: core.M("error.max_len", "Count", core.MaxSearch)}.Err())
		p.views.Render(c, status, "search.html", pg)
		return
	}
	if text != "" {
		page, err := ct.Store.ListRequests(c.Request.Context(), actor, core.RequestQuery{Text: text, Limit: searchLimit})
		if err != nil {
			p.fail(c, err)
			return
		}
		names, err := categoryNames(c, ct, pg.Lang)
		if err != nil {
			p.fail(c, err)
			return
		}
		d.Rows = queueRows(page.Items, names, p.api.Now(), pg.Lang)
		d.More = page.NextID != 0
	}
	p.views.Render(c, status, "search.html", pg)
}
