package httpapi

import (
	"errors"
	"io"
	"mime"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// codedResource is a directory collection keyed by code, served with the
// same five routes over its core.Coded service.
type codedResource[T any, P interface {
	*T
	Validate() error
	Key() string
}] struct {
	path, obj, what string
	kind            func(d *core.DirectoryAdmin) core.Coded[T, P]
	all             bool // the list takes ?all=true for inactive entries
}

func (r codedResource[T, P]) routes(s func(*City) *core.DirectoryAdmin) []Route {
	one := r.path + "/:code"
	svc := func(c *Call) core.Coded[T, P] { return r.kind(s(c.City)) }
	var query []Param
	if r.all {
		query = []Param{{"all", "boolean", "inactive ones too (staff)"}}
	}
	return []Route{
		endpoint(Route{Method: "GET", Path: r.path, Obj: r.obj, Act: core.ActRead, Summary: "List " + r.what + "s", Status: 200, Query: query},
			func(c *Call, _ none) (listOf[T], error) {
				xs, err := svc(c).List(c.Ctx, c.Actor, c.Query("all") == "true")
				return itemsOf(xs), err
			}),
		endpoint(Route{Method: "POST", Path: r.path, Obj: r.obj, Act: core.ActCreate, Summary: "Add a " + r.what, Status: 201},
			func(c *Call, in T) (*T, error) { return svc(c).Save(c.Ctx, c.Actor, "", &in) }),
		endpoint(Route{Method: "GET", Path: one, Obj: r.obj, Act: core.ActRead, Summary: "One " + r.what, Status: 200},
			func(c *Call, _ none) (*T, error) { return svc(c).Get(c.Ctx, c.Actor, c.Param("code")) }),
		endpoint(Route{Method: "PUT", Path: one, Obj: r.obj, Act: core.ActUpdate, Summary: "Change a " + r.what, Status: 200},
			func(c *Call, in T) (*T, error) { return svc(c).Save(c.Ctx, c.Actor, c.Param("code"), &in) }),
		endpoint(Route{Method: "DELETE", Path: one, Obj: r.obj, Act: core.ActDelete, Summary: "Delete a " + r.what + " nothing refers to", Status: 204},
			func(c *Call, _ none) (none, error) { return none{}, svc(c).Delete(c.Ctx, c.Actor, c.Param("code")) }),
	}
}

func (a *API) directoryRoutes() []Route {
	s := func(city *City) *core.DirectoryAdmin { return a.Services().Directory(city) }
	var rs []Route
	rs = append(rs, codedResource[core.District, *core.District]{path: "/districts", obj: core.ObjDistricts, what: "district",
		kind: (*core.DirectoryAdmin).Districts}.routes(s)...)
	rs = append(rs, codedResource[core.CategoryGroup, *core.CategoryGroup]{path: "/category-groups", obj: core.ObjCategories, what: "category group",
		kind: (*core.DirectoryAdmin).CategoryGroups}.routes(s)...)
	rs = append(rs, codedResource[core.Category, *core.Category]{path: "/categories", obj: core.ObjCategories, what: "category",
		kind: (*core.DirectoryAdmin).Categories, all: true}.routes(s)...)
	rs = append(rs, codedResource[core.Organization, *core.Organization]{path: "/organizations", obj: core.ObjOrganizations, what: "organization",
		kind: (*core.DirectoryAdmin).Organizations}.routes(s)...)
	return append(rs, a.buildingRoutes(s)...)
}

func (a *API) buildingRoutes(s func(*City) *core.DirectoryAdmin) []Route {
	const o = core.ObjBuildings
	return []Route{
		endpoint(Route{Method: "GET", Path: "/buildings", Obj: o, Act: core.ActRead, Summary: "Search the buildings registry", Status: 200, Query: []Param{
			{"q", "string", "words of the address or the registry id"}, {"district", "string", "district code"},
			{"limit", "integer", "page size, 1 to 500 (50)"}, {"after", "integer", "the last id of the previous page"}}},
			func(c *Call, _ none) (*core.BuildingPage, error) {
				f := core.FieldErrors{}
				q := core.BuildingQuery{Text: c.Query("q"), District: c.Query("district"),
					Limit:   intParam(c.Context, f, "limit", core.DefaultBuildingPage, 1, core.MaxBuildingPage),
					AfterID: int64(intParam(c.Context, f, "after", 0, 0, 1<<31-1))}
				if err := f.Err(); err != nil {
					return nil, err
				}
				return s(c.City).Buildings(c.Ctx, c.Actor, q)
			}),
		endpoint(Route{Method: "POST", Path: "/buildings", Obj: o, Act: core.ActCreate, Summary: "Add a building", Status: 201},
			func(c *Call, in core.Building) (*core.Building, error) {
				return s(c.City).SaveBuilding(c.Ctx, c.Actor, 0, &in)
			}),
		{Method: "GET", Path: "/buildings/export", Obj: o, Act: core.ActRead, Summary: "The registry as CSV for Excel in the reader's language (UTF-8 with a BOM; ';' and decimal commas in Russian)",
			Status: 200, Produces: []string{"text/csv"}, Query: []Param{{"sep", "string", "comma, semicolon or tab instead of the language's separator"}},
			Handler: a.exportBuildings},
		{Method: "POST", Path: "/buildings/import", Obj: o, Act: core.ActImport,
			Summary: "Import a CSV (UTF-8 or Windows-1251, comma or semicolon) or an XLSX workbook (its first sheet), as the body or the multipart field file: new buildings added, changed ones updated by registry id, bad rows reported; districts and management companies by code or name",
			Upload:  &Upload{File: "file", Raw: []string{"text/csv", "text/plain", "application/csv", core.MediaTypeXLSX}},
			Out:     core.ImportReport{}, Status: 200, Handler: a.importBuildings},
		endpoint(Route{Method: "GET", Path: "/buildings/:id", Obj: o, Act: core.ActRead, Summary: "One building", Status: 200},
			func(c *Call, _ none) (*core.Building, error) {
				id, err := pathID(c, "id", "building")
				if err != nil {
					return nil, err
				}
				return s(c.City).Building(c.Ctx, c.Actor, id)
			}),
		endpoint(Route{Method: "PUT", Path: "/buildings/:id", Obj: o, Act: core.ActUpdate, Summary: "Change a building", Status: 200},
			func(c *Call, in core.Building) (*core.Building, error) {
				id, err := pathID(c, "id", "building")
				if err != nil {
					return nil, err
				}
				return s(c.City).SaveBuilding(c.Ctx, c.Actor, id, &in)
			}),
		endpoint(Route{Method: "DELETE", Path: "/buildings/:id", Obj: o, Act: core.ActDelete, Summary: "Delete a building no request refers to", Status: 204},
			func(c *Call, _ none) (none, error) {
				id, err := pathID(c, "id", "building")
				if err == nil {
					err = s(c.City).DeleteBuilding(c.Ctx, c.Actor, id)
				}
				return none{}, err
			}),
	}
}

// MaxImport bounds an uploaded CSV.
const MaxImport = 32 << 20

// importBuildings takes the CSV as a text/csv body or the multipart field
// file.
func (a *API) importBuildings(c *gin.Context) {
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxImport)
	var body io.Reader = c.Request.Body
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mt {
	case "multipart/form-data":
		fh, err := c.FormFile("file")
		if err != nil {
			WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "error.no_file", Fields: core.FieldErrors{"file": core.M("error.csv_field")}})
			return
		}
		f, err := fh.Open()
		if err != nil {
			WriteProblem(c, err)
			return
		}
		defer f.Close()
		body = f
	case "text/csv", "text/plain", "application/csv", core.MediaTypeXLSX:
	default:
		WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "error.send_csv",
			Fields: core.FieldErrors{"Content-Type": core.M("error.csv_type")}})
		return
	}
	rep, err := a.Services().Directory(CityFromContext(ctx)).ImportBuildings(ctx, ActorFromContext(ctx), body)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = &core.Error{Code: core.EINVALID, Message: "error.file_too_large", Fields: core.FieldErrors{"file": core.M("error.max_32mb")}}
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	core.RenderRowErrors(rep.Errors, Lang(c))
	c.JSON(http.StatusOK, rep)
}

func (a *API) exportBuildings(c *gin.Context) {
	ctx := c.Request.Context()
	city := CityFromContext(ctx)
	lang := Lang(c)
	err := a.Services().Directory(city).ExportBuildings(ctx, ActorFromContext(ctx), lang, core.CSVComma(lang, c.Query("sep")), func() io.Writer {
		c.Header("Content-Type", "text/csv; charset=utf-8")
		c.Header("Content-Disposition", `attachment; filename="buildings-`+city.Slug+`.csv"`)
		c.Status(http.StatusOK)
		return c.Writer
	})
	if err != nil && !c.Writer.Written() {
		WriteProblem(c, err)
	} else if err != nil {
		_ = c.Error(err)
	}
}
