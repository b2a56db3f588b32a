package pages

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// queueRow is one line of a queue page with its category's name and its
// deadline in words.
type queueRow struct {
	R        core.Request
	Category string
	Due      *time.Time
	Left     string
	Overdue  bool
}

// queueRows prepares a queue for its page; names maps category codes to
// names in the page's language.
func queueRows(rs []core.Request, names map[string]string, now time.Time, lang string) []queueRow {
	out := make([]queueRow, len(rs))
	for i := range rs {
		out[i] = queueRow{R: rs[i], Category: names[rs[i].CategoryCode], Due: rs[i].NextDue(), Overdue: rs[i].Overdue(now)}
		if out[i].Category == "" {
			out[i].Category = rs[i].CategoryCode
		}
		if out[i].Due != nil {
			out[i].Left = remaining(*out[i].Due, now, lang)
		}
	}
	return out
}

// categoryNames maps every category code of the city, active or not, to its
// name in lang.
func categoryNames(c *gin.Context, ct *httpapi.City, lang string) (map[string]string, error) {
	cats, err := ct.Store.Categories(c.Request.Context(), true)
	if err != nil {
		return nil, err
	}
	m := make(map[string]string, len(cats))
	for _, cat := range cats {
		m[cat.Code] = cat.NameRU
		if lang == "en" && cat.NameEN != "" {
			m[cat.Code] = cat.NameEN
		}
	}
	return m, nil
}

// callData is the call-taking form (and the portal's form): the categories,
// and the buildings found for the address typed.
type callData struct {
	Categories []core.Category
	Buildings  []core.Building
	Searched   bool
	Key        string // the form's idempotency key: a double submit files one request
	Action     string // where the form posts
	Anonymous  bool   // the sender has no account: no photo (it could not be attached)
	// Matches are the open requests that may be what the caller reports,
	// shown beside the call-taking form once a building and a category are
	// chosen; MatchesAsked is true then.
	Matches      []matchRow
	MatchesAsked bool
	// Follows is the closed request the new one is about (its number), when
	// the citizen came from a request too old to reopen.
	Follows string
	// Outages are the open outages at the building the form names.
	Outages []core.Outage
}

// callForm shows the dispatcher's call-taking form.
func (p *Pages) callForm(c *gin.Context) {
	p.requestForm(c, http.StatusOK, "call.html", "call_title", nil)
}

// callSubmit files the caller's request, or searches the address when the
// "find" button was pressed (the form works without JavaScript).
func (p *Pages) callSubmit(c *gin.Context) {
	p.submitForm(c, "call.html", "call_title", core.ChannelCallCentre)
}

// requestForm renders a new-request form; with a non-nil err it shows the
// submitted input and the errors next to their fields.
func (p *Pages) requestForm(c *gin.Context, status int, tmpl, title string, err error) {
	ctx := c.Request.Context()
	ct, _ := city(c)
	pg := p.views.Page(c, title)
	pg.Nav = "nav"
	cats, cerr := ct.Store.Categories(ctx, false)
	if cerr != nil {
		p.fail(c, cerr)
		return
	}
	_, actor := city(c)
	d := &callData{Key: c.PostForm(fFormKey), Action: c.Request.URL.Path, Anonymous: actor.UserID == 0,
		Follows: strings.TrimSpace(c.Query(fFollows))}
	if v := c.PostForm(fFollows); v != "" {
		d.Follows = strings.TrimSpace(v)
	}
	for _, cat := range cats {
		if cat.Active && (tmpl == "call.html" || cat.CitizenVisible) {
			d.Categories = append(d.Categories, cat)
		}
	}
	if d.Key == "" {
		d.Key = newKey()
	}
	if c.Request.Method == http.MethodPost {
		pg.Form = c.Request.PostForm
		if text := strings.TrimSpace(c.PostForm(fSearch)); text != "" {
			d.Searched = true
			if d.Buildings, cerr = ct.Store.Buildings(ctx, core.BuildingQuery{Text: text, Limit: 10}); cerr != nil {
				p.fail(c, cerr)
				return
			}
		}
	}
	if b, perr := strconv.ParseInt(strings.TrimSpace(c.PostForm(fBuilding)), 10, 64); perr == nil && b > 0 {
		d.Outages = p.publicOutages(c, ct, b)
	}
	if tmpl == "call.html" {
		if cerr := p.findMatches(c, ct, d, pg.Lang); cerr != nil {
			p.fail(c, cerr)
			return
		}
	}
	if err != nil {
		status = pg.SetError(c, formWide(err))
	}
	pg.Data = d
	p.views.Render(c, status, tmpl, pg)
}

// submitForm files a request from the call-taking or the portal form.
func (p *Pages) submitForm(c *gin.Context, tmpl, title string, channel core.Channel) {
	ct, actor := city(c)
	if c.PostForm(fFind) != "" || c.PostForm(fMatches) != "" {
		p.requestForm(c, http.StatusOK, tmpl, title, nil)
		return
	}
	in, ferrs := newRequestForm(c.Request.PostForm)
	in.Channel = channel
	if channel == core.ChannelPortal { // the citizen's own page language
		in.Applicant.Lang = web.Language(c, ct.Locale)
	}
	var photo []byte
	var ctype, name string
	if fh, err := c.FormFile(fPhoto); err == nil && fh.Filename != "" {
		if photo, ctype, err = httpapi.ReadPhoto(fh); err != nil {
			for k, v := range fieldErrors(err) {
				ferrs.AddMsg(k, v)
			}
		}
		name = fh.Filename
	}
	ctx := c.Request.Context()
	if len(ferrs) > 0 {
		// Every other fault of the form is shown with these, not after.
		_, _, err := p.requests(ct).Check(ctx, actor, &in, "", ferrs)
		p.requestForm(c, 0, tmpl, title, err)
		return
	}
	key := ""
	if k := c.PostForm(fFormKey); k != "" {
		key = "page-" + k
	}
	r, _, err := p.requests(ct).Submit(ctx, actor, in, key)
	if err != nil {
		p.requestForm(c, 0, tmpl, title, err)
		return
	}
	if photo != nil {
		if _, err := httpapi.StorePhoto(ctx, p.api.Photos, ct, actor, r.Number, name, photo, ctype, true, p.api.Now()); err != nil {
			_ = c.Error(err)
			back(c, requestPath(ct, r.Number), "submitted_no_photo")
			return
		}
	}
	back(c, requestPath(ct, r.Number), "submitted")
}

// newKey is a fresh idempotency key for a form.
func newKey() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// addressJSON is one suggestion of the address typeahead.
type addressJSON struct {
	ID      int64  `json:"id"`
	Address string `json:"address"`
}

// addresses answers the typeahead of the request forms: up to ten buildings
// of the registry matching the words typed.
func (p *Pages) addresses(c *gin.Context) {
	ct, _ := city(c)
	text := strings.TrimSpace(c.Query(fSearch))
	out := []addressJSON{}
	if len([]rune(text)) >= 2 && len(text) <= 200 {
		bs, err := ct.Store.Buildings(c.Request.Context(), core.BuildingQuery{Text: text, Limit: 10})
		if err != nil {
			_ = c.Error(err)
			c.JSON(http.StatusInternalServerError, gin.H{"error": "internal error"})
			return
		}
		lang := c.Query("lang")
		for _, b := range bs {
			a := b.AddressRU
			if lang == "en" && b.AddressEN != "" {
				a = b.AddressEN
			}
			out = append(out, addressJSON{ID: b.ID, Address: a})
		}
	}
	c.Header("Cache-Control", "no-store")
	c.JSON(http.StatusOK, out)
}
