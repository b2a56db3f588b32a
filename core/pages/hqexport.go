package pages

import (
	"encoding/csv"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
	"github.com/xuri/excelize/v2"
)

// hqExport sends an HQ table as the file the query's format names: XLSX
// (numbers as numbers, dates as dates, durations as [h]:mm) or CSV that
// Excel opens directly (UTF-8 with a BOM; ';' and a decimal comma for a
// Russian reader, ',' and a decimal point for an English one; sep=comma,
// semicolon or tab chooses otherwise). Headers are in the reader's
// language.
func (p *Pages) hqExport(c *gin.Context, pg *web.Page, ct *httpapi.City, t *hqTable) {
	name := t.Name + "-" + p.api.Now().In(ct.Location).Format("2006-01-02")
	c.Header("Cache-Control", "no-store")
	if c.Query("format") == "xlsx" {
		c.Header("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		c.Header("Content-Disposition", `attachment; filename="`+name+`.xlsx"`)
		c.Status(http.StatusOK)
		if err := writeXLSX(c.Writer, pg, ct.Location, t); err != nil {
			_ = c.Error(err)
		}
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="`+name+`.csv"`)
	c.Status(http.StatusOK)
	if err := writeCSV(c.Writer, pg.Lang, headers(pg, t), ct.Location, t, core.CSVComma(pg.Lang, c.Query("sep"))); err != nil {
		_ = c.Error(err)
	}
}

// wall is t's wall clock in loc as a UTC time: spreadsheets keep no zone.
func wall(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), l.Minute(), l.Second(), 0, time.UTC)
}

// writeXLSX writes t as a one-sheet workbook.
func writeXLSX(w io.Writer, pg *web.Page, loc *time.Location, t *hqTable) error {
	return writeWorkbook(w, pg, loc, t)
}

// writeWorkbook writes tables as one workbook, a sheet per table in their
// order, named by their titles.
func writeWorkbook(w io.Writer, pg *web.Page, loc *time.Location, tables ...*hqTable) error {
	f := excelize.NewFile()
	defer f.Close()
	used := map[string]bool{}
	for i, t := range tables {
		sheet := sheetName(t.Title)
		for n := 2; used[sheet]; n++ {
			sheet = sheetName(fmt.Sprintf("%s %d", string([]rune(t.Title)[:min(27, len([]rune(t.Title)))]), n))
		}
		used[sheet] = true
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		if err := writeSheet(f, sheet, pg, loc, t); err != nil {
			return err
		}
	}
	return f.Write(w)
}

// writeSheet writes t into the sheet of f: bold headers in the reader's
// language, then a row per row of t.
func writeSheet(f *excelize.File, sheet string, pg *web.Page, loc *time.Location, t *hqTable) error {
	dateFmt, timeFmt := "dd.mm.yyyy", "dd.mm.yyyy hh:mm"
	if pg.Lang == "en" {
		dateFmt, timeFmt = "yyyy-mm-dd", "yyyy-mm-dd hh:mm"
	}
	style := func(s *excelize.Style) int {
		id, err := f.NewStyle(s)
		if err != nil {
			panic(err) // the styles below are constants
		}
		return id
	}
	custom := func(code string) int { return style(&excelize.Style{CustomNumFmt: &code}) }
	styles := map[cellKind]int{
		cellCount:    style(&excelize.Style{NumFmt: 1}),
		cellDecimal:  style(&excelize.Style{NumFmt: 2}),
		cellShare:    custom("0.0%"),
		cellDuration: custom("[h]:mm"),
		cellDate:     custom(dateFmt),
		cellTime:     custom(timeFmt),
	}
	header := style(&excelize.Style{Font: &excelize.Font{Bold: true}})
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	widths := make([]float64, len(t.Columns))
	head := make([]any, len(t.Columns))
	for i := range t.Columns {
		h := t.header(pg, i)
		head[i] = excelize.Cell{StyleID: header, Value: h}
		widths[i] = max(10, float64(len([]rune(h)))+2)
	}
	for i := range widths {
		for _, r := range t.Rows {
			if r[i].Kind == cellText {
				widths[i] = min(60, max(widths[i], float64(len([]rune(r[i].Text)))+2))
			}
		}
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	if err := sw.SetRow("A1", head, excelize.RowOpts{}); err != nil {
		return err
	}
	for n, r := range t.Rows {
		row := make([]any, len(r))
		for i, c := range r {
			switch {
			case c.Blank:
				row[i] = nil
			case c.Kind == cellText:
				row[i] = c.Text
			case c.Kind == cellDuration:
				row[i] = excelize.Cell{StyleID: styles[c.Kind], Value: c.Num / 86400}
			case c.Kind == cellDate:
				row[i] = excelize.Cell{StyleID: styles[c.Kind], Value: c.At}
			case c.Kind == cellTime:
				row[i] = excelize.Cell{StyleID: styles[c.Kind], Value: wall(c.At, loc)}
			default:
				row[i] = excelize.Cell{StyleID: styles[c.Kind], Value: c.Num}
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, n+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	return sw.Flush()
}

// sheetName fits a title to a sheet's name: at most 31 characters, none of
// []:*?/\.
func sheetName(title string) string {
	title = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return ' '
		}
		return r
	}, title)
	if rs := []rune(strings.TrimSpace(title)); len(rs) > 31 {
		title = string(rs[:31])
	}
	if strings.TrimSpace(title) == "" {
		return "HQ"
	}
	return strings.TrimSpace(title)
}

// headers are t's column headers in the page's language.
func headers(pg *web.Page, t *hqTable) []string {
	head := make([]string, len(t.Columns))
	for i := range t.Columns {
		head[i] = t.header(pg, i)
	}
	return head
}

// writeCSV writes t with its headers for Excel in the reader's language
// lang: UTF-8 with a BOM, decimal commas and dd.mm.yyyy dates in Russian,
// durations as h:mm, text cells safe from running as formulas.
func writeCSV(w io.Writer, lang string, head []string, loc *time.Location, t *hqTable, comma rune) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	cw.Comma = comma
	if err := cw.Write(head); err != nil {
		return err
	}
	dateFmt, timeFmt := "02.01.2006", "02.01.2006 15:04"
	if lang == "en" {
		dateFmt, timeFmt = "2006-01-02", "2006-01-02 15:04"
	}
	num := func(v float64, prec int) string {
		s := strconv.FormatFloat(v, 'f', prec, 64)
		if lang == "ru" {
			s = strings.Replace(s, ".", ",", 1)
		}
		return s
	}
	for _, r := range t.Rows {
		rec := make([]string, len(r))
		for i, c := range r {
			switch {
			case c.Blank:
			case c.Kind == cellText:
				rec[i] = csvSafe(c.Text)
			case c.Kind == cellCount:
				rec[i] = num(c.Num, 0)
			case c.Kind == cellDecimal:
				rec[i] = num(c.Num, 2)
			case c.Kind == cellShare:
				rec[i] = num(c.Num*100, 1) + "%"
			case c.Kind == cellDuration:
				m := int64(c.Num+30) / 60
				rec[i] = fmt.Sprintf("%d:%02d", m/60, m%60)
			case c.Kind == cellDate:
				rec[i] = c.At.Format(dateFmt)
			case c.Kind == cellTime:
				rec[i] = c.At.In(loc).Format(timeFmt)
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
