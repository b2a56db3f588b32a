package cityconsole

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// MaxImport bounds an uploaded buildings CSV (the API's own limit).
const MaxImport = 32 << 20

type buildingsData struct {
	Items     []core.Building
	Districts []core.District
	Next      *int64
	Query     string
	District  string
	Report    *core.ImportReport
	Refused   int // rows left out for their errors
}

func (cs *Console) buildingsData(c *gin.Context, q core.BuildingQuery) (*buildingsData, error) {
	k := callOf(c)
	dir := cs.directory(k)
	bs, err := dir.Buildings(k.ctx, k.actor, q)
	if err != nil {
		return nil, err
	}
	ds, err := dir.Districts().List(k.ctx, k.actor, true)
	if err = optional(err); err != nil {
		return nil, err
	}
	return &buildingsData{Items: bs.Items, Next: bs.Next, Districts: ds, Query: q.Text, District: q.District}, nil
}

// buildings is the searchable registry (by address words or registry id,
// by district), 50 a page, with the import form.
func (cs *Console) buildings(c *gin.Context) {
	p := cs.page(c, "buildings_title", "buildings")
	q := core.BuildingQuery{Text: c.Query("q"), District: c.Query("district")}
	if after := c.Query("after"); after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			cs.views.Fail(c, "buildings.html", p, &core.Error{Code: core.EINVALID, Message: "error.invalid_fields",
				Fields: core.FieldErrors{"after": core.M("error.building_id")}})
			return
		}
		q.AfterID = n
	}
	d, err := cs.buildingsData(c, q)
	if err != nil {
		cs.views.Fail(c, "buildings.html", p, err)
		return
	}
	p.Data = d
	cs.views.Render(c, http.StatusOK, "buildings.html", p)
}

// importBuildings takes the uploaded CSV, imports it through the API (new
// buildings added, changed ones updated, bad rows left out) and shows the
// report with every refused row and why.
func (cs *Console) importBuildings(c *gin.Context) {
	p := cs.page(c, "import_title", "buildings")
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxImport)
	var data []byte
	fh, err := c.FormFile("file")
	if err == nil {
		var f interface {
			io.Reader
			Close() error
		}
		if f, err = fh.Open(); err == nil {
			data, err = io.ReadAll(f)
			f.Close()
		}
	}
	if err != nil || len(data) == 0 {
		p.Errors = core.FieldErrors{"file": core.M("error.csv_choose")}
		d, derr := cs.buildingsData(c, core.BuildingQuery{})
		if derr != nil {
			cs.views.Fail(c, "buildings.html", p, derr)
			return
		}
		p.Data = d
		cs.views.Render(c, http.StatusUnprocessableEntity, "buildings.html", p)
		return
	}
	k := callOf(c)
	rep, err := cs.directory(k).ImportBuildings(k.ctx, k.actor, bytes.NewReader(data))
	if err != nil {
		d, derr := cs.buildingsData(c, core.BuildingQuery{})
		if derr != nil {
			cs.views.Fail(c, "buildings.html", p, derr)
			return
		}
		p.Data = d
		cs.views.Fail(c, "buildings.html", p, err)
		return
	}
	p.Data = &buildingsData{Report: rep, Refused: len(rowsWithErrors(rep.Errors))}
	cs.views.Render(c, http.StatusOK, "import.html", p)
}

func rowsWithErrors(es []core.RowError) map[int]bool {
	m := map[int]bool{}
	for _, e := range es {
		m[e.Row] = true
	}
	return m
}

func itoa(n int) string { return strconv.Itoa(n) }
