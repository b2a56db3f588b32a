package core

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// importSource is one source record, read by mapping paths.
type importSource func(path string) string

// ParseImport reads a feed or an upload into its records: a JSON array
// (at the mapping's Items path) of objects read by gjson paths, or a CSV
// table with a header row (comma or semicolon, UTF-8 with or without a
// byte-order mark) read by column names. A body that is neither is an
// EINVALID error naming what is wrong.
func ParseImport(format string, data []byte, m ImportMapping) ([]importSource, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if format == ImportCSV {
		return parseImportCSV(data)
	}
	if !gjson.ValidBytes(data) {
		return nil, E(EINVALID, "error.import_not_json")
	}
	root := gjson.ParseBytes(data)
	if m.Items != "" {
		root = root.Get(m.Items)
	}
	if !root.IsArray() {
		return nil, E(EINVALID, "error.import_no_array", "Path", m.Items)
	}
	var out []importSource
	for _, rec := range root.Array() {
		out = append(out, func(path string) string {
			v := rec.Get(path)
			if v.Type == gjson.Null {
				return ""
			}
			return v.String()
		})
	}
	return out, nil
}

func parseImportCSV(data []byte) ([]importSource, error) {
	if !utf8.Valid(data) {
		return nil, E(EINVALID, "error.not_utf8")
	}
	first, _, _ := bytes.Cut(data, []byte("\n"))
	r := csv.NewReader(bytes.NewReader(data))
	if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		r.Comma = ';'
	}
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		return nil, E(EINVALID, "error.import_not_csv", "Error", err.Error())
	}
	if len(rows) == 0 {
		return nil, E(EINVALID, "error.import_not_csv", "Error", "no header")
	}
	cols := map[string]int{}
	for i, h := range rows[0] {
		cols[strings.TrimSpace(h)] = i
	}
	var out []importSource
	for _, row := range rows[1:] {
		out = append(out, func(path string) string {
			if i, ok := cols[path]; ok && i < len(row) {
				return row[i]
			}
			return ""
		})
	}
	return out, nil
}

// RunNow pulls a connector's feed at once.
func (im *Imports) RunNow(ctx context.Context, a Actor, id int64) (*ImportRun, error) {
	if err := im.Gate.Allow(ctx, a, ObjImports, ActUpdate); err != nil {
		return nil, err
	}
	c, err := im.Store.ImportConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.FeedURL == "" {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"feed_url": M("error.required")}}
	}
	return im.pull(ctx, c, ImportManual)
}

// Upload imports a batch (JSON or CSV, told apart by its first character)
// into a connector.
func (im *Imports) Upload(ctx context.Context, a Actor, id int64, data []byte) (*ImportRun, error) {
	if err := im.Gate.Allow(ctx, a, ObjImports, ActImport); err != nil {
		return nil, err
	}
	c, err := im.Store.ImportConnector(ctx, id)
	if err != nil {
		return nil, err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"file": M("error.required")}}
	}
	format := ImportCSV
	if t := bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))); t[0] == '[' || t[0] == '{' {
		format = ImportJSON
	}
	recs, err := ParseImport(format, data, c.Mapping)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Code == EINVALID {
			return nil, &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: FieldErrors{"file": e.Msg()}}
		}
		return nil, err
	}
	if ok, err := im.Store.LeaseImportConnector(ctx, c.ID, im.Now().UTC(), im.Now().UTC().Add(importLease)); err != nil {
		return nil, err
	} else if !ok {
		return nil, E(ECONFLICT, "error.import_running")
	}
	return im.ingest(ctx, c, ImportUpload, recs, c.NextRunAt)
}

// RunDue pulls every connector whose scheduled pull is due; the city's
// import job calls it each minute. It returns the runs it made.
func (im *Imports) RunDue(ctx context.Context) ([]ImportRun, error) {
	now := im.Now().UTC()
	cs, err := im.Store.LeaseImportConnectors(ctx, now, now.Add(importLease))
	if err != nil {
		return nil, err
	}
	var runs []ImportRun
	for i := range cs {
		run, err := im.run(ctx, &cs[i], ImportScheduled)
		if err != nil {
			return runs, err
		}
		runs = append(runs, *run)
	}
	return runs, nil
}

// pull leases a connector and reads its feed.
func (im *Imports) pull(ctx context.Context, c *ImportConnector, cause string) (*ImportRun, error) {
	now := im.Now().UTC()
	if ok, err := im.Store.LeaseImportConnector(ctx, c.ID, now, now.Add(importLease)); err != nil {
		return nil, err
	} else if !ok {
		return nil, E(ECONFLICT, "error.import_running")
	}
	return im.run(ctx, c, cause)
}

// run fetches the feed of a leased connector and imports it; a fetch that
// fails is logged as the run's error.
func (im *Imports) run(ctx context.Context, c *ImportConnector, cause string) (*ImportRun, error) {
	var next *time.Time
	if c.EveryMinutes > 0 {
		n := im.Now().UTC().Add(time.Duration(c.EveryMinutes) * time.Minute)
		next = &n
	}
	data, err := im.fetch(ctx, c.FeedURL)
	var recs []importSource
	if err == nil {
		recs, err = ParseImport(c.Format, data, c.Mapping)
	}
	if err != nil {
		run := &ImportRun{ConnectorID: c.ID, Cause: cause, StartedAt: im.Now().UTC(), Error: importErrorText(err)}
		fin := im.Now().UTC()
		run.FinishedAt = &fin
		return run, im.Store.FinishImportRun(ctx, run, next)
	}
	return im.ingest(ctx, c, cause, recs, next)
}

// importErrorText is the run log's line for a failed fetch.
func importErrorText(err error) string {
	var e *Error
	s := err.Error()
	if errors.As(err, &e) {
		s = e.Text("en")
	}
	if len(s) > 500 {
		s = s[:500]
	}
	return s
}

func (im *Imports) fetch(ctx context.Context, u string) ([]byte, error) {
	client := im.HTTP
	if client == nil {
		client = &http.Client{Timeout: ImportFeedTimeout}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json, text/csv")
	req.Header.Set("User-Agent", "OpenCity-Import/1")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("feed answered HTTP %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxImportFeed+1))
	if err == nil && len(data) > MaxImportFeed {
		err = fmt.Errorf("feed larger than %d bytes", MaxImportFeed)
	}
	return data, err
}

// ingest imports records into a leased connector and logs the run.
func (im *Imports) ingest(ctx context.Context, c *ImportConnector, cause string, recs []importSource, next *time.Time) (*ImportRun, error) {
	run := &ImportRun{ConnectorID: c.ID, Cause: cause, StartedAt: im.Now().UTC(), Fetched: len(recs)}
	actor, err := im.Store.ImportActor(ctx)
	if err != nil {
		return nil, err
	}
	dir, err := im.Requests.Store.Directory(ctx, false)
	if err != nil {
		return nil, err
	}
	active := map[string]bool{}
	for _, cat := range dir.Categories {
		active[cat.Code] = cat.Active
	}
	catMap, _ := parseCategoryMap(c.CategoryMap, nil)
	for i, rec := range recs {
		ext, field, reason, err := im.record(ctx, c, actor, rec, active, catMap, run)
		if err != nil {
			return nil, err
		}
		if !reason.IsZero() {
			run.Refused++
			run.Refusals = append(run.Refusals, ImportRefusal{Seq: i + 1, ExternalID: ext, Field: field, Reason: reason})
		}
	}
	fin := im.Now().UTC()
	run.FinishedAt = &fin
	if err := im.Store.FinishImportRun(ctx, run, next); err != nil {
		return nil, err
	}
	if run.Refused > 0 || run.Created+run.Updated > 0 {
		slog.InfoContext(ctx, "import", "city", im.Requests.City, "connector", c.Code, "fetched", run.Fetched,
			"created", run.Created, "updated", run.Updated, "refused", run.Refused)
	}
	return run, nil
}

// record imports one source record, counting it in run; a refusal is
// returned as its field and reason.
func (im *Imports) record(ctx context.Context, c *ImportConnector, actor Actor, rec importSource, active map[string]bool,
	catMap map[string]string, run *ImportRun) (ext, field string, reason Msg, err error) {
	m := c.Mapping
	get := func(p string) string {
		if p == "" {
			return ""
		}
		return strings.TrimSpace(rec(p))
	}
	ext = get(m.ExternalID)
	switch {
	case ext == "":
		return "", "external_id", M("error.required"), nil
	case utf8.RuneCountInString(ext) > MaxImportExternalID || !utf8.ValidString(ext) || strings.ContainsRune(ext, 0):
		return "", "external_id", M("error.too_long"), nil
	}
	in := NewRequest{Description: get(m.Description), Address: get(m.Address), Apartment: get(m.Apartment),
		Applicant: Applicant{Name: get(m.ApplicantName), Phone: get(m.ApplicantPhone), Email: get(m.ApplicantEmail)}}
	if lat, lon := get(m.Lat), get(m.Lon); lat != "" || lon != "" {
		la, err1 := strconv.ParseFloat(strings.ReplaceAll(lat, ",", "."), 64)
		lo, err2 := strconv.ParseFloat(strings.ReplaceAll(lon, ",", "."), 64)
		if err1 != nil || err2 != nil {
			return ext, "location", M("error.import_point"), nil
		}
		in.Location = &Location{Lat: la, Lon: lo}
	}
	catText := get(m.Category)
	code, known := catMap[strings.ToLower(catText)]
	if !known && active[catText] {
		code, known = catText, true
	}
	if !known {
		code = c.DefaultCategory
	}
	in.Category = code
	regID, addrText := get(m.Building), in.Address
	knownAddr := false
	if regID != "" || addrText != "" {
		b, err := im.Store.ImportBuilding(ctx, regID, addrText)
		if err != nil {
			return "", "", Msg{}, err
		}
		if b != nil {
			knownAddr, in.BuildingID, in.Address = true, &b.ID, ""
		} else if addrText == "" {
			in.Address = regID
			addrText = regID
		}
	}
	var triage Msg
	switch {
	case !known && !knownAddr:
		triage = M("route.import_unknown_both", "Category", catText, "Address", addrText)
	case !known:
		triage = M("route.import_unknown_category", "Category", catText)
	case !knownAddr:
		triage = M("route.import_unknown_address", "Address", addrText)
	}
	digest := importDigest(in, catText, c.Code)
	prev, err := im.Store.ImportRecord(ctx, c.ID, ext)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return "", "", Msg{}, err
	}
	now := im.Now().UTC()
	if prev != nil {
		if prev.Digest == digest {
			run.Unchanged++
			return ext, "", Msg{}, nil
		}
		f, r, err := im.Requests.reviseImported(ctx, actor, prev.RequestID, in, c.Name)
		if err != nil || !r.IsZero() {
			return ext, f, r, err
		}
		run.Updated++
		return ext, "", Msg{}, im.Store.SaveImportRecord(ctx, &ImportRecord{ConnectorID: c.ID, ExternalID: ext,
			RequestID: prev.RequestID, Digest: digest, UpdatedAt: now})
	}
	r, created, err := im.Requests.SubmitVia(ctx, actor, in, "import:"+c.Code+":"+ext,
		Via{Channel: ChannelExternal, ExternalSource: c.Code, ExternalID: ext, Triage: triage})
	if f, reason, ok := refusal(err); ok {
		return ext, f, reason, nil
	}
	if err != nil {
		return "", "", Msg{}, err
	}
	if created {
		run.Created++
	} else {
		run.Unchanged++
	}
	return ext, "", Msg{}, im.Store.SaveImportRecord(ctx, &ImportRecord{ConnectorID: c.ID, ExternalID: ext,
		RequestID: r.ID, Digest: digest, UpdatedAt: now})
}

// refusal reads the field and reason of an error intake answered about a
// record; ok is false for errors that are not the record's fault.
func refusal(err error) (field string, reason Msg, ok bool) {
	var e *Error
	if err == nil || !errors.As(err, &e) || (e.Code != EINVALID && e.Code != ECONFLICT) {
		return "", Msg{}, false
	}
	for _, name := range slices.Sorted(maps.Keys(e.Fields)) {
		return name, e.Fields[name], true
	}
	return "", e.Msg(), true
}

// importDigest fingerprints what a source record says, so that reading it
// again changes nothing and a changed record is seen.
func importDigest(in NewRequest, category, source string) string {
	b, _ := json.Marshal(struct {
		In       NewRequest
		Category string
		Source   string
	}{in, category, source})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// reviseImported applies what a changed source record says to the request
// it became: description, address and apartment (the address only when
// the request has no registry building), the applicant's contacts. The
// category and the building are not changed: the request may be in an
// organization's hands. One internal history event records the revision.
// A record whose fields intake would refuse is answered as a refusal.
func (s *Requests) reviseImported(ctx context.Context, actor Actor, requestID int64, in NewRequest, source string) (string, Msg, error) {
	in.Normalize()
	region, err := s.Store.PhoneRegion(ctx)
	if err != nil {
		return "", Msg{}, err
	}
	verr := in.Validate(region)
	if f, reason, ok := refusal(verr); ok {
		return f, reason, nil
	} else if verr != nil {
		return "", Msg{}, verr
	}
	var number string
	err = s.Store.Lookup(ctx, s.Location, func(ctx context.Context, l Lookup) error {
		r, err := l.RequestByID(ctx, requestID)
		if err == nil {
			number = r.Number
		}
		return err
	})
	if err != nil {
		return "", Msg{}, err
	}
	now := s.Now().UTC().Truncate(time.Microsecond)
	_, err = s.Store.UpdateRequest(ctx, actor, number, s.Location, func(ctx context.Context, r *Request, l Lookup) ([]*RequestEvent, error) {
		r.Description = in.Description
		if r.BuildingID == nil && in.Address != "" {
			r.Address = in.Address
		}
		r.Apartment = in.Apartment
		r.ApplicantName, r.ApplicantPhone, r.ApplicantEmail = in.Applicant.Name, in.Applicant.Phone, in.Applicant.Email
		r.UpdatedAt = now
		r.SearchText = SearchDocument(r)
		return []*RequestEvent{{ActorID: actorID(actor), Kind: "imported", FromState: string(r.Status), ToState: string(r.Status),
			Note: M("event.import_revised", "Source", source), CreatedAt: now}}, nil
	})
	if err == nil {
		s.changed()
	}
	return "", Msg{}, err
}
