// Package vendorconsole is the vendor's super-admin console at /admin/: the
// cities with their status, plan, billing state and activity; a city's page
// (suspend and resume, plan, provisioning log, usage, billing); creating a
// city by hand; the plugin catalog with its processes; system health; the
// fleet of dedicated installations with their heartbeats and alerts; the
// vendor's audit log and vendor users. Pages are guarded by the vendor's
// global policies through the page kit.
package vendorconsole

import (
	"context"
	"embed"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/billing"
)

//go:embed templates/*.html
var templates embed.FS

// Objects of the vendor's global domain that the console's pages use.
const (
	ObjTenants     = "tenants"
	ObjPlugins     = "plugins"
	ObjSystem      = "system"
	ObjAudit       = "audit"
	ObjVendorUsers = "vendor_users"
)

// Processes tells how a catalog plugin's process is doing.
type Processes interface {
	Starts(ref string) int
	Pid(ref string) int
}

// Backend is what the console needs from the control plane: the registry,
// the cities' stores, provisioning by hand, the plugin catalog, the vendor
// users and the health figures.
type Backend interface {
	tenants.Registrar
	tenants.CityStorage
	tenants.Provisioner
	tenants.PluginCatalog
	VendorUsers(ctx context.Context) ([]tenants.VendorUser, error)
	tenants.Health
	Fleet
}

// Console serves /admin/.
type Console struct {
	kit     *web.Kit
	views   *web.Views
	b       Backend
	billing *billing.Service
	procs   Processes
	now     func() time.Time
	// changed is called after a city's status or profile changed, so the
	// resolver sees it at once.
	changed func()
	fleet   Fleet
	// FleetSilence is how long an installation may stay without a
	// heartbeat before it is flagged silent; DefaultFleetSilence in New.
	FleetSilence time.Duration
}

// New builds the console; procs may be nil (no plugin host), changed may be nil.
func New(kit *web.Kit, b Backend, bs *billing.Service, procs Processes, now func() time.Time, changed func()) *Console {
	if changed == nil {
		changed = func() {}
	}
	return &Console{kit: kit, views: kit.MustViews(templates, "templates", "vendor"), b: b, billing: bs, procs: procs,
		now: now, changed: changed, fleet: b, FleetSilence: DefaultFleetSilence}
}

// Register mounts the console's pages.
func (cs *Console) Register(r gin.IRouter) {
	g := r.Group("/admin", cs.kit.VendorPages)
	need := cs.kit.RequireVendor
	g.GET("/", need(ObjTenants, core.ActRead), cs.cities)
	g.GET("/cities/new", need(ObjTenants, core.ActCreate), cs.newCity)
	g.POST("/cities", need(ObjTenants, core.ActCreate), cs.createCity)
	g.GET("/cities/:slug", need(ObjTenants, core.ActRead), cs.city)
	g.POST("/cities/:slug/status", need(ObjTenants, core.ActUpdate), cs.setStatus)
	g.POST("/cities/:slug/plan", need(ObjTenants, core.ActUpdate), cs.setPlan)
	g.GET("/plugins", need(ObjPlugins, core.ActRead), cs.plugins)
	g.POST("/plugins", need(ObjPlugins, core.ActCreate), cs.addPlugin)
	g.POST("/plugins/assign", need(ObjPlugins, core.ActUpdate), cs.assignPlugin)
	g.GET("/health", need(ObjSystem, core.ActRead), cs.health)
	g.POST("/jobs/:id/retry", need(ObjSystem, core.ActUpdate), cs.retryJob)
	g.GET("/audit", need(ObjAudit, core.ActRead), cs.audit)
	g.GET("/vendor-users", need(ObjVendorUsers, core.ActRead), cs.vendorUsers)
	g.GET("/fleet", need(ObjFleet, core.ActRead), cs.fleetPage)
	g.POST("/fleet", need(ObjFleet, core.ActCreate), cs.registerInstallation)
	g.POST("/fleet/:id/revoke", need(ObjFleet, core.ActUpdate), cs.revokeInstallation)
}

func (cs *Console) page(c *gin.Context, title, nav string) *web.Page {
	p := cs.views.Page(c, title)
	p.Nav = nav
	return p
}

// actor names the vendor user in the audit log.
func actor(c *gin.Context) string {
	if u := web.VendorFromContext(c.Request.Context()); u != nil {
		return "vendor:" + u.Login
	}
	return "vendor"
}

// CityRow is one line of the cities table.
type CityRow struct {
	tenants.Tenant
	Billing string // billing state: subscription status, or "off"
	// PlanRU and PlanEN name the city's plan (the price list's names, the
	// catalog's for the trial).
	PlanRU, PlanEN string
	Requests24h    int
	Requests30d    int
	OnTime         float64 // share of requests resolved in the last 30 days before their deadline
	Resolved30d    int
	LastActivity   *time.Time
	StatsAvailable bool
}

// OnTimePercent is OnTime in whole percent.
func (r CityRow) OnTimePercent() int { return int(r.OnTime*100 + 0.5) }

// cityStats reads a city's activity from its own storage.
func (cs *Console) cityStats(ctx context.Context, row *CityRow) error {
	if !row.Serving() {
		return nil
	}
	st, err := cs.b.Store(row.Slug)
	if err != nil {
		return err
	}
	a, err := st.Activity(ctx, cs.now())
	if err != nil {
		return err
	}
	row.Requests24h, row.Requests30d, row.Resolved30d = a.Requests24h, a.Requests30d, a.Resolved30d
	row.OnTime, row.LastActivity, row.StatsAvailable = a.OnTimeShare(), a.LastRequest, true
	return nil
}

// planNames are the Russian and English names of a plan: the price list's,
// the catalog's for the trial, the code itself for a plan no longer sold.
func (cs *Console) planNames(code string) (ru, en string) {
	if code == billing.TrialPlan {
		return i18n.Text("ru", "plan_trial", nil), i18n.Text("en", "plan_trial", nil)
	}
	if cs.billing != nil {
		for _, pl := range cs.billing.Config().Plans {
			if pl.Code == code {
				return pl.NameRU, pl.NameEN
			}
		}
	}
	return code, code
}

// rows builds the cities table, reading up to 8 cities at a time.
func (cs *Console) rows(ctx context.Context) ([]CityRow, error) {
	ts, err := cs.b.Registry().List(ctx)
	if err != nil {
		return nil, err
	}
	rows := make([]CityRow, len(ts))
	var wg sync.WaitGroup
	sem := make(chan struct{}, 8)
	errs := make([]error, len(ts))
	for i := range ts {
		rows[i] = CityRow{Tenant: ts[i], Billing: "off"}
		rows[i].PlanRU, rows[i].PlanEN = cs.planNames(ts[i].Plan)
		if cs.billing != nil && cs.billing.Enabled() {
			rows[i].Billing = "none"
			if st, err := cs.billing.State(ctx, ts[i].Slug); err != nil {
				return nil, err
			} else if st != nil {
				rows[i].Billing = st.SubscriptionStatus
			}
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			errs[i] = cs.cityStats(ctx, &rows[i])
		}(i)
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

type citiesData struct {
	Rows  []CityRow
	Query string
	Sort  string
	Desc  bool
}

// cities is the table of cities with search (slug or name) and sorting by
// any column (?sort=requests30d&desc=1).
func (cs *Console) cities(c *gin.Context) {
	p := cs.page(c, "cities_title", "cities")
	rows, err := cs.rows(c.Request.Context())
	if err != nil {
		cs.views.Fail(c, "cities.html", p, err)
		return
	}
	q := strings.ToLower(strings.TrimSpace(c.Query("q")))
	if q != "" {
		kept := rows[:0]
		for _, r := range rows {
			if strings.Contains(strings.ToLower(r.Slug+" "+r.Name+" "+r.Status+" "+r.Plan), q) {
				kept = append(kept, r)
			}
		}
		rows = kept
	}
	d := citiesData{Query: c.Query("q"), Sort: c.DefaultQuery("sort", "slug"), Desc: c.Query("desc") == "1"}
	less := map[string]func(a, b CityRow) bool{
		"slug":        func(a, b CityRow) bool { return a.Slug < b.Slug },
		"name":        func(a, b CityRow) bool { return a.Name < b.Name },
		"status":      func(a, b CityRow) bool { return a.Status < b.Status },
		"plan":        func(a, b CityRow) bool { return a.Plan < b.Plan },
		"billing":     func(a, b CityRow) bool { return a.Billing < b.Billing },
		"requests24h": func(a, b CityRow) bool { return a.Requests24h < b.Requests24h },
		"requests30d": func(a, b CityRow) bool { return a.Requests30d < b.Requests30d },
		"ontime":      func(a, b CityRow) bool { return a.OnTime < b.OnTime },
		"activity": func(a, b CityRow) bool {
			return a.LastActivity == nil && b.LastActivity != nil ||
				a.LastActivity != nil && b.LastActivity != nil && a.LastActivity.Before(*b.LastActivity)
		},
		"schema": func(a, b CityRow) bool { return a.SchemaVersion < b.SchemaVersion },
	}
	fn, ok := less[d.Sort]
	if !ok {
		d.Sort, fn = "slug", less["slug"]
	}
	sort.SliceStable(rows, func(i, j int) bool {
		if d.Desc {
			return fn(rows[j], rows[i])
		}
		return fn(rows[i], rows[j])
	})
	d.Rows = rows
	p.Data = d
	cs.views.Render(c, http.StatusOK, "cities.html", p)
}

// storeOf is the city's storage, for assigning plugins.
func (cs *Console) storeOf(slug string) (*store.Store, error) {
	return cs.b.Store(slug)
}
