package httpapi

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/open311"
	"github.com/opencity/opencity/core/store"
)

// Open311 serves each city's Open311 GeoReport v2 endpoint at
// /open311/v2/ (under /t/{slug} or at the city's host): a thin adapter
// over the same services as the JSON API. Resources: discovery, services,
// services/{service_code}, requests (GET, POST), requests/{id},
// tokens/{token} and FixMyStreet's servicerequestupdates, each in .xml or
// .json (package open311 holds the formats and their sources).
//
// The api_key is an API token of the city (POST auth/token), checked as the
// JSON API checks a bearer token; posting needs the right to create
// requests, reading requests and updates the right to read them, with
// the rows the token's role sees. A service request's id is its number
// (2026-000123); address_id is a building's registry id; jurisdiction_id,
// when given, must be the city's slug. No answer carries an applicant's
// contact data.
type Open311 struct{ API *API }

// Open311Version is the changeset of the endpoint the discovery document
// names: the date its behaviour last changed.
const Open311Version = "2026-11-30"

// Open311Limits bound GET requests: at most this many ids in
// service_request_id, this many requests and updates in an answer, and
// a date range of this span (the specification's 90 days).
const (
	Open311MaxIDs    = 100
	Open311MaxList   = 1000
	Open311MaxWindow = 90 * 24 * time.Hour
)

// Register mounts the endpoint on r: with byPath the city comes from the
// :slug path parameter, otherwise from the Host header.
func (o Open311) Register(r gin.IRouter, byPath bool) {
	serve := func(c *gin.Context) { o.serve(c, byPath) }
	r.GET("/open311/v2/*path", serve)
	r.POST("/open311/v2/*path", serve)
}

// IsOpen311 reports whether path is one of the Open311 endpoint's.
func IsOpen311(path string) bool {
	return strings.HasPrefix(path, "/open311/v2/") || (strings.HasPrefix(path, "/t/") && strings.Contains(path, "/open311/v2/"))
}

// Open311Fail answers a request to the Open311 endpoint refused before
// it (a body too large) with an error document in the format its path
// names, XML by default.
func Open311Fail(c *gin.Context, err error) {
	oc := &openCall{Context: c, format: open311.XML}
	if _, f, ok := open311.SplitFormat(c.Request.URL.Path); ok {
		oc.format = f
	}
	oc.fail(err)
}

// openCall is one Open311 request under way.
type openCall struct {
	*gin.Context
	city   *City
	format open311.Format
}

func (o Open311) serve(gc *gin.Context, byPath bool) {
	path := strings.TrimPrefix(gc.Param("path"), "/")
	c := &openCall{Context: gc, format: open311.XML}
	resource, f, ok := open311.SplitFormat(path)
	if ok {
		c.format = f
	}
	var err error
	if byPath {
		c.city, err = o.API.Cities.BySlug(gc.Request.Context(), gc.Param("slug"))
	} else {
		host := gc.Request.Host
		if h, _, splitErr := net.SplitHostPort(host); splitErr == nil {
			host = h
		}
		c.city, err = o.API.Cities.ByHost(gc.Request.Context(), strings.ToLower(host))
	}
	if err != nil {
		c.fail(err)
		return
	}
	gc.Request = gc.Request.WithContext(NewContextWithCity(gc.Request.Context(), c.city))
	if !ok {
		c.fail(core.E(core.ENOTFOUND, "error.open311_resource"))
		return
	}
	post := gc.Request.Method == http.MethodPost
	if post {
		ct := gc.ContentType()
		if ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data" {
			c.fail(core.E(core.EINVALID, "error.open311_form"))
			return
		}
		if ct == "multipart/form-data" {
			err = gc.Request.ParseMultipartForm(MaxBody)
		} else {
			err = gc.Request.ParseForm()
		}
		if err != nil {
			c.fail(core.E(core.EINVALID, "error.open311_form"))
			return
		}
	}
	if j := c.value("jurisdiction_id"); j != "" && j != c.city.Slug {
		c.fail(&core.Error{Code: core.ENOTFOUND, Message: "error.open311_jurisdiction",
			Fields: core.FieldErrors{"jurisdiction_id": core.M("error.open311_jurisdiction")}})
		return
	}
	if post && c.city.ReadOnly {
		c.fail(core.E(core.EREADONLY, "error.city_suspended", "City", c.city.Name))
		return
	}
	head, tail, nested := strings.Cut(resource, "/")
	var doc open311.Document
	switch {
	case post && resource == "requests":
		doc, err = o.create(c)
	case post:
		err = core.E(core.EMETHOD, "error.method_not_allowed", "Method", gc.Request.Method)
	case gc.Request.Method != http.MethodGet && gc.Request.Method != http.MethodHead:
		err = core.E(core.EMETHOD, "error.method_not_allowed", "Method", gc.Request.Method)
	case resource == "discovery":
		doc = o.discovery(c)
	case resource == "services":
		doc, err = o.services(c)
	case head == "services" && nested && tail != "":
		doc, err = o.definition(c, tail)
	case resource == "requests":
		doc, err = o.list(c)
	case head == "requests" && nested && tail != "":
		doc, err = o.one(c, tail)
	case head == "tokens" && nested && tail != "":
		// Every request is made at once (type realtime): no token is
		// ever handed out, so none names a request.
		err = core.E(core.ENOTFOUND, "error.open311_no_token")
	case resource == "servicerequestupdates":
		doc, err = o.updates(c)
	default:
		err = core.E(core.ENOTFOUND, "error.open311_resource")
	}
	if err != nil {
		c.fail(err)
		return
	}
	c.write(http.StatusOK, doc)
}

// value is a parameter of the query or, for a post, of the form.
func (c *openCall) value(name string) string {
	if c.Request.Form != nil {
		return strings.TrimSpace(c.Request.Form.Get(name))
	}
	return strings.TrimSpace(c.Query(name))
}

func (c *openCall) write(status int, d open311.Document) {
	b, err := open311.Encode(c.format, d)
	if err != nil {
		slog.ErrorContext(c.Request.Context(), "open311 encode", "err", err)
		status, b = http.StatusInternalServerError, nil
	}
	c.Data(status, c.format.ContentType(), b)
	c.Abort()
}

// open311Status is the HTTP status of each domain error code: Open311 asks
// 400 for what the client got wrong, 403 for a missing or invalid api_key,
// 404 for what names nothing.
var open311Status = map[string]int{
	core.EINVALID:      http.StatusBadRequest,
	core.ENOTFOUND:     http.StatusNotFound,
	core.ECONFLICT:     http.StatusConflict,
	core.EUNAUTHORIZED: http.StatusForbidden,
	core.EFORBIDDEN:    http.StatusForbidden,
	core.EREADONLY:     http.StatusForbidden,
	core.EINTERNAL:     http.StatusInternalServerError,
	core.ETOOMANY:      http.StatusTooManyRequests,
	core.EUNAVAILABLE:  http.StatusServiceUnavailable,
	core.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	core.EMETHOD:       http.StatusMethodNotAllowed,
}

// open311Fields names intake's fields as Open311 does.
var open311Fields = map[string]string{
	"category": "service_code", "address": "address_string", "building_id": "address_id",
	"location.lat": "lat", "location.lon": "long", "applicant.name": "first_name", "applicant.phone": "phone",
	"applicant.email": "email", "apartment": "attribute[apartment]", "entrance": "attribute[entrance]",
}

// fail answers with an error document in the reader's language: one error
// per field at fault ("field: message"), else the error's message.
func (c *openCall) fail(err error) {
	var e *core.Error
	switch {
	case errors.As(err, &e):
	case ClientGone(c.Context):
		c.AbortWithStatus(StatusClientClosed)
		return
	case store.Unavailable(err):
		slog.WarnContext(c.Request.Context(), "database unreachable", "err", err, "path", c.Request.URL.Path)
		e = core.E(core.EUNAVAILABLE, "error.unavailable")
		c.Header("Retry-After", strconv.Itoa(RetryAfterUnavailable))
	default:
		slog.ErrorContext(c.Request.Context(), "internal error", "err", err, "path", c.Request.URL.Path)
		e = core.E(core.EINTERNAL, "error.internal")
	}
	c.Set(problemKey, e)
	status := open311Status[e.Code]
	lang := Lang(c.Context)
	doc := open311.Errors{}
	names := make([]string, 0, len(e.Fields))
	for f := range e.Fields {
		names = append(names, f)
	}
	sort.Strings(names)
	for _, f := range names {
		name := f
		if n, ok := open311Fields[f]; ok {
			name = n
		}
		doc.Items = append(doc.Items, open311.Error{Code: status, Description: name + ": " + e.Fields[f].Text(lang)})
	}
	if len(doc.Items) == 0 {
		doc.Items = []open311.Error{{Code: status, Description: e.Text(lang)}}
	}
	c.write(status, doc)
}

// actor is the caller named by api_key: a token of this city, else 403.
func (o Open311) actor(c *openCall) (core.Actor, error) {
	key := c.value("api_key")
	if key == "" {
		return core.Actor{}, core.E(core.EUNAUTHORIZED, "error.open311_need_key")
	}
	a, err := c.city.Store.ActorByToken(c.Request.Context(), core.HashToken(key), o.API.Now())
	if core.ErrorCode(err) == core.ENOTFOUND {
		err = core.E(core.EUNAUTHORIZED, "error.bad_token")
	}
	return a, err
}

func (o Open311) discovery(c *openCall) open311.Document {
	scheme := "http"
	if c.Request.TLS != nil {
		scheme = "https"
	}
	url := scheme + "://" + c.Request.Host + strings.TrimSuffix(c.Request.URL.Path, "/"+strings.TrimPrefix(c.Param("path"), "/"))
	lang := Lang(c.Context)
	return open311.Discovery{Changeset: Open311Version, Contact: c.city.Name,
		KeyService: core.M("open311.key_service").Text(lang),
		Endpoints: []open311.Endpoint{{Specification: open311.Specification, URL: url, Changeset: Open311Version,
			Type: "production", Formats: []string{open311.MediaTypes[open311.XML], open311.MediaTypes[open311.JSON]}}}}
}

// catalog is the city's citizen-visible categories and their groups' names.
type catalog struct {
	lang   string
	cats   []core.Category
	byCode map[string]*core.Category
	groups map[string]string
}

func (o Open311) catalog(c *openCall) (*catalog, error) {
	ctx := c.Request.Context()
	cats, err := c.city.Store.Categories(ctx, true)
	if err != nil {
		return nil, err
	}
	groups, err := c.city.Store.CategoryGroups(ctx)
	if err != nil {
		return nil, err
	}
	k := &catalog{lang: Lang(c.Context), byCode: map[string]*core.Category{}, groups: map[string]string{}}
	for _, g := range groups {
		k.groups[g.Code] = pickName(k.lang, g.NameRU, g.NameEN)
	}
	for i := range cats {
		k.byCode[cats[i].Code] = &cats[i]
		if cats[i].CitizenVisible && cats[i].Active {
			k.cats = append(k.cats, cats[i])
		}
	}
	return k, nil
}

func pickName(lang, ru, en string) string {
	if lang == "ru" || en == "" {
		return ru
	}
	return en
}

// service is a category a citizen may choose, else ENOTFOUND.
func (k *catalog) service(code string) (*core.Category, error) {
	cat := k.byCode[code]
	if cat == nil || !cat.CitizenVisible || !cat.Active {
		return nil, &core.Error{Code: core.ENOTFOUND, Message: "error.open311_no_service",
			Fields: core.FieldErrors{"service_code": core.M("error.open311_no_service")}}
	}
	return cat, nil
}

func (k *catalog) name(code string) string {
	if cat := k.byCode[code]; cat != nil {
		return pickName(k.lang, cat.NameRU, cat.NameEN)
	}
	return code
}

func (o Open311) services(c *openCall) (open311.Document, error) {
	k, err := o.catalog(c)
	if err != nil {
		return nil, err
	}
	out := open311.Services{}
	for _, cat := range k.cats {
		name := pickName(k.lang, cat.NameRU, cat.NameEN)
		out.Items = append(out.Items, open311.Service{ServiceCode: cat.Code, ServiceName: name, Description: name,
			Metadata: true, Type: "realtime", Keywords: cat.Code, Group: k.groups[cat.GroupCode]})
	}
	return out, nil
}

// open311Attributes are the attributes of every service: the parts of
// intake that GeoReport v2 has no field for.
var open311Attributes = []string{"apartment", "entrance"}

func (o Open311) definition(c *openCall, code string) (open311.Document, error) {
	k, err := o.catalog(c)
	if err != nil {
		return nil, err
	}
	if _, err := k.service(code); err != nil {
		return nil, err
	}
	d := open311.ServiceDefinition{ServiceCode: code}
	for i, a := range open311Attributes {
		d.Attributes = append(d.Attributes, open311.Attribute{Variable: true, Code: a, Datatype: "string",
			DatatypeDescription: core.M("open311.attr_type." + a).Text(k.lang), Order: i + 1,
			Description: core.M("open311.attr." + a).Text(k.lang)})
	}
	return d, nil
}

// create files a request from a posted form.
func (o Open311) create(c *openCall) (open311.Document, error) {
	actor, err := o.actor(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	f := core.FieldErrors{}
	in := core.NewRequest{Address: c.value("address_string"), Description: c.value("description"),
		Applicant: core.Applicant{Name: strings.TrimSpace(c.value("first_name") + " " + c.value("last_name")),
			Phone: c.value("phone"), Email: c.value("email")}}
	code := c.value("service_code")
	if code == "" {
		f.Add("service_code", "error.required")
	} else {
		k, err := o.catalog(c)
		if err != nil {
			return nil, err
		}
		if _, err := k.service(code); err != nil {
			return nil, err
		}
		in.Category = code
	}
	attrs, bad := open311.Attributes(c.Request.Form)
	for _, key := range bad {
		f.Add(key, "error.open311_attribute_key")
	}
	for name, vs := range attrs {
		switch {
		case !slices.Contains(open311Attributes, name):
			f.Add("attribute["+name+"]", "error.open311_unknown_attribute")
		case len(vs) > 1:
			f.Add("attribute["+name+"]", "error.open311_one_value")
		case name == "apartment":
			in.Apartment = vs[0]
		case name == "entrance":
			in.Entrance = vs[0]
		}
	}
	lat, long := c.value("lat"), c.value("long")
	if lat != "" || long != "" {
		la, errLat := strconv.ParseFloat(lat, 64)
		lo, errLong := strconv.ParseFloat(long, 64)
		switch {
		case lat == "" || long == "":
			f.Add("lat", "error.open311_latlong")
		case errLat != nil:
			f.Add("lat", "error.not_number")
		case errLong != nil:
			f.Add("long", "error.not_number")
		default:
			in.Location = &core.Location{Lat: la, Lon: lo}
		}
	}
	if id := c.value("address_id"); id != "" {
		bs, err := c.city.Store.Buildings(ctx, core.BuildingQuery{RegistryID: id, Limit: 1})
		if err != nil {
			return nil, err
		}
		if len(bs) == 0 {
			f.Add("address_id", "error.open311_no_address_id")
		} else {
			in.BuildingID = &bs[0].ID
		}
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	r, _, err := o.API.Services().Requests(c.city).SubmitVia(ctx, actor, in, "", core.Via{Channel: core.ChannelOpen311, MediaURL: c.value("media_url")})
	if err != nil {
		return nil, err
	}
	return open311.Created{Items: []open311.CreatedRequest{{ServiceRequestID: r.Number}}}, nil
}

// window reads start_date and end_date: at most Open311MaxWindow apart,
// the most recent such span when neither is given.
func (o Open311) window(c *openCall) (from, to time.Time, err error) {
	f := core.FieldErrors{}
	read := func(name string) (time.Time, bool) {
		s := c.value(name)
		if s == "" {
			return time.Time{}, false
		}
		t, ok := open311.ParseTime(s)
		if !ok {
			f.Add(name, "error.open311_date")
		}
		return t, ok
	}
	from, hasFrom := read("start_date")
	to, hasTo := read("end_date")
	switch {
	case hasFrom && hasTo:
	case hasFrom:
		to = from.Add(Open311MaxWindow)
	case hasTo:
		from = to.Add(-Open311MaxWindow)
	default:
		to = o.API.Now()
		from = to.Add(-Open311MaxWindow)
	}
	if len(f) == 0 && (to.Before(from) || to.Sub(from) > Open311MaxWindow) {
		f.Add("end_date", "error.open311_window", "Days", int(Open311MaxWindow.Hours()/24))
	}
	return from, to, f.Err()
}

func (o Open311) list(c *openCall) (open311.Document, error) {
	actor, err := o.actor(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	if err := o.API.Services().gate(c.city).Allow(ctx, actor, core.ObjRequests, core.ActRead); err != nil {
		return nil, err
	}
	var rs []core.Request
	if ids := c.value("service_request_id"); ids != "" {
		// The ids override every other argument.
		numbers := strings.Split(ids, ",")
		if len(numbers) > Open311MaxIDs {
			f := core.FieldErrors{}
			f.Add("service_request_id", "error.open311_too_many_ids", "Count", Open311MaxIDs)
			return nil, f.Err()
		}
		for _, n := range numbers {
			r, err := c.city.Store.RequestByNumber(ctx, actor, strings.TrimSpace(n))
			if errors.Is(err, core.ErrNotFound) {
				continue
			}
			if err != nil {
				return nil, err
			}
			rs = append(rs, *r)
		}
		return o.requests(c, rs)
	}
	f := core.FieldErrors{}
	q := core.RequestQuery{Limit: core.MaxPage, Now: o.API.Now()}
	if code := c.value("service_code"); code != "" {
		if !core.ValidSlug(code) {
			f.Add("service_code", "error.not_code")
		}
		q.Category = code
	}
	if s := c.value("status"); s != "" {
		for _, name := range strings.Split(s, ",") {
			sts, ok := open311.Statuses(strings.TrimSpace(name))
			if !ok {
				f.Add("status", "error.one_of", "List", "open, closed")
			}
			q.Statuses = append(q.Statuses, sts...)
		}
	}
	from, to, err := o.window(c)
	if err := addFieldsOf(f, err); err != nil {
		return nil, err
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	// requested_datetime in [start_date, end_date], both inclusive.
	end := to.Add(time.Microsecond)
	q.CreatedFrom, q.CreatedTo = &from, &end
	for len(rs) < Open311MaxList {
		page, err := c.city.Store.ListRequests(ctx, actor, q)
		if err != nil {
			return nil, err
		}
		rs = append(rs, page.Items...)
		if page.NextID == 0 {
			break
		}
		q.BeforeID = page.NextID
	}
	if len(rs) > Open311MaxList {
		rs = rs[:Open311MaxList]
	}
	return o.requests(c, rs)
}

// addFieldsOf merges an EINVALID error's field messages into f; any other
// error is returned.
func addFieldsOf(f core.FieldErrors, err error) error {
	var e *core.Error
	if err == nil {
		return nil
	}
	if !errors.As(err, &e) || e.Code != core.EINVALID {
		return err
	}
	for k, m := range e.Fields {
		f.AddMsg(k, m)
	}
	return nil
}

func (o Open311) one(c *openCall, number string) (open311.Document, error) {
	actor, err := o.actor(c)
	if err != nil {
		return nil, err
	}
	if err := o.API.Services().gate(c.city).Allow(c.Request.Context(), actor, core.ObjRequests, core.ActRead); err != nil {
		return nil, err
	}
	r, err := c.city.Store.RequestByNumber(c.Request.Context(), actor, number)
	if err != nil {
		return nil, err
	}
	return o.requests(c, []core.Request{*r})
}

// requests writes requests as GeoReport v2 shows them: the building's
// registry id as address_id, its point when the request has none of its
// own, and never the applicant's contact data.
func (o Open311) requests(c *openCall, rs []core.Request) (open311.Document, error) {
	k, err := o.catalog(c)
	if err != nil {
		return nil, err
	}
	ids := []int64{}
	for _, r := range rs {
		if r.BuildingID != nil && !slices.Contains(ids, *r.BuildingID) {
			ids = append(ids, *r.BuildingID)
		}
	}
	buildings := map[int64]*core.Building{}
	if len(ids) > 0 {
		bs, err := c.city.Store.Buildings(c.Request.Context(), core.BuildingQuery{IDs: ids, Limit: len(ids)})
		if err != nil {
			return nil, err
		}
		for i := range bs {
			buildings[bs[i].ID] = &bs[i]
		}
	}
	loc := c.city.Location
	out := open311.Requests{Items: make([]open311.Request, 0, len(rs))}
	for i := range rs {
		r := &rs[i]
		v := open311.Request{ServiceRequestID: r.Number, Status: open311.Status(r.Status), ServiceName: k.name(r.CategoryCode),
			ServiceCode: r.CategoryCode, Description: r.Description, AgencyResponsible: r.Organization,
			RequestedDatetime: open311.Time(r.CreatedAt, loc), UpdatedDatetime: open311.Time(r.UpdatedAt, loc),
			Address: r.Address, Lat: r.Lat, Long: r.Lon, MediaURL: r.MediaURL}
		if r.ResolutionDueAt != nil {
			v.ExpectedDatetime = open311.Time(*r.ResolutionDueAt, loc)
		}
		if r.BuildingID != nil {
			if b := buildings[*r.BuildingID]; b != nil {
				v.AddressID = b.RegistryID
				if v.Lat == nil && b.Lat != nil && b.Lon != nil {
					v.Lat, v.Long = b.Lat, b.Lon
				}
			}
		}
		out.Items = append(out.Items, v)
	}
	return out, nil
}

func (o Open311) updates(c *openCall) (open311.Document, error) {
	actor, err := o.actor(c)
	if err != nil {
		return nil, err
	}
	ctx := c.Request.Context()
	if err := o.API.Services().gate(c.city).Allow(ctx, actor, core.ObjRequests, core.ActRead); err != nil {
		return nil, err
	}
	from, to, err := o.window(c)
	if err != nil {
		return nil, err
	}
	us, err := c.city.Store.RequestUpdates(ctx, actor, from, to.Add(time.Microsecond), Open311MaxList)
	if err != nil {
		return nil, err
	}
	lang := Lang(c.Context)
	out := open311.Updates{Items: make([]open311.Update, 0, len(us))}
	for _, u := range us {
		text := u.Comment
		if text == "" && !u.Note.IsZero() {
			text = u.Note.Text(lang)
		}
		out.Items = append(out.Items, open311.Update{UpdateID: strconv.FormatInt(u.EventID, 10), ServiceRequestID: u.Number,
			Status: open311.ExtendedStatus(u.Status), ExternalStatusCode: string(u.Status),
			UpdatedDatetime: open311.Time(u.CreatedAt, c.city.Location), Description: text})
	}
	return out, nil
}
