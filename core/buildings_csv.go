package core

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/opencity/opencity/core/i18n"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/charmap"
)

// BuildingColumns are the columns of the buildings CSV, in export order.
var BuildingColumns = []string{"registry_id", "address_ru", "address_en", "district", "management_company", "apartments", "lat", "lon"}

// RowError is one problem of one CSV row; Row counts from 1 for the header.
// Msg is the problem; Message is its text, filled in the reader's language
// by the adapter that shows the report (RenderRowErrors).
type RowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Msg     Msg    `json:"-"`
	Message string `json:"message"`
}

// RenderRowErrors fills the Message of each row error in lang.
func RenderRowErrors(es []RowError, lang string) {
	for i := range es {
		es[i].Message = es[i].Msg.Text(lang)
	}
}

// BuildingRow is a parsed CSV row with its line number.
type BuildingRow struct {
	Row      int
	Building Building
}

// MaxImportRows bounds one import.
const MaxImportRows = 100000

// ParseBuildingsCSV reads a buildings file: a CSV, comma or semicolon
// separated (as spreadsheets in Russia write it), in UTF-8 with or without
// a BOM or in Windows-1251 (what Russian Excel saves as "CSV"), or an XLSX
// workbook, whose first sheet is read as the rows. The header names
// BuildingColumns in any order, by code or by its header in any language
// of the catalog. Rows that fail validation are reported and left out;
// the rest are returned. Districts and management companies may be
// written by code or by name: the store resolves them.
func ParseBuildingsCSV(r io.Reader) ([]BuildingRow, []RowError, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, nil, err
	}
	var read func() ([]string, error)
	if IsXLSX(data) {
		if read, err = xlsxRows(data); err != nil {
			return nil, nil, err
		}
	} else {
		data = DecodeText(data)
		first, _, _ := bytes.Cut(data, []byte("\n"))
		cr := csv.NewReader(bytes.NewReader(data))
		if bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
			cr.Comma = ';'
		}
		cr.FieldsPerRecord = -1
		read = cr.Read
	}
	header, err := read()
	if err != nil {
		return nil, nil, &Error{Code: EINVALID, Message: "error.csv_no_header", Fields: FieldErrors{"file": M("error.csv_add_header", "Columns", strings.Join(BuildingColumns, ","))}}
	}
	col := map[string]int{}
	for i, h := range header {
		h = buildingColumn(h)
		if !oneOf(h, BuildingColumns) {
			return nil, nil, &Error{Code: EINVALID, Message: "error.csv_unknown_column", Args: map[string]any{"Column": h},
				Fields: FieldErrors{"file": M("error.csv_columns", "Columns", strings.Join(BuildingColumns, ", "))}}
		}
		col[h] = i
	}
	for _, need := range []string{"registry_id", "address_ru", "district"} {
		if _, ok := col[need]; !ok {
			return nil, nil, &Error{Code: EINVALID, Message: "error.csv_missing_column", Args: map[string]any{"Column": need},
				Fields: FieldErrors{"file": M("error.csv_header_must_name", "Column", need)}}
		}
	}
	var rows []BuildingRow
	var bad []RowError
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				bad = append(bad, RowError{Row: line, Field: "row", Msg: M("error.csv_row_unreadable", "Reason", pe.Err.Error())})
				continue
			}
			return nil, nil, err
		}
		if len(rows)+len(bad) >= MaxImportRows {
			return nil, nil, E(EINVALID, "error.csv_max_rows", "Max", MaxImportRows)
		}
		get := func(name string) string {
			if i, ok := col[name]; ok && i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		b := Building{RegistryID: get("registry_id"), AddressRU: get("address_ru"), AddressEN: get("address_en"),
			District: get("district"), ManagementCompany: get("management_company")}
		f := FieldErrors{}
		num := func(name string) *float64 {
			s := get(name)
			if s == "" {
				return nil // unknown, not 0
			}
			v, err := strconv.ParseFloat(strings.ReplaceAll(s, ",", "."), 64)
			if err != nil {
				f.Add(name, "error.value_not_number", "Value", s)
			}
			return &v
		}
		var apts float64
		if n := num("apartments"); n != nil {
			apts = *n
		}
		if apts != float64(int(apts)) {
			f.Add("apartments", "error.not_integer")
		}
		b.Apartments = int(apts)
		b.Lat, b.Lon = num("lat"), num("lon")
		if err := b.Validate(); err != nil {
			var e *Error
			if errors.As(err, &e) {
				for k, v := range e.Fields {
					f.AddMsg(k, v)
				}
			}
		}
		if prev, dup := seen[b.RegistryID]; dup && b.RegistryID != "" {
			f.Add("registry_id", "error.repeats_row", "Row", prev)
		}
		if len(f) > 0 {
			for _, k := range sortedKeys(f) {
				bad = append(bad, RowError{Row: line, Field: k, Msg: f[k]})
			}
			continue
		}
		seen[b.RegistryID] = line
		rows = append(rows, BuildingRow{Row: line, Building: b})
	}
	return rows, bad, nil
}

func sortedKeys(m FieldErrors) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// DecodeText returns a text file as UTF-8: without its BOM when it has
// one; read as Windows-1251 when it is not valid UTF-8 (a file saved by
// Russian Excel or 1C, where every byte is a character).
func DecodeText(data []byte) []byte {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if utf8.Valid(data) {
		return data
	}
	out, err := charmap.Windows1251.NewDecoder().Bytes(data)
	if err != nil { // Windows-1251 maps every byte; kept for the decoder's contract
		return data
	}
	return out
}

// IsXLSX reports whether data is an Office Open XML workbook (a ZIP
// archive: it starts with PK\x03\x04).
func IsXLSX(data []byte) bool { return bytes.HasPrefix(data, []byte("PK\x03\x04")) }

// MediaTypeXLSX is the media type of an XLSX workbook.
const MediaTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxRows returns a reader of the rows of the workbook's first sheet, as
// stored (not as formatted: a coordinate keeps its digits); io.EOF after
// the last.
func xlsxRows(data []byte) (func() ([]string, error), error) {
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return nil, &Error{Code: EINVALID, Message: "error.xlsx_unreadable", Fields: FieldErrors{"file": M("error.xlsx_unreadable")}}
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, &Error{Code: EINVALID, Message: "error.xlsx_unreadable", Fields: FieldErrors{"file": M("error.xlsx_unreadable")}}
	}
	rows, err := f.GetRows(sheets[0], excelize.Options{RawCellValue: true})
	if err != nil {
		return nil, &Error{Code: EINVALID, Message: "error.xlsx_unreadable", Fields: FieldErrors{"file": M("error.xlsx_unreadable")}}
	}
	next := 0
	return func() ([]string, error) {
		if next >= len(rows) {
			return nil, io.EOF
		}
		next++
		return rows[next-1], nil
	}, nil
}

// FoldName is how a registry's file names a district or an organization
// when it gives no code: case, ё and е, quotes («», „“, "") and spacing do
// not matter, nor the word "район" (district) around a district's name,
// nor a company's legal form (ООО, АО, МУП …).
func FoldName(s string) string {
	s = strings.ToLower(strings.NewReplacer("ё", "е", "«", " ", "»", " ", "\"", " ", "“", " ", "”", " ", "„", " ").Replace(s))
	var words []string
	for _, w := range strings.Fields(s) {
		if !foldDropped[w] {
			words = append(words, w)
		}
	}
	return strings.Join(words, " ")
}

// foldDropped are the words FoldName leaves out.
var foldDropped = map[string]bool{"район": true, "р-н": true, "district": true, "ооо": true, "оао": true, "зао": true,
	"пао": true, "ао": true, "муп": true, "гуп": true, "мку": true, "llc": true, "jsc": true}

// buildingColumn is the column a header names: its code (registry_id …)
// or its header in any language of the catalog (csv.building.*).
func buildingColumn(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	for _, c := range BuildingColumns {
		for _, lang := range i18n.Languages {
			if h == strings.ToLower(i18n.Text(lang, "csv.building."+c, nil)) {
				return c
			}
		}
	}
	return h
}

// CSVComma is the separator of a CSV file for a reader: the one Excel
// expects in the reader's language (';' where the decimal sign is a
// comma, as in Russian; ',' in English), unless sep names another
// ("comma", "semicolon", "tab").
func CSVComma(lang, sep string) rune {
	switch sep {
	case "comma":
		return ','
	case "semicolon":
		return ';'
	case "tab":
		return '\t'
	}
	if lang == "ru" {
		return ';'
	}
	return ','
}

// WriteBuildingsCSV writes buildings in the import format for a reader of
// lang, as Excel opens it directly: UTF-8 with a BOM, headers in lang,
// the separator comma and, in Russian, decimal commas.
func WriteBuildingsCSV(w io.Writer, bs []Building, lang string, comma rune) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = comma
	header := make([]string, len(BuildingColumns))
	for i, c := range BuildingColumns {
		header[i] = i18n.Text(lang, "csv.building."+c, nil)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	coord := func(v *float64) string {
		if v == nil {
			return ""
		}
		s := strconv.FormatFloat(*v, 'f', -1, 64)
		if lang == "ru" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	for _, b := range bs {
		err := cw.Write([]string{b.RegistryID, b.AddressRU, b.AddressEN, b.District, b.ManagementCompany,
			strconv.Itoa(b.Apartments), coord(b.Lat), coord(b.Lon)})
		if err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// ImportReport is the outcome of a buildings import.
type ImportReport struct {
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Errors    []RowError `json:"errors"`
}
