package cityconsole

import (
	"bytes"
	"io"
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
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
	cs.showBuildings(c, p, q, http.StatusOK, nil)
}

// showBuildings renders the registry found by q with status, or, when
// refused is not nil, with the page's message and status for it.
func (cs *Console) showBuildings(c *gin.Context, p *web.Page, q core.BuildingQuery, status int, refused error) {
	d, err := cs.buildingsData(c, q)
	if err != nil {
		cs.views.Fail(c, "buildings.html", p, err)
		return
	}
	p.Data = d
	if refused != nil {
		cs.views.Fail(c, "buildings.html", p, refused)
		return
	}
	cs.views.Render(c, status, "buildings.html", p)
}

// uploadedFile reads the file posted in the form's "file" field.
func uploadedFile(c *gin.Context) ([]byte, error) {
	fh, err := c.FormFile("file")
	if err != nil {
		return nil, err
	}
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// importBuildings takes the uploaded CSV, imports it through the API (new
// buildings added, changed ones updated, bad rows left out) and shows the
// report with every refused row and why.
func (cs *Console) importBuildings(c *gin.Context) {
	p := cs.page(c, "import_title", "buildings")
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxImport)
	data, err := uploadedFile(c)
	if err != nil || len(data) == 0 {
		p.Errors = core.FieldErrors{"file": core.M("error.csv_choose")}
		cs.showBuildings(c, p, core.BuildingQuery{}, http.StatusUnprocessableEntity, nil)
		return
	}
	k := callOf(c)
	rep, err := cs.directory(k).ImportBuildings(k.ctx, k.actor, bytes.NewReader(data))
	if err != nil {
		cs.showBuildings(c, p, core.BuildingQuery{}, 0, err)
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
