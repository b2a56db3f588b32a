package core

import (
	"context"
	"io"
	"sort"
	"strings"
	"unicode/utf8"
)

// DirectoryStore is what DirectoryAdmin needs from a city's storage. Entries
// are named by code (buildings by id); unknown ones are ErrNotFound, taken
// codes and entries still referred to are ErrConflict.
type DirectoryStore interface {
	Districts(ctx context.Context) ([]District, error)
	District(ctx context.Context, code string) (*District, error)
	SaveDistrict(ctx context.Context, code string, d *District) error
	DeleteDistrict(ctx context.Context, code string) error
	CategoryGroups(ctx context.Context) ([]CategoryGroup, error)
	CategoryGroup(ctx context.Context, code string) (*CategoryGroup, error)
	SaveCategoryGroup(ctx context.Context, code string, g *CategoryGroup) error
	DeleteCategoryGroup(ctx context.Context, code string) error
	// Categories lists the active categories, and the inactive ones too with all.
	Categories(ctx context.Context, all bool) ([]Category, error)
	Category(ctx context.Context, code string) (*Category, error)
	SaveCategory(ctx context.Context, code string, c *Category) error
	DeleteCategory(ctx context.Context, code string) error
	Organizations(ctx context.Context) ([]Organization, error)
	Organization(ctx context.Context, code string) (*Organization, error)
	SaveOrganization(ctx context.Context, code string, o *Organization) error
	DeleteOrganization(ctx context.Context, code string) error
	Buildings(ctx context.Context, q BuildingQuery) ([]Building, error)
	Building(ctx context.Context, id int64) (*Building, error)
	SaveBuilding(ctx context.Context, id int64, b *Building) error
	DeleteBuilding(ctx context.Context, id int64) error
	ImportBuildings(ctx context.Context, rows []BuildingRow) (*ImportReport, error)
	AllBuildings(ctx context.Context) ([]Building, error)
}

// DirectoryAdmin is the use cases of a city's directory: districts,
// category groups, categories, organizations and the buildings registry
// with its CSV import and export.
type DirectoryAdmin struct {
	Store DirectoryStore
	Gate  Gate
}

// validated is a directory entry that checks itself and names its code.
type validated[T any] interface {
	*T
	Validate() error
	Key() string
}

// Coded administers one kind of directory entry named by a code: a list,
// one entry, add or change, delete.
type Coded[T any, P validated[T]] struct {
	gate Gate
	obj  string
	list func(ctx context.Context, actor Actor, all bool) ([]T, error)
	get  func(ctx context.Context, code string) (*T, error)
	save func(ctx context.Context, code string, v *T) error
	del  func(ctx context.Context, code string) error
}

// List returns the entries the actor may see; all asks for inactive
// entries too, where a kind has them (categories). The list is never nil.
func (k Coded[T, P]) List(ctx context.Context, actor Actor, all bool) ([]T, error) {
	if err := k.gate.Allow(ctx, actor, k.obj, ActRead); err != nil {
		return nil, err
	}
	items, err := k.list(ctx, actor, all)
	if items == nil && err == nil {
		items = []T{}
	}
	return items, err
}

// Get returns the entry named code, ErrNotFound when there is none.
func (k Coded[T, P]) Get(ctx context.Context, actor Actor, code string) (*T, error) {
	if err := k.gate.Allow(ctx, actor, k.obj, ActRead); err != nil {
		return nil, err
	}
	return k.get(ctx, code)
}

// Save validates v and adds it (code "") or changes the entry named code
// (whose code cannot change); it returns the entry as stored.
func (k Coded[T, P]) Save(ctx context.Context, actor Actor, code string, v *T) (*T, error) {
	act := ActUpdate
	if code == "" {
		act = ActCreate
	}
	if err := k.gate.Allow(ctx, actor, k.obj, act); err != nil {
		return nil, err
	}
	if err := P(v).Validate(); err != nil {
		return nil, err
	}
	if err := k.save(ctx, code, v); err != nil {
		return nil, err
	}
	if code == "" {
		code = P(v).Key()
	}
	return k.get(ctx, code)
}

// Delete removes the entry named code; one still referred to is a conflict.
func (k Coded[T, P]) Delete(ctx context.Context, actor Actor, code string) error {
	if err := k.gate.Allow(ctx, actor, k.obj, ActDelete); err != nil {
		return err
	}
	return k.del(ctx, code)
}

// Districts administers the city's districts.
func (s *DirectoryAdmin) Districts() Coded[District, *District] {
	st := s.Store
	return Coded[District, *District]{gate: s.Gate, obj: ObjDistricts,
		list: func(ctx context.Context, _ Actor, _ bool) ([]District, error) { return st.Districts(ctx) },
		get:  st.District, save: st.SaveDistrict, del: st.DeleteDistrict}
}

// CategoryGroups administers the groups of the category tree, listed by
// position.
func (s *DirectoryAdmin) CategoryGroups() Coded[CategoryGroup, *CategoryGroup] {
	st := s.Store
	return Coded[CategoryGroup, *CategoryGroup]{gate: s.Gate, obj: ObjCategories,
		list: func(ctx context.Context, _ Actor, _ bool) ([]CategoryGroup, error) { return st.CategoryGroups(ctx) },
		get:  st.CategoryGroup, save: st.SaveCategoryGroup, del: st.DeleteCategoryGroup}
}

// Categories administers the categories. Citizens see the active ones meant
// for them; staff see every active one, and the inactive ones with all.
func (s *DirectoryAdmin) Categories() Coded[Category, *Category] {
	st := s.Store
	return Coded[Category, *Category]{gate: s.Gate, obj: ObjCategories,
		list: func(ctx context.Context, actor Actor, all bool) ([]Category, error) {
			citizen := actor.Role == RoleCitizen
			cats, err := st.Categories(ctx, all && !citizen)
			if err != nil || !citizen {
				return cats, err
			}
			out := cats[:0]
			for _, k := range cats {
				if k.CitizenVisible {
					out = append(out, k)
				}
			}
			return out, nil
		},
		get: st.Category, save: st.SaveCategory, del: st.DeleteCategory}
}

// Organizations administers management companies, contractors, suppliers
// and city services.
func (s *DirectoryAdmin) Organizations() Coded[Organization, *Organization] {
	st := s.Store
	return Coded[Organization, *Organization]{gate: s.Gate, obj: ObjOrganizations,
		list: func(ctx context.Context, _ Actor, _ bool) ([]Organization, error) { return st.Organizations(ctx) },
		get:  st.Organization, save: st.SaveOrganization, del: st.DeleteOrganization}
}

// BuildingPage is one page of the buildings registry; Next is the id to
// pass as AfterID for the following page, nil on the last one.
type BuildingPage struct {
	Items []Building `json:"items"`
	Next  *int64     `json:"next_after,omitempty"`
}

// Building page sizes.
const (
	DefaultBuildingPage = 50
	MaxBuildingPage     = 500
	maxSearchText       = 200
)

// Buildings searches the registry by words of the address or the registry
// id and by district code, ordered by id, q.Limit (1 to 500, 50 when 0) a
// page.
func (s *DirectoryAdmin) Buildings(ctx context.Context, actor Actor, q BuildingQuery) (*BuildingPage, error) {
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, ActRead); err != nil {
		return nil, err
	}
	f := FieldErrors{}
	q.Text = strings.TrimSpace(q.Text)
	if utf8.RuneCountInString(q.Text) > maxSearchText {
		f.Add("q", "error.too_long")
	}
	if q.Limit == 0 {
		q.Limit = DefaultBuildingPage
	}
	if q.Limit < 1 || q.Limit > MaxBuildingPage {
		f.Add("limit", "error.number_range", "Min", 1, "Max", MaxBuildingPage)
	}
	if q.AfterID < 0 {
		f.Add("after", "error.building_id")
	}
	if err := f.Err(); err != nil {
		return nil, err
	}
	bs, err := s.Store.Buildings(ctx, q)
	if err != nil {
		return nil, err
	}
	page := &BuildingPage{Items: bs}
	if page.Items == nil {
		page.Items = []Building{}
	}
	if len(bs) == q.Limit {
		page.Next = &bs[len(bs)-1].ID
	}
	return page, nil
}

// Building returns one building of the registry.
func (s *DirectoryAdmin) Building(ctx context.Context, actor Actor, id int64) (*Building, error) {
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, ActRead); err != nil {
		return nil, err
	}
	return s.Store.Building(ctx, id)
}

// SaveBuilding validates b and adds it (id 0) or changes the building id;
// the store checks its district and management company codes.
func (s *DirectoryAdmin) SaveBuilding(ctx context.Context, actor Actor, id int64, b *Building) (*Building, error) {
	act := ActUpdate
	if id == 0 {
		act = ActCreate
	}
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, act); err != nil {
		return nil, err
	}
	if err := b.Validate(); err != nil {
		return nil, err
	}
	if err := s.Store.SaveBuilding(ctx, id, b); err != nil {
		return nil, err
	}
	return s.Store.Building(ctx, b.ID)
}

// DeleteBuilding removes a building no request refers to.
func (s *DirectoryAdmin) DeleteBuilding(ctx context.Context, actor Actor, id int64) error {
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, ActDelete); err != nil {
		return err
	}
	return s.Store.DeleteBuilding(ctx, id)
}

// ImportBuildings reads a buildings CSV (see ParseBuildingsCSV): new
// buildings are added, changed ones updated by registry id, and every
// refused row is reported with its field and reason, in row order. A file
// that is not such a CSV is an EINVALID error naming the field "file".
func (s *DirectoryAdmin) ImportBuildings(ctx context.Context, actor Actor, csv io.Reader) (*ImportReport, error) {
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, ActImport); err != nil {
		return nil, err
	}
	rows, bad, err := ParseBuildingsCSV(csv)
	if err != nil {
		return nil, err
	}
	rep, err := s.Store.ImportBuildings(ctx, rows)
	if err != nil {
		return nil, err
	}
	rep.Errors = append(append([]RowError{}, bad...), rep.Errors...)
	sort.SliceStable(rep.Errors, func(i, j int) bool {
		a, b := rep.Errors[i], rep.Errors[j]
		return a.Row < b.Row || (a.Row == b.Row && a.Field < b.Field)
	})
	return rep, nil
}

// ExportBuildings writes the whole registry as CSV for a reader of lang
// with the separator comma (see WriteBuildingsCSV) to the writer that open
// returns, called once the actor is allowed and the registry read, so an
// adapter sets its headers only for a real answer.
func (s *DirectoryAdmin) ExportBuildings(ctx context.Context, actor Actor, lang string, comma rune, open func() io.Writer) error {
	if err := s.Gate.Allow(ctx, actor, ObjBuildings, ActRead); err != nil {
		return err
	}
	bs, err := s.Store.AllBuildings(ctx)
	if err != nil {
		return err
	}
	return WriteBuildingsCSV(open(), bs, lang, comma)
}
