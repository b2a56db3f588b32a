package cityconsole

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// importsData is the import page: the connectors, the one being edited
// (0 for a new one) with its run log, the categories to choose from, and
// the status callback's secret right after it was set up.
type importsData struct {
	Connectors []core.ImportConnector
	Current    *core.ImportConnector
	Runs       []core.ImportRun
	Run        *core.ImportRun // the run just made
	Fields     []string
	Categories []core.Category
	NewSecret  string
}

// imports shows the connectors and the form of a new one.
func (cs *Console) imports(c *gin.Context) {
	cs.showImports(c, cs.page(c, "imports_title", "imports"), http.StatusOK, 0, &importsData{})
}

// editImport shows a connector's form, run log, upload and "Run now".
func (cs *Console) editImport(c *gin.Context) {
	p := cs.page(c, "imports_title", "imports")
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		cs.views.Fail(c, "imports.html", p, core.NotFound("import_connector"))
		return
	}
	cs.showImports(c, p, http.StatusOK, id, &importsData{})
}

// showImports fills d and renders the page; the form shows the
// connector's stored values unless p already holds what was typed.
func (cs *Console) showImports(c *gin.Context, p *web.Page, status int, id int64, d *importsData) {
	k := callOf(c)
	im := cs.svc.Imports(k.city)
	var err error
	if d.Connectors, err = im.List(k.ctx, k.actor); err != nil {
		cs.views.Fail(c, "imports.html", p, err)
		return
	}
	if id != 0 {
		if d.Current, d.Runs, err = im.Get(k.ctx, k.actor, id, 30); err != nil {
			cs.views.Fail(c, "imports.html", p, err)
			return
		}
		if p.Form == nil {
			p.Form = connectorForm(d.Current)
		}
	}
	cats, err := cs.directory(k).Categories().List(k.ctx, k.actor, false)
	if err != nil {
		cs.views.Fail(c, "imports.html", p, err)
		return
	}
	for _, cat := range cats {
		if cat.Active {
			d.Categories = append(d.Categories, cat)
		}
	}
	d.Fields = core.ImportMappingFields
	p.Data = d
	cs.views.Render(c, status, "imports.html", p)
}

// connectorForm is a connector's stored values as form fields.
func connectorForm(ic *core.ImportConnector) url.Values {
	f := url.Values{"code": {ic.Code}, "name": {ic.Name}, "feed_url": {ic.FeedURL}, "format": {ic.Format},
		"category_map": {ic.CategoryMap}, "default_category": {ic.DefaultCategory}, "callback_url": {ic.CallbackURL}}
	if ic.EveryMinutes > 0 {
		f.Set("every_minutes", strconv.Itoa(ic.EveryMinutes))
	}
	for _, name := range core.ImportMappingFields {
		f.Set("mapping."+name, ic.Mapping.Path(name))
	}
	return f
}

// saveImport creates (no id) or changes a connector.
func (cs *Console) saveImport(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "imports_title", "imports")
	p.Form = f.Values
	k := callOf(c)
	var id int64
	if c.Param("id") != "" {
		var err error
		if id, err = strconv.ParseInt(c.Param("id"), 10, 64); err != nil {
			cs.views.Fail(c, "imports.html", p, core.NotFound("import_connector"))
			return
		}
	}
	in := core.ConnectorInput{Code: f.String("code"), Name: f.String("name"), FeedURL: f.String("feed_url"),
		Format: f.String("format"), EveryMinutes: f.String("every_minutes"), CategoryMap: f.String("category_map"),
		DefaultCategory: f.String("default_category"), CallbackURL: f.String("callback_url")}
	for _, name := range core.ImportMappingFields {
		*in.Mapping.Field(name) = f.String("mapping." + name)
	}
	ic, secret, err := cs.svc.Imports(k.city).Save(k.ctx, k.actor, id, in)
	if err != nil {
		cs.importRefused(c, p, id, err)
		return
	}
	if secret == "" {
		c.Redirect(http.StatusSeeOther, base(c)+"/imports/"+strconv.FormatInt(ic.ID, 10)+"?ok=saved")
		return
	}
	p.Form = nil
	cs.showImports(c, p, http.StatusCreated, ic.ID, &importsData{NewSecret: secret})
}

// runImport pulls a connector's feed now and shows the run.
func (cs *Console) runImport(c *gin.Context) {
	cs.importRun(c, func(k call, id int64) (*core.ImportRun, error) {
		return cs.svc.Imports(k.city).RunNow(k.ctx, k.actor, id)
	})
}

// uploadImport imports an uploaded JSON or CSV batch and shows the run.
func (cs *Console) uploadImport(c *gin.Context) {
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxImport)
	cs.importRun(c, func(k call, id int64) (*core.ImportRun, error) {
		data, err := uploadedFile(c)
		if err != nil {
			data = nil
		}
		return cs.svc.Imports(k.city).Upload(k.ctx, k.actor, id, data)
	})
}

func (cs *Console) importRun(c *gin.Context, run func(k call, id int64) (*core.ImportRun, error)) {
	p := cs.page(c, "imports_title", "imports")
	k := callOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		cs.views.Fail(c, "imports.html", p, core.NotFound("import_connector"))
		return
	}
	r, err := run(k, id)
	if err != nil {
		cs.importRefused(c, p, id, err)
		return
	}
	cs.showImports(c, p, http.StatusOK, id, &importsData{Run: r})
}

// importRefused answers a refused save or run: the page with its message
// beside the connector, or the error page when there is no connector to
// show (not found, forbidden, a fault).
func (cs *Console) importRefused(c *gin.Context, p *web.Page, id int64, err error) {
	status := p.SetError(c, err)
	if status == http.StatusNotFound || status == http.StatusForbidden || status == http.StatusInternalServerError {
		cs.views.Fail(c, "imports.html", p, err)
		return
	}
	cs.showImports(c, p, status, id, &importsData{})
}
