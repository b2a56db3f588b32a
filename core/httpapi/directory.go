package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

type directoryStore interface {
	Districts(ctx context.Context) ([]core.District, error)
	District(ctx context.Context, code string) (*core.District, error)
	SaveDistrict(ctx context.Context, code string, d *core.District) error
	DeleteDistrict(ctx context.Context, code string) error
	CategoryGroups(ctx context.Context) ([]core.CategoryGroup, error)
	CategoryGroup(ctx context.Context, code string) (*core.CategoryGroup, error)
	SaveCategoryGroup(ctx context.Context, code string, g *core.CategoryGroup) error
	DeleteCategoryGroup(ctx context.Context, code string) error
	Category(ctx context.Context, code string) (*core.Category, error)
	SaveCategory(ctx context.Context, code string, c *core.Category) error
	DeleteCategory(ctx context.Context, code string) error
	Organizations(ctx context.Context) ([]core.Organization, error)
	Organization(ctx context.Context, code string) (*core.Organization, error)
	SaveOrganization(ctx context.Context, code string, o *core.Organization) error
	DeleteOrganization(ctx context.Context, code string) error
	Buildings(ctx context.Context, q core.BuildingQuery) ([]core.Building, error)
	Building(ctx context.Context, id int64) (*core.Building, error)
	SaveBuilding(ctx context.Context, id int64, b *core.Building) error
	DeleteBuilding(ctx context.Context, id int64) error
	ImportBuildings(ctx context.Context, rows []core.BuildingRow) (*core.ImportReport, error)
	AllBuildings(ctx context.Context) ([]core.Building, error)
}

// entity is a directory type that validates itself.
type entity[T any] interface {
	*T
	Validate() error
	Key() string
}

// codedResource is a directory collection keyed by code, served with the
// same five routes.
type codedResource[T any, P entity[T]] struct {
	path, obj, what string
	list            func(ctx context.Context, st CityStore, c *gin.Context) ([]T, error)
	get             func(ctx context.Context, st CityStore, code string) (*T, error)
	save            func(ctx context.Context, st CityStore, code string, v *T) error
	del             func(ctx context.Context, st CityStore, code string) error
}

type listOf[T any] struct {
	Items []T `json:"items"`
}

func (r codedResource[T, P]) routes() []Route {
	var zero T
	one := r.path + "/:code"
	return []Route{
		{Method: "GET", Path: r.path, Obj: r.obj, Act: core.ActRead, Summary: "List " + r.what + "s", Out: listOf[T]{}, Status: 200, Handler: r.handleList},
		{Method: "POST", Path: r.path, Obj: r.obj, Act: core.ActCreate, Summary: "Add a " + r.what, In: zero, Out: zero, Status: 201, Handler: r.handleSave(true)},
		{Method: "GET", Path: one, Obj: r.obj, Act: core.ActRead, Summary: "One " + r.what, Out: zero, Status: 200, Handler: r.handleGet},
		{Method: "PUT", Path: one, Obj: r.obj, Act: core.ActUpdate, Summary: "Change a " + r.what, In: zero, Out: zero, Status: 200, Handler: r.handleSave(false)},
		{Method: "DELETE", Path: one, Obj: r.obj, Act: core.ActDelete, Summary: "Delete a " + r.what + " nothing refers to", Status: 204, Handler: r.handleDelete},
	}
}

func (r codedResource[T, P]) handleList(c *gin.Context) {
	ctx := c.Request.Context()
	items, err := r.list(ctx, CityFromContext(ctx).Store, c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	if items == nil {
		items = []T{}
	}
	c.JSON(http.StatusOK, listOf[T]{Items: items})
}

func (r codedResource[T, P]) handleGet(c *gin.Context) {
	ctx := c.Request.Context()
	v, err := r.get(ctx, CityFromContext(ctx).Store, c.Param("code"))
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, v)
}

func (r codedResource[T, P]) handleSave(create bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		st := CityFromContext(ctx).Store
		v := P(new(T))
		if err := decodeJSON(c, v); err != nil {
			WriteProblem(c, err)
			return
		}
		if err := v.Validate(); err != nil {
			WriteProblem(c, err)
			return
		}
		code, status := c.Param("code"), http.StatusOK
		if create {
			code, status = "", http.StatusCreated
		}
		if err := r.save(ctx, st, code, (*T)(v)); err != nil {
			WriteProblem(c, err)
			return
		}
		if code == "" {
			code = v.Key()
		}
		saved, err := r.get(ctx, st, code)
		if err != nil {
			WriteProblem(c, err)
			return
		}
		c.JSON(status, saved)
	}
}

func (r codedResource[T, P]) handleDelete(c *gin.Context) {
	ctx := c.Request.Context()
	if err := r.del(ctx, CityFromContext(ctx).Store, c.Param("code")); err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

func (a *API) directoryRoutes() []Route {
	var rs []Route
	rs = append(rs, codedResource[core.District, *core.District]{path: "/districts", obj: core.ObjDistricts, what: "district",
		list: func(ctx context.Context, st CityStore, _ *gin.Context) ([]core.District, error) {
			return st.Districts(ctx)
		},
		get: func(ctx context.Context, st CityStore, code string) (*core.District, error) {
			return st.District(ctx, code)
		},
		save: func(ctx context.Context, st CityStore, code string, v *core.District) error {
			return st.SaveDistrict(ctx, code, v)
		},
		del: func(ctx context.Context, st CityStore, code string) error { return st.DeleteDistrict(ctx, code) },
	}.routes()...)
	rs = append(rs, codedResource[core.CategoryGroup, *core.CategoryGroup]{path: "/category-groups", obj: core.ObjCategories, what: "category group",
		list: func(ctx context.Context, st CityStore, _ *gin.Context) ([]core.CategoryGroup, error) {
			return st.CategoryGroups(ctx)
		},
		get: func(ctx context.Context, st CityStore, code string) (*core.CategoryGroup, error) {
			return st.CategoryGroup(ctx, code)
		},
		save: func(ctx context.Context, st CityStore, code string, v *core.CategoryGroup) error {
			return st.SaveCategoryGroup(ctx, code, v)
		},
		del: func(ctx context.Context, st CityStore, code string) error { return st.DeleteCategoryGroup(ctx, code) },
	}.routes()...)
	rs = append(rs, codedResource[core.Category, *core.Category]{path: "/categories", obj: core.ObjCategories, what: "category",
		list: listCategories,
		get: func(ctx context.Context, st CityStore, code string) (*core.Category, error) {
			return st.Category(ctx, code)
		},
		save: func(ctx context.Context, st CityStore, code string, v *core.Category) error {
			return st.SaveCategory(ctx, code, v)
		},
		del: func(ctx context.Context, st CityStore, code string) error { return st.DeleteCategory(ctx, code) },
	}.routes()...)
	rs = append(rs, codedResource[core.Organization, *core.Organization]{path: "/organizations", obj: core.ObjOrganizations, what: "organization",
		list: func(ctx context.Context, st CityStore, _ *gin.Context) ([]core.Organization, error) {
			return st.Organizations(ctx)
		},
		get: func(ctx context.Context, st CityStore, code string) (*core.Organization, error) {
			return st.Organization(ctx, code)
		},
		save: func(ctx context.Context, st CityStore, code string, v *core.Organization) error {
			return st.SaveOrganization(ctx, code, v)
		},
		del: func(ctx context.Context, st CityStore, code string) error { return st.DeleteOrganization(ctx, code) },
	}.routes()...)
	return append(rs, a.buildingRoutes()...)
}

// listCategories lists the categories: citizens see the active ones meant
// for them, staff all active ones, and ?all=true adds inactive ones.
func listCategories(ctx context.Context, st CityStore, c *gin.Context) ([]core.Category, error) {
	actor := ActorFromContext(ctx)
	all := c.Query("all") == "true" && actor.Role != core.RoleCitizen
	cats, err := st.Categories(ctx, all)
	if err != nil || actor.Role != core.RoleCitizen {
		return cats, err
	}
	out := cats[:0]
	for _, k := range cats {
		if k.CitizenVisible {
			out = append(out, k)
		}
	}
	return out, nil
}

func (a *API) buildingRoutes() []Route {
	var zero core.Building
	return []Route{
		{Method: "GET", Path: "/buildings", Obj: core.ObjBuildings, Act: core.ActRead, Summary: "Search the buildings registry",
			Out: buildingList{}, Status: 200, Handler: a.listBuildings, Query: []Param{
				{"q", "string", "words of the address or the registry id"}, {"district", "string", "district code"},
				{"limit", "integer", "page size, 1 to 500 (50)"}, {"after", "integer", "the last id of the previous page"}}},
		{Method: "POST", Path: "/buildings", Obj: core.ObjBuildings, Act: core.ActCreate, Summary: "Add a building", In: zero, Out: zero, Status: 201, Handler: a.saveBuilding(true)},
		{Method: "GET", Path: "/buildings/export", Obj: core.ObjBuildings, Act: core.ActRead, Summary: "The registry as CSV", Status: 200, Handler: a.exportBuildings},
		{Method: "POST", Path: "/buildings/import", Obj: core.ObjBuildings, Act: core.ActImport,
			Summary: "Import a CSV (text/csv body or multipart field file): new buildings added, changed ones updated by registry id, bad rows reported",
			Out:     core.ImportReport{}, Status: 200, Handler: a.importBuildings},
		{Method: "GET", Path: "/buildings/:id", Obj: core.ObjBuildings, Act: core.ActRead, Summary: "One building", Out: zero, Status: 200, Handler: a.getBuilding},
		{Method: "PUT", Path: "/buildings/:id", Obj: core.ObjBuildings, Act: core.ActUpdate, Summary: "Change a building", In: zero, Out: zero, Status: 200, Handler: a.saveBuilding(false)},
		{Method: "DELETE", Path: "/buildings/:id", Obj: core.ObjBuildings, Act: core.ActDelete, Summary: "Delete a building no request refers to", Status: 204, Handler: a.deleteBuilding},
	}
}

type buildingList struct {
	Items []core.Building `json:"items"`
	Next  *int64          `json:"next_after,omitempty"`
}

func (a *API) listBuildings(c *gin.Context) {
	ctx := c.Request.Context()
	f := core.FieldErrors{}
	q := core.BuildingQuery{Text: strings.TrimSpace(c.Query("q")), District: c.Query("district")}
	q.Limit = intParam(c, f, "limit", 50, 1, 500)
	q.AfterID = int64(intParam(c, f, "after", 0, 0, 1<<31-1))
	if len([]rune(q.Text)) > 200 {
		f.Add("q", "is too long")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	bs, err := CityFromContext(ctx).Store.Buildings(ctx, q)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	out := buildingList{Items: bs}
	if out.Items == nil {
		out.Items = []core.Building{}
	}
	if len(bs) == q.Limit {
		out.Next = &bs[len(bs)-1].ID
	}
	c.JSON(http.StatusOK, out)
}

func buildingID(c *gin.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, core.Errorf(core.ENOTFOUND, "building not found")
	}
	return id, nil
}

func (a *API) getBuilding(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := buildingID(c)
	if err == nil {
		var b *core.Building
		if b, err = CityFromContext(ctx).Store.Building(ctx, id); err == nil {
			c.JSON(http.StatusOK, b)
			return
		}
	}
	WriteProblem(c, err)
}

func (a *API) saveBuilding(create bool) gin.HandlerFunc {
	return func(c *gin.Context) {
		ctx := c.Request.Context()
		st := CityFromContext(ctx).Store
		var id int64
		status := http.StatusCreated
		if !create {
			var err error
			if id, err = buildingID(c); err != nil {
				WriteProblem(c, err)
				return
			}
			status = http.StatusOK
		}
		var b core.Building
		if err := decodeJSON(c, &b); err != nil {
			WriteProblem(c, err)
			return
		}
		if err := b.Validate(); err != nil {
			WriteProblem(c, err)
			return
		}
		if err := st.SaveBuilding(ctx, id, &b); err != nil {
			WriteProblem(c, err)
			return
		}
		saved, err := st.Building(ctx, b.ID)
		if err != nil {
			WriteProblem(c, err)
			return
		}
		c.JSON(status, saved)
	}
}

func (a *API) deleteBuilding(c *gin.Context) {
	ctx := c.Request.Context()
	id, err := buildingID(c)
	if err == nil {
		err = CityFromContext(ctx).Store.DeleteBuilding(ctx, id)
	}
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// MaxImport bounds an uploaded CSV.
const MaxImport = 32 << 20

func (a *API) importBuildings(c *gin.Context) {
	ctx := c.Request.Context()
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, MaxImport)
	var body io.Reader = c.Request.Body
	mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type"))
	switch mt {
	case "multipart/form-data":
		fh, err := c.FormFile("file")
		if err != nil {
			WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "no file", Fields: map[string]string{"file": "send the CSV in the field file (at most 32 MB)"}})
			return
		}
		f, err := fh.Open()
		if err != nil {
			WriteProblem(c, err)
			return
		}
		defer f.Close()
		body = f
	case "text/csv", "text/plain", "application/csv":
	default:
		WriteProblem(c, &core.Error{Code: core.EINVALID, Message: "send a CSV file",
			Fields: map[string]string{"Content-Type": "must be text/csv or multipart/form-data"}})
		return
	}
	rows, bad, err := core.ParseBuildingsCSV(body)
	if err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			err = &core.Error{Code: core.EINVALID, Message: "the file is too large", Fields: map[string]string{"file": "at most 32 MB"}}
		}
		WriteProblem(c, err)
		return
	}
	rep, err := CityFromContext(ctx).Store.ImportBuildings(ctx, rows)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	rep.Errors = append(append([]core.RowError{}, bad...), rep.Errors...)
	sortRowErrors(rep.Errors)
	c.JSON(http.StatusOK, rep)
}

func sortRowErrors(es []core.RowError) {
	sort.SliceStable(es, func(i, j int) bool {
		return es[i].Row < es[j].Row || (es[i].Row == es[j].Row && es[i].Field < es[j].Field)
	})
}

func (a *API) exportBuildings(c *gin.Context) {
	ctx := c.Request.Context()
	city := CityFromContext(ctx)
	bs, err := city.Store.AllBuildings(ctx)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.Header("Content-Type", "text/csv; charset=utf-8")
	c.Header("Content-Disposition", `attachment; filename="buildings-`+city.Slug+`.csv"`)
	c.Status(http.StatusOK)
	if err := core.WriteBuildingsCSV(c.Writer, bs); err != nil {
		_ = c.Error(err)
	}
}
