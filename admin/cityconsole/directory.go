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
	Edit      *core.Category // the category being edited, nil on the list
}

func (cs *Console) categoryData(c *gin.Context) (*categoriesData, error) {
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
	d := &categoriesData{Groups: groups, Utilities: core.Utilities}
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

func (cs *Console) categories(c *gin.Context) {
	p := cs.page(c, "categories_title", "categories")
	p.Form = url.Values{"active": {"on"}, "citizen_visible": {"on"}, "reaction_minutes": {"2h"}, "resolution_minutes": {"24h"}}
	cs.showCategories(c, p, http.StatusOK, "categories.html", nil)
}

func (cs *Console) showCategories(c *gin.Context, p *web.Page, status int, tpl string, edit *core.Category) {
	d, err := cs.categoryData(c)
	if err != nil {
		cs.views.Fail(c, tpl, p, err)
		return
	}
	d.Edit = edit
	p.Data = d
	cs.views.Render(c, status, tpl, p)
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
	p := cs.page(c, "categories_title", "categories")
	p.Form = f.Values
	tpl := "categories.html"
	if code != "" {
		tpl = "category.html"
	}
	err := f.Err()
	if err == nil {
		kc := callOf(c)
		_, err = cs.directory(kc).Categories().Save(kc.ctx, kc.actor, code, &k)
	}
	if err != nil {
		status := p.SetError(c, err)
		var edit *core.Category
		if code != "" {
			edit = &core.Category{Code: code}
		}
		cs.showCategories(c, p, status, tpl, edit)
		return
	}
	done(c, "/categories")
}

func (cs *Console) createCategory(c *gin.Context) { cs.saveCategory(c, "") }
func (cs *Console) updateCategory(c *gin.Context) { cs.saveCategory(c, c.Param("code")) }

func (cs *Console) editCategory(c *gin.Context) {
	p := cs.page(c, "category_edit", "categories")
	kc := callOf(c)
	k, err := cs.directory(kc).Categories().Get(kc.ctx, kc.actor, c.Param("code"))
	if err != nil {
		cs.views.Fail(c, "category.html", p, err)
		return
	}
	p.Form = url.Values{"code": {k.Code}, "group": {k.GroupCode}, "name_ru": {k.NameRU}, "name_en": {k.NameEN},
		"default_priority": {string(k.DefaultPriority)}, "reaction_minutes": {core.FormatMinutes(k.ReactionMinutes)},
		"resolution_minutes": {core.FormatMinutes(k.ResolutionMinutes)}, "utility": {k.Utility}}
	for name, on := range map[string]bool{"emergency": k.Emergency, "working_time": k.WorkingTime, "photo_required": k.PhotoRequired,
		"citizen_visible": k.CitizenVisible, "active": k.Active} {
		if on {
			p.Form.Set(name, "on")
		}
	}
	cs.showCategories(c, p, http.StatusOK, "category.html", k)
}

func (cs *Console) createGroup(c *gin.Context) {
	f := web.ReadForm(c)
	g := core.CategoryGroup{Code: f.String("group_code"), NameRU: f.String("group_name_ru"), NameEN: f.String("group_name_en"),
		Position: int(f.Int64("position"))}
	p := cs.page(c, "categories_title", "categories")
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
		cs.showCategories(c, p, status, "categories.html", nil)
		return
	}
	done(c, "/categories")
}

type orgsData struct {
	Items     []core.Organization
	Kinds     []string
	Utilities []string
	Districts []core.District
	Edit      string
}

func (cs *Console) orgData(c *gin.Context) (*orgsData, error) {
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
	return &orgsData{Items: orgs, Kinds: core.OrgKinds, Utilities: core.Utilities, Districts: ds}, nil
}

func (cs *Console) showOrgs(c *gin.Context, p *web.Page, status int, tpl, edit string) {
	d, err := cs.orgData(c)
	if err != nil {
		cs.views.Fail(c, tpl, p, err)
		return
	}
	d.Edit = edit
	p.Data = d
	cs.views.Render(c, status, tpl, p)
}

func (cs *Console) organizations(c *gin.Context) {
	p := cs.page(c, "organizations_title", "organizations")
	p.Form = url.Values{"active": {"on"}}
	cs.showOrgs(c, p, http.StatusOK, "organizations.html", "")
}

func orgForm(f *web.Form) core.Organization {
	return core.Organization{Code: f.String("code"), Kind: f.String("kind"), NameRU: f.String("name_ru"), NameEN: f.String("name_en"),
		Phone: f.String("phone"), Email: f.String("email"), Utility: f.String("utility"), Active: f.Bool("active"),
		Districts: nonEmpty(f.Values["districts"]), Categories: splitCodes(f.String("categories"))}
}

func (cs *Console) saveOrganization(c *gin.Context, code string) {
	f := web.ReadForm(c)
	o := orgForm(f)
	p := cs.page(c, "organizations_title", "organizations")
	p.Form = f.Values
	tpl := "organizations.html"
	if code != "" {
		tpl = "organization.html"
	}
	k := callOf(c)
	if _, err := cs.directory(k).Organizations().Save(k.ctx, k.actor, code, &o); err != nil {
		cs.showOrgs(c, p, p.SetError(c, err), tpl, code)
		return
	}
	done(c, "/organizations")
}

func (cs *Console) createOrganization(c *gin.Context) { cs.saveOrganization(c, "") }
func (cs *Console) updateOrganization(c *gin.Context) { cs.saveOrganization(c, c.Param("code")) }

func (cs *Console) editOrganization(c *gin.Context) {
	p := cs.page(c, "organization_edit", "organizations")
	k := callOf(c)
	o, err := cs.directory(k).Organizations().Get(k.ctx, k.actor, c.Param("code"))
	if err != nil {
		cs.views.Fail(c, "organization.html", p, err)
		return
	}
	p.Form = url.Values{"code": {o.Code}, "kind": {o.Kind}, "name_ru": {o.NameRU}, "name_en": {o.NameEN}, "phone": {o.Phone},
		"email": {o.Email}, "utility": {o.Utility}, "districts": o.Districts, "categories": {strings.Join(o.Categories, ", ")}}
	if o.Active {
		p.Form.Set("active", "on")
	}
	cs.showOrgs(c, p, http.StatusOK, "organization.html", o.Code)
}

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
