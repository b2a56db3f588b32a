package core

import (
	"errors"
	"testing"
)

// A feed is read at the mapping's array path by gjson paths; a CSV batch
// by its header's column names, whether Russian Excel wrote it (a BOM,
// semicolons) or not; what is neither is refused with a message.
func TestParseImport(t *testing.T) {
	m := ImportMapping{Items: "data.items", ExternalID: "id", Description: "problem.text", Category: "problem.kind"}
	recs, err := ParseImport(ImportJSON, []byte(`{"data": {"items": [
		{"id": 17, "problem": {"text": "Лифт стоит", "kind": null}},
		{"id": "pk-2", "problem": {"text": "Течёт крыша"}}]}}`), m)
	if err != nil || len(recs) != 2 {
		t.Fatalf("json: %d records, %v", len(recs), err)
	}
	if recs[0]("id") != "17" || recs[0]("problem.text") != "Лифт стоит" || recs[0]("problem.kind") != "" || recs[1]("id") != "pk-2" {
		t.Errorf("json values: %q %q %q %q", recs[0]("id"), recs[0]("problem.text"), recs[0]("problem.kind"), recs[1]("id"))
	}
	for name, csv := range map[string]string{
		"excel": "\xef\xbb\xbfid;problem.text\r\npk-1;\"Лифт; стоит\"\r\n",
		"comma": "id,problem.text\npk-1,\"Лифт; стоит\"\n",
	} {
		recs, err := ParseImport(ImportCSV, []byte(csv), m)
		if err != nil || len(recs) != 1 || recs[0]("id") != "pk-1" || recs[0]("problem.text") != "Лифт; стоит" || recs[0]("nothing") != "" {
			t.Errorf("%s: %d records, %v", name, len(recs), err)
		}
	}
	for name, c := range map[string]struct {
		format, body, code string
	}{
		"broken json":   {ImportJSON, `{"data": [`, "error.import_not_json"},
		"no array":      {ImportJSON, `{"data": {"items": {"id": 1}}}`, "error.import_no_array"},
		"not utf-8":     {ImportCSV, "id;text\n1;\xcf\xf0\xe8\n", "error.not_utf8"},
		"ragged quotes": {ImportCSV, "id;text\n1;\"open\n", "error.import_not_csv"},
	} {
		_, err := ParseImport(c.format, []byte(c.body), m)
		var e *Error
		if !errors.As(err, &e) || e.Code != EINVALID || e.Message != c.code {
			t.Errorf("%s: %v, want %s", name, err, c.code)
		}
	}
}

// Mapping paths and category tables are checked line by line.
func TestImportMappingRules(t *testing.T) {
	for p, ok := range map[string]bool{"id": true, "problem.text": true, "Номер обращения": true, "photos.0.url": true,
		"a..b": false, ".a": false, "a.": false, "a|b": false, "#": false, "a*": false} {
		if validImportPath(p) != ok {
			t.Errorf("path %q: valid %v", p, !ok)
		}
	}
	active := map[string]bool{"lift": true, "roof": true, "old": false}
	got, bad := parseCategoryMap("# comment\nЛифт = lift\n\n  Крыша течёт=roof  \n", active)
	if !bad.IsZero() || got["лифт"] != "lift" || got["крыша течёт"] != "roof" {
		t.Errorf("map %v %v", got, bad)
	}
	if _, bad := parseCategoryMap("Лифт = lift\nкрыша", active); bad.Code != "error.import_map_line" || bad.Args["Line"] != 2 {
		t.Errorf("a line without =: %v", bad)
	}
	if _, bad := parseCategoryMap("Старое = old", active); bad.Code != "error.import_map_category" {
		t.Errorf("an inactive category: %v", bad)
	}
}
