package core

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ObjImports are the city's import connectors, their runs and uploads
// (city admin).
const ObjImports = "imports"

// Import formats a connector reads.
const (
	ImportJSON = "json"
	ImportCSV  = "csv"
)

// Causes of an import run.
const (
	ImportScheduled = "schedule"
	ImportManual    = "manual"
	ImportUpload    = "upload"
)

// Limits of a connector and its records.
const (
	MaxImportExternalID = 100
	MaxImportFeed       = 32 << 20 // bytes of a feed or an upload
	MaxImportEvery      = 24 * 60  // minutes between pulls
	MinImportEvery      = 5
	ImportFeedTimeout   = 30 * time.Second
	importLease         = 10 * time.Minute
)

// ImportMapping says where each field of a request is in a source record:
// a path of names separated by dots into a JSON record ("problem.text",
// "items.0.id" for an array's first element; gjson syntax), or a column
// name of a CSV batch. Empty paths are not read. ExternalID and
// Description are required.
type ImportMapping struct {
	// Items is the path of the records' array in a JSON feed; "" when the
	// feed is the array itself.
	Items          string `json:"items,omitempty"`
	ExternalID     string `json:"external_id"`
	Category       string `json:"category,omitempty"`
	Description    string `json:"description"`
	Address        string `json:"address,omitempty"`
	Building       string `json:"building,omitempty"` // the building's registry id
	Apartment      string `json:"apartment,omitempty"`
	Lat            string `json:"lat,omitempty"`
	Lon            string `json:"lon,omitempty"`
	ApplicantName  string `json:"applicant_name,omitempty"`
	ApplicantPhone string `json:"applicant_phone,omitempty"`
	ApplicantEmail string `json:"applicant_email,omitempty"`
}

// ImportMappingFields are the mapping's form fields in the order the
// console shows them, by their JSON names.
var ImportMappingFields = []string{"items", "external_id", "category", "description", "address", "building", "apartment",
	"lat", "lon", "applicant_name", "applicant_phone", "applicant_email"}

// Field is the path of a mapping field by its JSON name
// (ImportMappingFields); nil for another name.
func (m *ImportMapping) Field(name string) *string { return m.paths()[name] }

// paths returns the mapping's paths by field name.
func (m *ImportMapping) paths() map[string]*string {
	return map[string]*string{"items": &m.Items, "external_id": &m.ExternalID, "category": &m.Category,
		"description": &m.Description, "address": &m.Address, "building": &m.Building, "apartment": &m.Apartment,
		"lat": &m.Lat, "lon": &m.Lon, "applicant_name": &m.ApplicantName, "applicant_phone": &m.ApplicantPhone,
		"applicant_email": &m.ApplicantEmail}
}

// Path returns the path of a mapping field by its JSON name.
func (m ImportMapping) Path(field string) string {
	if p := m.paths()[field]; p != nil {
		return *p
	}
	return ""
}

// ImportConnector is a city's link to one external system: where its feed
// is, how its records map to requests, and where status changes are
// reported. Its Code is the external_source of the requests it brings in.
type ImportConnector struct {
	ID              int64         `bun:"id,pk,autoincrement"`
	Code            string        `bun:"code,notnull"`
	Name            string        `bun:"name,notnull"`
	FeedURL         string        `bun:"feed_url,notnull"`
	EveryMinutes    int           `bun:"every_minutes,notnull"` // 0: no scheduled pulls
	Format          string        `bun:"format,notnull"`        // of the feed: ImportJSON or ImportCSV
	MappingJSON     string        `bun:"mapping,notnull"`
	Mapping         ImportMapping `bun:"-"`
	CategoryMap     string        `bun:"category_map,notnull"` // lines "source text = category code"
	DefaultCategory string        `bun:"default_category,notnull"`
	CallbackURL     string        `bun:"callback_url,notnull"`
	EndpointID      *int64        `bun:"endpoint_id"` // the webhook endpoint of the callback
	NextRunAt       *time.Time    `bun:"next_run_at"`
	LeaseUntil      *time.Time    `bun:"lease_until"`
	CreatedAt       time.Time     `bun:"created_at,notnull"`
	UpdatedAt       time.Time     `bun:"updated_at,notnull"`
}

// ImportRun is one reading of a feed or an upload: how many records it
// fetched, created, updated, left unchanged and refused (with why), or the
// error that stopped it.
type ImportRun struct {
	ID          int64           `bun:"id,pk,autoincrement"`
	ConnectorID int64           `bun:"connector_id,notnull"`
	Cause       string          `bun:"cause,notnull"`
	StartedAt   time.Time       `bun:"started_at,notnull"`
	FinishedAt  *time.Time      `bun:"finished_at"`
	Fetched     int             `bun:"fetched,notnull"`
	Created     int             `bun:"created,notnull"`
	Updated     int             `bun:"updated,notnull"`
	Unchanged   int             `bun:"unchanged,notnull"`
	Refused     int             `bun:"refused,notnull"`
	Error       string          `bun:"error,notnull"`
	Refusals    []ImportRefusal `bun:"-"`
}

// ImportRefusal is a source record a run did not take: its place in the
// feed (from 1), its id when it had one, and the field and reason.
type ImportRefusal struct {
	ID         int64  `bun:"id,pk,autoincrement"`
	RunID      int64  `bun:"run_id,notnull"`
	Seq        int    `bun:"seq,notnull"`
	ExternalID string `bun:"external_id,notnull"`
	Field      string `bun:"field,notnull"`
	Reason     Msg    `bun:"reason,notnull"`
}

// ImportRecord ties a source record to the request it became, with the
// digest of what the source said last.
type ImportRecord struct {
	ConnectorID int64     `bun:"connector_id,pk"`
	ExternalID  string    `bun:"external_id,pk"`
	RequestID   int64     `bun:"request_id,notnull"`
	Digest      string    `bun:"digest,notnull"`
	UpdatedAt   time.Time `bun:"updated_at,notnull"`
}

// ImportStore keeps a city's connectors, records and runs.
type ImportStore interface {
	ImportConnectors(ctx context.Context) ([]ImportConnector, error)
	// ImportConnector is ENOTFOUND for an id of no connector of the city.
	ImportConnector(ctx context.Context, id int64) (*ImportConnector, error)
	// SaveImportConnector creates (ID 0) or updates c with its status
	// callback: a webhook endpoint of the city for the requests of c.Code,
	// created with secret when c has a callback URL and no endpoint yet,
	// pointed at a changed URL, disabled when the URL is cleared. It
	// reports whether it created the endpoint. A taken code is ECONFLICT.
	SaveImportConnector(ctx context.Context, c *ImportConnector, secret string, now time.Time) (bool, error)
	// LeaseImportConnectors takes the connectors whose scheduled pull is
	// due at now and no other run holds, until until.
	LeaseImportConnectors(ctx context.Context, now, until time.Time) ([]ImportConnector, error)
	// LeaseImportConnector takes one connector until until unless another
	// run holds it.
	LeaseImportConnector(ctx context.Context, id int64, now, until time.Time) (bool, error)
	ImportRecord(ctx context.Context, connectorID int64, externalID string) (*ImportRecord, error)
	SaveImportRecord(ctx context.Context, r *ImportRecord) error
	// FinishImportRun stores a run with its refusals, releases the
	// connector and sets its next scheduled pull (nil for none).
	FinishImportRun(ctx context.Context, run *ImportRun, next *time.Time) error
	// ImportRuns are a connector's newest runs with their refusals.
	ImportRuns(ctx context.Context, connectorID int64, limit int) ([]ImportRun, error)
	// ImportBuilding finds a building by its registry id, else by its
	// address written exactly as the registry writes it (runs of spaces
	// aside); nil when neither names one.
	ImportBuilding(ctx context.Context, registryID, address string) (*Building, error)
	// ImportActor is the city's system account imports submit as.
	ImportActor(ctx context.Context) (Actor, error)
}

// Imports are a city's import connectors: configured by its admin, pulled
// on their schedule or fed uploads, each record submitted through intake
// (Requests.SubmitVia, channel external) once per source id.
type Imports struct {
	Store    ImportStore
	Requests *Requests
	Gate     Gate
	Now      func() time.Time
	HTTP     *http.Client // fetches feeds; nil: a client with ImportFeedTimeout
}

// ConnectorInput is what the console sends for a connector. Code is kept
// from creation on; EveryMinutes is text as typed ("" for none).
type ConnectorInput struct {
	Code            string
	Name            string
	FeedURL         string
	Format          string
	EveryMinutes    string
	Mapping         ImportMapping
	CategoryMap     string
	DefaultCategory string
	CallbackURL     string
}

var importCode = regexp.MustCompile(`^[a-z][a-z0-9_-]{1,39}$`)

// List returns the city's connectors.
func (im *Imports) List(ctx context.Context, a Actor) ([]ImportConnector, error) {
	if err := im.Gate.Allow(ctx, a, ObjImports, ActRead); err != nil {
		return nil, err
	}
	return im.Store.ImportConnectors(ctx)
}

// Get returns one connector with its newest runs.
func (im *Imports) Get(ctx context.Context, a Actor, id int64, runs int) (*ImportConnector, []ImportRun, error) {
	if err := im.Gate.Allow(ctx, a, ObjImports, ActRead); err != nil {
		return nil, nil, err
	}
	c, err := im.Store.ImportConnector(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	rs, err := im.Store.ImportRuns(ctx, id, runs)
	return c, rs, err
}

// Save creates (id 0) or changes a connector after checking every field.
// It returns the connector and, when its status callback was just set up,
// the callback's signing secret — the only time it is shown.
func (im *Imports) Save(ctx context.Context, a Actor, id int64, in ConnectorInput) (*ImportConnector, string, error) {
	act := ActCreate
	if id != 0 {
		act = ActUpdate
	}
	if err := im.Gate.Allow(ctx, a, ObjImports, act); err != nil {
		return nil, "", err
	}
	now := im.Now().UTC()
	c := &ImportConnector{CreatedAt: now}
	if id != 0 {
		var err error
		if c, err = im.Store.ImportConnector(ctx, id); err != nil {
			return nil, "", err
		}
		in.Code = c.Code
	}
	f, err := im.check(ctx, &in)
	if err != nil {
		return nil, "", err
	}
	if err := f.Err(); err != nil {
		return nil, "", err
	}
	every, _ := strconv.Atoi(in.EveryMinutes)
	mapping, _ := json.Marshal(in.Mapping)
	c.Code, c.Name, c.FeedURL, c.Format, c.EveryMinutes = in.Code, in.Name, in.FeedURL, in.Format, every
	c.Mapping, c.MappingJSON, c.CategoryMap, c.DefaultCategory, c.CallbackURL = in.Mapping, string(mapping), in.CategoryMap, in.DefaultCategory, in.CallbackURL
	c.UpdatedAt = now
	c.NextRunAt = nil
	if c.EveryMinutes > 0 {
		c.NextRunAt = &now
	}
	secret := NewWebhookSecret()
	made, err := im.Store.SaveImportConnector(ctx, c, secret, now)
	if errors.Is(err, ErrConflict) {
		return nil, "", &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"code": M("error.taken")}}
	}
	if err != nil || !made {
		secret = ""
	}
	return c, secret, err
}

// check normalizes in and returns its faults.
func (im *Imports) check(ctx context.Context, in *ConnectorInput) (FieldErrors, error) {
	f := FieldErrors{}
	in.Code, in.Name = strings.TrimSpace(in.Code), strings.TrimSpace(in.Name)
	in.FeedURL, in.CallbackURL = strings.TrimSpace(in.FeedURL), strings.TrimSpace(in.CallbackURL)
	in.DefaultCategory, in.EveryMinutes = strings.TrimSpace(in.DefaultCategory), strings.TrimSpace(in.EveryMinutes)
	in.Format = strings.TrimSpace(in.Format)
	if !importCode.MatchString(in.Code) {
		f.Add("code", "error.import_code")
	}
	if in.Name == "" {
		f.Add("name", "error.required")
	}
	checkLen(f, "name", in.Name, MaxShortText)
	checkURL(f, "feed_url", in.FeedURL)
	checkURL(f, "callback_url", in.CallbackURL)
	if in.Format == "" {
		in.Format = ImportJSON
	}
	if in.Format != ImportJSON && in.Format != ImportCSV {
		f.Add("format", "error.one_of", "List", ImportJSON+", "+ImportCSV)
	}
	if in.EveryMinutes != "" && in.EveryMinutes != "0" {
		n, err := strconv.Atoi(in.EveryMinutes)
		switch {
		case err != nil || n < MinImportEvery || n > MaxImportEvery:
			f.Add("every_minutes", "error.import_every", "Min", MinImportEvery, "Max", MaxImportEvery)
		case in.FeedURL == "":
			f.Add("every_minutes", "error.import_every_feed")
		}
	}
	for name, p := range in.Mapping.paths() {
		*p = strings.TrimSpace(*p)
		if *p != "" && !validImportPath(*p) {
			f.Add("mapping."+name, "error.import_path")
		}
	}
	for _, name := range []string{"external_id", "description"} {
		if in.Mapping.Path(name) == "" {
			f.Add("mapping."+name, "error.required")
		}
	}
	dir, err := im.Requests.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, c := range dir.Categories {
		active[c.Code] = c.Active
	}
	if in.DefaultCategory == "" {
		f.Add("default_category", "error.required")
	} else if !active[in.DefaultCategory] {
		f.Add("default_category", "error.unknown_category", "Code", in.DefaultCategory)
	}
	_, bad := parseCategoryMap(in.CategoryMap, active)
	if !bad.IsZero() {
		f.AddMsg("category_map", bad)
	}
	checkLen(f, "category_map", in.CategoryMap, MaxDescription)
	return f, nil
}

// checkURL adds the fault of an optional absolute http or https URL.
func checkURL(f FieldErrors, field, s string) {
	if s == "" {
		return
	}
	checkLen(f, field, s, MaxWebhookURL)
	if u, err := url.Parse(s); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		f.Add(field, MsgNotURL)
	}
}

// validImportPath accepts names of letters, digits, spaces, '_' and '-'
// separated by single dots.
func validImportPath(p string) bool {
	if len(p) > 200 {
		return false
	}
	for _, seg := range strings.Split(p, ".") {
		if strings.TrimSpace(seg) == "" {
			return false
		}
		for _, r := range seg {
			if !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' && r != '-' && r != ' ' {
				return false
			}
		}
	}
	return true
}

// parseCategoryMap reads lines "source text = category code" (blank lines
// and lines starting with # aside) into a map by the source text in lower
// case. The first bad line is reported with its number.
func parseCategoryMap(s string, active map[string]bool) (map[string]string, Msg) {
	out := map[string]string{}
	for i, line := range strings.Split(s, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, M("error.import_map_line", "Line", i+1)
		}
		if active != nil && !active[v] {
			return nil, M("error.import_map_category", "Line", i+1, "Code", v)
		}
		out[strings.ToLower(k)] = v
	}
	return out, Msg{}
}
