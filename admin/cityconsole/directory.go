package cityconsole

import (
	"github.com/opencity/opencity/core/i18n"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
)

// groupNode is one branch of the category tree.
type groupNode struct {
	Group      core.CategoryGroup
	Categories []core.Category
}

type categoriesData struct {
	Tree      []groupNode
	Groups    []core.CategoryGroup
	Utilities []string
	Edit      string // the code of the category being edited, "" on the list
}

func (cs *Console) categoryData(c *gin.Context, edit string) (any, error) {
	k := callOf(c)
	dir := cs.directory(k)
	groups, err := dir.CategoryGroups().List(k.ctx, k.actor, true)
	if err != nil {
		return nil, err
	}
	cats, err := dir.Categories().List(k.ctx, k.actor, true)
	if err != nil {
		return nil, err
	}
	d := &categoriesData{Groups: groups, Utilities: core.Utilities, Edit: edit}
	byGroup := map[string]int{}
	for i, g := range groups {
		byGroup[g.Code] = i
		d.Tree = append(d.Tree, groupNode{Group: g})
	}
	var loose []core.Category
	for _, k := range cats {
		if i, ok := byGroup[k.GroupCode]; ok {
			d.Tree[i].Categories = append(d.Tree[i].Categories, k)
		} else {
			loose = append(loose, k)
		}
	}
	if len(loose) > 0 {
		d.Tree = append(d.Tree, groupNode{Group: core.CategoryGroup{Code: "", NameRU: i18n.Text("ru", "no_group", nil), NameEN: i18n.Text("en", "no_group", nil)}, Categories: loose})
	}
	return d, nil
}

// categoryPages are the categories' list and edit pages.
var categoryPages = entryPages[core.Category]{
	path: "/categories", nav: "categories", title: "categories_title", editTitle: "category_edit",
	list: "categories.html", edit: "category.html",
	data: (*Console).categoryData,
	get: func(cs *Console, k call, code string) (*core.Category, error) {
		return cs.directory(k).Categories().Get(k.ctx, k.actor, code)
	},
	form: func(k *core.Category) url.Values {
		v := url.Values{"code": {k.Code}, "group": {k.GroupCode}, "name_ru": {k.NameRU}, "name_en": {k.NameEN},
			"default_priority": {string(k.DefaultPriority)}, "reaction_minutes": {core.FormatMinutes(k.ReactionMinutes)},
			"resolution_minutes": {core.FormatMinutes(k.ResolutionMinutes)}, "utility": {k.Utility}}
		for name, on := range map[string]bool{"emergency": k.Emergency, "working_time": k.WorkingTime, "photo_required": k.PhotoRequired,
			"citizen_visible": k.CitizenVisible, "active": k.Active} {
			if on {
				v.Set(name, "on")
			}
		}
		return v
	},
}

func (cs *Console) categories(c *gin.Context) {
	p := categoryPages.listPage(cs, c)
	p.Form = url.Values{"active": {"on"}, "citizen_visible": {"on"}, "reaction_minutes": {"2h"}, "resolution_minutes": {"24h"}}
	categoryPages.show(cs, c, p, http.StatusOK, "")
}

// categoryForm reads the category form; deadlines are durations ("30m",
// "2h", "1d" is not Go, so days are written as hours: "48h").
func categoryForm(f *web.Form) core.Category {
	k := core.Category{Code: f.String("code"), GroupCode: f.String("group"), NameRU: f.String("name_ru"), NameEN: f.String("name_en"),
		Emergency: f.Bool("emergency"), DefaultPriority: core.Priority(f.String("default_priority")),
		ReactionMinutes: int(f.Duration("reaction_minutes").Minutes()), ResolutionMinutes: int(f.Duration("resolution_minutes").Minutes()),
		WorkingTime: f.Bool("working_time"), PhotoRequired: f.Bool("photo_required"), CitizenVisible: f.Bool("citizen_visible"),
		Active: f.Bool("active"), Utility: f.String("utility")}
	return k
}

// saveCategory creates (code "") or changes a category through the API.
func (cs *Console) saveCategory(c *gin.Context, code string) {
	f := web.ReadForm(c)
	k := categoryForm(f)
	p := categoryPages.listPage(cs, c)
	p.Form = f.Values
	err := f.Err()
	if err == nil {
		kc := callOf(c)
		_, err = cs.directory(kc).Categories().Save(kc.ctx, kc.actor, code, &k)
	}
	categoryPages.saved(cs, c, p, code, err)
}

func (cs *Console) createCategory(c *gin.Context) { cs.saveCategory(c, "") }
func (cs *Console) updateCategory(c *gin.Context) { cs.saveCategory(c, c.Param("code")) }

func (cs *Console) editCategory(c *gin.Context) { categoryPages.editPage(cs, c) }

func (cs *Console) createGroup(c *gin.Context) {
	f := web.ReadForm(c)
	g := core.CategoryGroup{Code: f.String("group_code"), NameRU: f.String("group_name_ru"), NameEN: f.String("group_name_en"),
		Position: int(f.Int64("position"))}
	p := categoryPages.listPage(cs, c)
	p.Form = f.Values
	err := f.Err()
	if err == nil {
		k := callOf(c)
		_, err = cs.directory(k).CategoryGroups().Save(k.ctx, k.actor, "", &g)
	}
	if err != nil {
		status := p.SetError(c, err)
		// The group form's fields carry a group_ prefix on the page.
		for _, k := range []string{"code", "name_ru", "name_en"} {
			if m, ok := p.Errors[k]; ok {
				p.Errors["group_"+k] = m
				delete(p.Errors, k)
			}
		}
		categoryPages.show(cs, c, p, status, "")
		return
	}
	done(c, categoryPages.path)
}

type orgsData struct {
	Items     []core.Organization
	Kinds     []string
	Utilities []string
	Districts []core.District
	Edit      string
}

func (cs *Console) orgData(c *gin.Context, edit string) (any, error) {
	k := callOf(c)
	dir := cs.directory(k)
	orgs, err := dir.Organizations().List(k.ctx, k.actor, true)
	if err != nil {
		return nil, err
	}
	ds, err := dir.Districts().List(k.ctx, k.actor, true)
	if err = optional(err); err != nil {
		return nil, err
	}
	return &orgsData{Items: orgs, Kinds: core.OrgKinds, Utilities: core.Utilities, Districts: ds, Edit: edit}, nil
}

// orgPages are the organizations' list and edit pages.
var orgPages = entryPages[core.Organization]{
	path: "/organizations", nav: "organizations", title: "organizations_title", editTitle: "organization_edit",
	list: "organizations.html", edit: "organization.html",
	data: (*Console).orgData,
	get: func(cs *Console, k call, code string) (*core.Organization, error) {
		return cs.directory(k).Organizations().Get(k.ctx, k.actor, code)
	},
	form: func(o *core.Organization) url.Values {
		v := url.Values{"code": {o.Code}, "kind": {o.Kind}, "name_ru": {o.NameRU}, "name_en": {o.NameEN}, "phone": {o.Phone},
			"email": {o.Email}, "utility": {o.Utility}, "districts": o.Districts, "categories": {strings.Join(o.Categories, ", ")}}
		if o.Active {
			v.Set("active", "on")
		}
		return v
	},
}

func (cs *Console) organizations(c *gin.Context) {
	p := orgPages.listPage(cs, c)
	p.Form = url.Values{"active": {"on"}}
	orgPages.show(cs, c, p, http.StatusOK, "")
}

func orgForm(f *web.Form) core.Organization {
	return core.Organization{Code: f.String("code"), Kind: f.String("kind"), NameRU: f.String("name_ru"), NameEN: f.String("name_en"),
		Phone: f.String("phone"), Email: f.String("email"), Utility: f.String("utility"), Active: f.Bool("active"),
		Districts: nonEmpty(f.Values["districts"]), Categories: splitCodes(f.String("categories"))}
}

func (cs *Console) saveOrganization(c *gin.Context, code string) {
	f := web.ReadForm(c)
	o := orgForm(f)
	p := orgPages.listPage(cs, c)
	p.Form = f.Values
	k := callOf(c)
	_, err := cs.directory(k).Organizations().Save(k.ctx, k.actor, code, &o)
	orgPages.saved(cs, c, p, code, err)
}

func (cs *Console) createOrganization(c *gin.Context) { cs.saveOrganization(c, "") }
func (cs *Console) updateOrganization(c *gin.Context) { cs.saveOrganization(c, c.Param("code")) }
func (cs *Console) editOrganization(c *gin.Context)   { orgPages.editPage(cs, c) }

func (cs *Console) districts(c *gin.Context) {
	cs.showDistricts(c, cs.page(c, "districts_title", "districts"), http.StatusOK)
}

func (cs *Console) showDistricts(c *gin.Context, p *web.Page, status int) {
	k := callOf(c)
	ds, err := cs.directory(k).Districts().List(k.ctx, k.actor, true)
	if err != nil {
		cs.views.Fail(c, "districts.html", p, err)
		return
	}
	p.Data = ds
	cs.views.Render(c, status, "districts.html", p)
}

func (cs *Console) createDistrict(c *gin.Context) {
	f := web.ReadForm(c)
	d := core.District{Code: f.String("code"), NameRU: f.String("name_ru"), NameEN: f.String("name_en")}
	p := cs.page(c, "districts_title", "districts")
	p.Form = f.Values
	k := callOf(c)
	if _, err := cs.directory(k).Districts().Save(k.ctx, k.actor, "", &d); err != nil {
		cs.showDistricts(c, p, p.SetError(c, err))
		return
	}
	done(c, "/districts")
}

func nonEmpty(vs []string) []string {
	out := []string{}
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// splitCodes reads "a, b c" as [a b c].
func splitCodes(s string) []string {
	return nonEmpty(strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' || r == '\n' }))
}

// entryPages are the list page and the edit page of one kind of directory
// entry named by a code (categories, organizations), T being the entry.
type entryPages[T any] struct {
	path             string // the list's path in the console, "/categories"
	nav              string // the menu item the pages belong to
	title, editTitle string // message keys of the pages' titles
	list, edit       string // the pages' templates
	// data reads what the pages show; edit is the code of the entry being
	// edited, "" on the list.
	data func(cs *Console, c *gin.Context, edit string) (any, error)
	get  func(cs *Console, k call, code string) (*T, error)
	// form fills the edit page's form from an entry.
	form func(*T) url.Values
}

// show draws the list (edit "") or the edit page of the entry coded edit
// with the answer status.
func (e entryPages[T]) show(cs *Console, c *gin.Context, p *web.Page, status int, edit string) {
	tpl := e.list
	if edit != "" {
		tpl = e.edit
	}
	d, err := e.data(cs, c, edit)
	if err != nil {
		cs.views.Fail(c, tpl, p, err)
		return
	}
	p.Data = d
	cs.views.Render(c, status, tpl, p)
}

// saved ends a post of the form that adds (code "") or changes an entry:
// the browser goes back to the list when err is nil; otherwise the page the
// form was on is drawn again with the form as sent and err's messages.
func (e entryPages[T]) saved(cs *Console, c *gin.Context, p *web.Page, code string, err error) {
	if err != nil {
		e.show(cs, c, p, p.SetError(c, err), code)
		return
	}
	done(c, e.path)
}

// listPage starts the list page (or a form post on it) with its title and
// menu item.
func (e entryPages[T]) listPage(cs *Console, c *gin.Context) *web.Page {
	return cs.page(c, e.title, e.nav)
}

// editPage draws the edit page of the entry named by the path's code.
func (e entryPages[T]) editPage(cs *Console, c *gin.Context) {
	p := cs.page(c, e.editTitle, e.nav)
	k := callOf(c)
	code := c.Param("code")
	v, err := e.get(cs, k, code)
	if err != nil {
		cs.views.Fail(c, e.edit, p, err)
		return
	}
	p.Form = e.form(v)
	e.show(cs, c, p, http.StatusOK, code)
}
