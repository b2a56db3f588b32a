package bench

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
)

// Morning is a city's heating-season morning as the country scenario plays
// it: Day requests a day (3,000 in Kazan when the heating season starts),
// arriving at the rate of the day's busiest hour (hourWeights: 9 of 129
// parts of the day), Compression times faster than real time.
type Morning struct {
	Day         float64
	Compression float64
}

// Rate is the requests a second one city receives.
func (m Morning) Rate() float64 {
	total := 0
	for _, w := range hourWeights {
		total += w
	}
	return m.Day * float64(slices.Max(hourWeights[:])) / float64(total) / 3600 * m.Compression
}

// CountryStream is one kind of visit of the country scenario: its share
// per 100 requests received (PerHundred) and what one visit does in a
// city.
type CountryStream struct {
	Name       string
	PerHundred float64
	Visit      func(c *CountryCity, ctx context.Context, rec *Recorder, i int)
}

// Route groups the country scenario times, in the order of the report.
const (
	GroupCallForm   = "intake: dispatcher's call form POST /desk/call"
	GroupPortalForm = "intake: portal form POST /new"
	GroupMobile     = "intake: mobile app POST /api/v1/requests"
	GroupOpen311    = "intake: Open311 POST requests.json"
	GroupDesk       = "triage: desk GET /api/v1/desk?queue=new"
	GroupAssign     = "triage: assign POST /api/v1/requests/{n}/assign"
	GroupQueue      = "office: queue GET /api/v1/requests?status=…"
	GroupAct        = "office: accept, start, resolve POST /api/v1/requests/{n}/…"
	GroupCheckAPI   = "citizen: request GET /api/v1/requests/{n}"
	GroupCheck311   = "citizen: Open311 GET requests/{n}.json"
	GroupDashboard  = "HQ: dashboard GET /hq/"
	GroupLeague     = "HQ: league GET /hq/leagues/management_company"
)

// CountryGroups lists the route groups in the order of the report.
var CountryGroups = []string{GroupCallForm, GroupPortalForm, GroupMobile, GroupOpen311, GroupDesk, GroupAssign,
	GroupQueue, GroupAct, GroupCheckAPI, GroupCheck311, GroupDashboard, GroupLeague}

// CountryStreams are the proportions of the peak morning, per 100 requests
// a city receives: 45 by phone through the dispatchers' call form, 20
// through the portal's form, 25 from the mobile app through the API, 10
// through Open311; 40 visits of a dispatcher to the triage queue (each
// assigns the oldest request routing left there, if any); 150 visits of an
// organization's operator to its queue, the organizations in turn (each
// moves up to three of its requests one step: accept, start, resolve); 60
// checks by citizens of a request they filed (half through the API, half
// through Open311); 4 HQ pages (dashboard and league table in turn).
var CountryStreams = []CountryStream{
	{Name: "call", PerHundred: 45, Visit: (*CountryCity).call},
	{Name: "portal", PerHundred: 20, Visit: (*CountryCity).portal},
	{Name: "mobile", PerHundred: 25, Visit: (*CountryCity).mobile},
	{Name: "open311", PerHundred: 10, Visit: (*CountryCity).open311},
	{Name: "triage", PerHundred: 40, Visit: (*CountryCity).triage},
	{Name: "office", PerHundred: 150, Visit: (*CountryCity).office},
	{Name: "check", PerHundred: 60, Visit: (*CountryCity).check},
	{Name: "hq", PerHundred: 4, Visit: (*CountryCity).hq},
}

// Citizens per city the country scenario logs in: each files through
// every citizen channel and checks what they filed.
const countryCitizens = 3

// CountryCity is one city of the country scenario with its people logged
// in: a dispatcher (API and the call form), citizens (API token, also
// their Open311 api_key, and the portal), the analyst (HQ's pages) and an
// operator of every organization.
type CountryCity struct {
	Slug       string
	base       string
	dispatcher *Client
	callDesk   *PageClient
	citizens   []*Client
	pages      []*PageClient
	analyst    *PageClient
	operators  []*operator
	buildings  []core.Building
	visible    []Share // CategoryMix's categories citizens may choose
	assignees  []string
	triageMu   sync.Mutex
	turn       atomic.Int64 // the next organization whose operator visits
	index      int          // the city's place in the country (JoinCountryCity's index)
	filed      [countryCitizens]ring
}

type operator struct {
	mu sync.Mutex
	c  *Client
}

// ring keeps the numbers of the latest requests a citizen filed.
type ring struct {
	mu sync.Mutex
	xs []string
	at int
}

func (r *ring) add(n string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.xs) < 64 {
		r.xs = append(r.xs, n)
		return
	}
	r.xs[r.at] = n
	r.at = (r.at + 1) % len(r.xs)
}

func (r *ring) pick(i int) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.xs) == 0 {
		return ""
	}
	return r.xs[i%len(r.xs)]
}

// JoinCountryCity reads the city's directory (seeded with DirectoryData)
// from st and logs its people in at base with password: each from an
// address of their own (from gives it, Loopback), as the per-address login
// limit expects; then their requests go through shared, the one
// keep-alive pool a reverse proxy would hold. index is the city's place in
// the country, which staggers its HQ pages against its neighbours'.
func JoinCountryCity(ctx context.Context, st *store.Store, index int, base, slug, password string, from func() net.IP, shared http.RoundTripper) (*CountryCity, error) {
	dir, err := st.Directory(ctx, true)
	if err != nil {
		return nil, err
	}
	cats, err := st.Categories(ctx, false)
	if err != nil {
		return nil, err
	}
	c := &CountryCity{Slug: slug, index: index, base: strings.TrimRight(base, "/"), buildings: dir.Buildings}
	for _, s := range CategoryMix {
		if i := slices.IndexFunc(cats, func(k core.Category) bool { return k.Code == s.Code && k.Active && k.CitizenVisible }); i >= 0 {
			c.visible = append(c.visible, s)
		}
	}
	if len(c.buildings) == 0 || len(c.visible) == 0 {
		return nil, fmt.Errorf("city %s has no buildings or no citizen categories: seed it with DirectoryData", slug)
	}
	api := func(login string) (*Client, error) {
		rt := From(from())
		defer rt.CloseIdleConnections()
		cl, err := NewClientVia(ctx, rt, base, slug, login, password)
		if err == nil {
			cl.HTTP.Transport = shared
		}
		return cl, err
	}
	page := func(login string) (*PageClient, error) {
		rt := From(from())
		defer rt.CloseIdleConnections()
		cl, err := NewPageClientVia(ctx, rt, base, slug, login, password)
		if err == nil {
			cl.HTTP.Transport = shared
		}
		return cl, err
	}
	if c.dispatcher, err = api("dispatcher-01"); err != nil {
		return nil, err
	}
	if c.callDesk, err = page("dispatcher-02"); err != nil {
		return nil, err
	}
	if c.analyst, err = page(AnalystLogin); err != nil {
		return nil, err
	}
	for i := 1; i <= countryCitizens; i++ {
		login := fmt.Sprintf("citizen-%04d", i)
		cl, err := api(login)
		if err != nil {
			return nil, err
		}
		pc, err := page(login)
		if err != nil {
			return nil, err
		}
		c.citizens, c.pages = append(c.citizens, cl), append(c.pages, pc)
	}
	for _, o := range dir.Organizations {
		if !o.Active {
			continue
		}
		cl, err := api("op-" + o.Code)
		if err != nil {
			return nil, err
		}
		c.operators = append(c.operators, &operator{c: cl})
		if o.Kind == core.OrgContractor || o.Kind == core.OrgCityService || o.Kind == core.OrgManagementCompany {
			c.assignees = append(c.assignees, o.Code)
		}
	}
	if len(c.operators) == 0 || len(c.assignees) == 0 {
		return nil, fmt.Errorf("city %s has no organizations: seed it with DirectoryData", slug)
	}
	return c, nil
}

// Rebase points every person of the city at another server over the same
// database: their tokens and page sessions live in the database, so they
// stay logged in.
func (c *CountryCity) Rebase(base string) {
	base = strings.TrimRight(base, "/")
	for _, cl := range append([]*Client{c.dispatcher}, c.citizens...) {
		cl.API = base + strings.TrimPrefix(cl.API, c.base)
	}
	for _, o := range c.operators {
		o.c.API = base + strings.TrimPrefix(o.c.API, c.base)
	}
	for _, pc := range append([]*PageClient{c.callDesk, c.analyst}, c.pages...) {
		pc.City = base + strings.TrimPrefix(pc.City, c.base)
	}
	c.base = base
}

// request is what visit i files: a category of the mix, a building of the
// registry, an apartment and a description.
func (c *CountryCity) request(i int, mix []Share) (cat string, b core.Building, apartment, text string) {
	cat = pick(mix, (i*7919)%totalWeight(mix))
	b = c.buildings[(i*104729)%len(c.buildings)]
	ds := descriptions[cat]
	return cat, b, fmt.Sprint(1 + i%120), ds[i%len(ds)] + fmt.Sprintf(" (утро %d)", i)
}

func (c *CountryCity) call(ctx context.Context, rec *Recorder, i int) {
	cat, b, apt, text := c.request(i, CategoryMix)
	form := url.Values{"category": {cat}, "building_id": {fmt.Sprint(b.ID)}, "apartment": {apt}, "description": {text},
		"applicant.name": {"Звонивший " + fmt.Sprint(i)}, "applicant.phone": {fmt.Sprintf("+7 917 %03d-%02d-%02d", i%1000, i%100, (i/100)%100)},
		"form_key": {fmt.Sprintf("%s-call-%d", c.Slug, i)}}
	rec.Time(GroupCallForm, func() error {
		loc, err := c.callDesk.Post(ctx, "/desk/call", form)
		if err == nil && !strings.Contains(loc, "/requests/") {
			err = fmt.Errorf("the call form sent to %q, not the new request", loc)
		}
		return err
	})
}

func (c *CountryCity) portal(ctx context.Context, rec *Recorder, i int) {
	k := i % countryCitizens
	cat, b, apt, text := c.request(i, c.visible)
	form := url.Values{"category": {cat}, "building_id": {fmt.Sprint(b.ID)}, "apartment": {apt}, "description": {text},
		"form_key": {fmt.Sprintf("%s-portal-%d", c.Slug, i)}}
	var loc string
	if rec.Time(GroupPortalForm, func() (err error) {
		loc, err = c.pages[k].Post(ctx, "/new", form)
		return err
	}) {
		_, n, ok := strings.Cut(loc, "/requests/")
		if n, _, _ = strings.Cut(n, "?"); ok && n != "" {
			c.filed[k].add(n)
		}
	}
}

func (c *CountryCity) mobile(ctx context.Context, rec *Recorder, i int) {
	k := i % countryCitizens
	cat, b, apt, text := c.request(i, c.visible)
	body := map[string]any{"category": cat, "building_id": b.ID, "apartment": apt, "description": text, "channel": "mobile"}
	var out struct {
		Number string `json:"number"`
	}
	if rec.Time(GroupMobile, func() error { return c.citizens[k].Do(ctx, "POST", "/requests", body, &out, http.StatusCreated) }) {
		c.filed[k].add(out.Number)
	}
}

func (c *CountryCity) open311(ctx context.Context, rec *Recorder, i int) {
	k := i % countryCitizens
	cat, b, apt, text := c.request(i, c.visible)
	form := url.Values{"service_code": {cat}, "address_id": {b.RegistryID}, "attribute[apartment]": {apt}, "description": {text}}
	var out []struct {
		ID string `json:"service_request_id"`
	}
	if rec.Time(GroupOpen311, func() error {
		err := c.citizens[k].Open311(ctx, "POST", "requests", form, &out)
		if err == nil && (len(out) != 1 || out[0].ID == "") {
			err = fmt.Errorf("Open311 POST answered no service_request_id")
		}
		return err
	}) {
		c.filed[k].add(out[0].ID)
	}
}

// triage: a dispatcher reads the triage queue and assigns its oldest
// request to an organization; one dispatcher of the city at a time.
func (c *CountryCity) triage(ctx context.Context, rec *Recorder, i int) {
	c.triageMu.Lock()
	defer c.triageMu.Unlock()
	var page struct {
		Items []struct {
			Number string `json:"number"`
		} `json:"items"`
	}
	if !rec.Time(GroupDesk, func() error {
		return c.dispatcher.Do(ctx, "GET", "/desk?queue=new&sort=deadline&limit=20", nil, &page, http.StatusOK)
	}) || len(page.Items) == 0 {
		return
	}
	n := page.Items[0].Number
	org := c.assignees[i%len(c.assignees)]
	rec.Time(GroupAssign, func() error {
		return c.dispatcher.Do(ctx, "POST", "/requests/"+url.PathEscape(n)+"/assign",
			map[string]string{"organization": org, "comment": "Назначено диспетчером"}, nil, http.StatusOK)
	})
}

// office: the next organization's operator reads their queue and moves up
// to three requests one step each; an operator already at work is passed.
func (c *CountryCity) office(ctx context.Context, rec *Recorder, _ int) {
	var op *operator
	for range len(c.operators) {
		o := c.operators[int(c.turn.Add(1))%len(c.operators)]
		if o.mu.TryLock() {
			op = o
			break
		}
	}
	if op == nil {
		return
	}
	defer op.mu.Unlock()
	var page struct {
		Items []struct {
			Number string      `json:"number"`
			Status core.Status `json:"status"`
		} `json:"items"`
	}
	if !rec.Time(GroupQueue, func() error {
		return op.c.Do(ctx, "GET", "/requests?status=assigned,accepted,in_progress&limit=20", nil, &page, http.StatusOK)
	}) {
		return
	}
	next := map[core.Status]core.Action{core.StatusAssigned: core.ActionAccept, core.StatusAccepted: core.ActionStart,
		core.StatusInProgress: core.ActionResolve}
	moved := 0
	for _, it := range page.Items {
		act, ok := next[it.Status]
		if !ok || moved == 3 {
			continue
		}
		moved++
		rec.Time(GroupAct, func() error {
			return op.c.Do(ctx, "POST", "/requests/"+url.PathEscape(it.Number)+"/"+string(act),
				map[string]string{"comment": "Работы выполнены"}, nil, http.StatusOK)
		})
	}
}

// check: a citizen looks at a request they filed, through the API or
// Open311 in turn.
func (c *CountryCity) check(ctx context.Context, rec *Recorder, i int) {
	k := i % countryCitizens
	n := c.filed[k].pick(i / countryCitizens)
	if n == "" {
		return
	}
	if i%2 == 0 {
		rec.Time(GroupCheckAPI, func() error {
			return c.citizens[k].Do(ctx, "GET", "/requests/"+url.PathEscape(n), nil, nil, http.StatusOK)
		})
		return
	}
	var out []struct {
		ID string `json:"service_request_id"`
	}
	rec.Time(GroupCheck311, func() error {
		err := c.citizens[k].Open311(ctx, "GET", "requests/"+url.PathEscape(n), url.Values{}, &out)
		if err == nil && (len(out) != 1 || out[0].ID != n) {
			err = fmt.Errorf("Open311 GET requests/%s answered %d requests", n, len(out))
		}
		return err
	})
}

// hq reads the dashboard or the league table: the n-th visit of a city,
// shifted by the city's place, so that the country reads both pages in
// turn even when each city gets a single visit.
func (c *CountryCity) hq(ctx context.Context, rec *Recorder, n int) {
	g, path := GroupDashboard, "/hq/"
	if (c.index+n)%2 == 1 {
		g, path = GroupLeague, "/hq/leagues/"+core.OrgManagementCompany
	}
	rec.Time(g, func() error {
		_, err := c.analyst.Get(ctx, path)
		return err
	})
}
