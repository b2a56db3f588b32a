package vendorconsole

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/web"
	"github.com/opencity/opencity/tenants"
	"github.com/opencity/opencity/tenants/jobs"
)

// PluginRow is a catalog entry with its process and the cities using it.
type PluginRow struct {
	tenants.PluginEntry
	Pid    int
	Starts int
	Cities []string
}

// Restarts is how many times the process was started again after its first start.
func (r PluginRow) Restarts() int { return max(r.Starts-1, 0) }

type pluginsData struct {
	Rows   []PluginRow
	Cities []tenants.Tenant
}

func (cs *Console) pluginRows(ctx context.Context) (*pluginsData, error) {
	es, err := cs.b.Plugins(ctx)
	if err != nil {
		return nil, err
	}
	ts, err := cs.b.Registry().List(ctx)
	if err != nil {
		return nil, err
	}
	using := map[string][]string{}
	d := &pluginsData{}
	for _, t := range ts {
		if !t.Serving() {
			continue
		}
		d.Cities = append(d.Cities, t)
		st, err := cs.storeOf(t.Slug)
		if err != nil {
			return nil, err
		}
		rs, err := st.RoutingSettings(ctx)
		if err != nil {
			return nil, err
		}
		if rs.Plugin != "" {
			using[rs.Plugin] = append(using[rs.Plugin], t.Slug)
		}
	}
	for _, e := range es {
		r := PluginRow{PluginEntry: e, Cities: using[e.Ref()]}
		if cs.procs != nil {
			r.Pid, r.Starts = cs.procs.Pid(e.Ref()), cs.procs.Starts(e.Ref())
		}
		d.Rows = append(d.Rows, r)
	}
	return d, nil
}

func (cs *Console) showPlugins(c *gin.Context, p *web.Page, status int) {
	d, err := cs.pluginRows(c.Request.Context())
	if err != nil {
		cs.views.Fail(c, "plugins.html", p, err)
		return
	}
	p.Data = d
	cs.views.Render(c, status, "plugins.html", p)
}

// plugins is the catalog: each binary pinned by its SHA-256, its process
// (pid, restarts) and the cities that route through it.
func (cs *Console) plugins(c *gin.Context) {
	cs.showPlugins(c, cs.page(c, "plugins_title", "plugins"), http.StatusOK)
}

// addPlugin registers a binary; when the vendor gives the checksum they
// expect, the file must have it.
func (cs *Console) addPlugin(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "plugins_title", "plugins")
	p.Form = f.Values
	name, version, binary := f.String("name"), f.String("version"), f.String("binary")
	fe := core.FieldErrors{}
	if _, _, err := tenants.ParsePluginRef(name + "@" + version); err != nil {
		fe.Add("name", "error.plugin_name")
		fe.Add("version", "error.plugin_version")
	}
	if binary == "" {
		fe.Add("binary", "error.required")
	}
	want := strings.ToLower(f.String("sha256"))
	if err := fe.Err(); err != nil {
		cs.showPlugins(c, p, p.SetError(c, err))
		return
	}
	if want != "" {
		got, err := tenants.FileSHA256(binary)
		if err != nil {
			cs.showPlugins(c, p, p.SetError(c, &core.Error{Code: core.EINVALID, Message: "error.no_file",
				Fields: core.FieldErrors{"binary": core.M("error.no_file_server")}}))
			return
		}
		if got != want {
			cs.showPlugins(c, p, p.SetError(c, &core.Error{Code: core.EINVALID, Message: "error.checksum",
				Fields: core.FieldErrors{"sha256": core.M("error.sha256_is", "Sum", got)}}))
			return
		}
	}
	if _, err := cs.b.AddPlugin(c.Request.Context(), actor(c), name, version, binary, f.String("description")); err != nil {
		if ce, ok := err.(*core.Error); ok && len(ce.Fields) == 0 && ce.Code == core.EINVALID {
			err = &core.Error{Code: ce.Code, Message: ce.Message, Args: ce.Args, Fields: core.FieldErrors{"binary": ce.Msg()}}
		}
		cs.showPlugins(c, p, p.SetError(c, err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/plugins?ok=saved")
}

// assignPlugin makes a city route through a catalog plugin, or back through
// its own rules when the plugin is empty; the city's plugin config is kept.
func (cs *Console) assignPlugin(c *gin.Context) {
	f := web.ReadForm(c)
	p := cs.page(c, "plugins_title", "plugins")
	p.Form = f.Values
	slug, ref := f.String("city"), f.String("plugin")
	ctx := c.Request.Context()
	fail := func(field, msg string) {
		cs.showPlugins(c, p, p.SetError(c, &core.Error{Code: core.EINVALID, Message: msg, Fields: core.FieldErrors{field: core.M(msg)}}))
	}
	if ref != "" {
		name, version, err := tenants.ParsePluginRef(ref)
		if err == nil {
			_, err = cs.b.Plugin(ctx, name, version)
		}
		if err != nil {
			fail("plugin", "error.no_plugin")
			return
		}
	}
	t, err := cs.b.Registry().Get(ctx, slug)
	if err != nil || !t.Serving() {
		fail("city", "error.no_city")
		return
	}
	st, err := cs.storeOf(slug)
	if err != nil {
		cs.showPlugins(c, p, p.SetError(c, err))
		return
	}
	cur, err := st.RoutingSettings(ctx)
	if err == nil {
		cur.Plugin = ref
		if len(cur.Config) == 0 {
			cur.Config = json.RawMessage("{}")
		}
		_, err = st.SetRoutingSettings(ctx, cur)
	}
	if err == nil {
		err = cs.b.Registry().Audit(ctx, actor(c), "plugin.assign", slug, "plugin "+ref)
	}
	if err != nil {
		cs.showPlugins(c, p, p.SetError(c, err))
		return
	}
	c.Redirect(http.StatusSeeOther, "/admin/plugins?ok=saved")
}

type healthData struct {
	Database   string
	DBLatency  time.Duration
	Jobs       map[string]int
	Failed     []jobs.Job
	Plugins    []PluginRow
	Goroutines int
	Cities     map[string]int
}

// health shows the database, the job queue and the plugin processes.
func (cs *Console) health(c *gin.Context) {
	p := cs.page(c, "health_title", "health")
	ctx, cancel := context.WithTimeout(c.Request.Context(), 5*time.Second)
	defer cancel()
	d := &healthData{Database: "ok", Goroutines: runtime.NumGoroutine(), Cities: map[string]int{}}
	start := time.Now()
	if err := cs.b.Ping(ctx); err != nil {
		d.Database = "unreachable: " + err.Error()
	}
	d.DBLatency = time.Since(start).Round(time.Microsecond)
	var err error
	if d.Jobs, err = cs.b.JobStats(ctx); err == nil {
		d.Failed, err = cs.b.FailedJobs(ctx, 100)
	}
	if err != nil {
		cs.views.Fail(c, "health.html", p, err)
		return
	}
	pd, err := cs.pluginRows(ctx)
	if err != nil {
		cs.views.Fail(c, "health.html", p, err)
		return
	}
	d.Plugins = pd.Rows
	ts, err := cs.b.Registry().List(ctx)
	if err != nil {
		cs.views.Fail(c, "health.html", p, err)
		return
	}
	for _, t := range ts {
		d.Cities[t.Status]++
	}
	p.Data = d
	cs.views.Render(c, http.StatusOK, "health.html", p)
}

// retryJob makes a dead-letter job due again and records who did it.
func (cs *Console) retryJob(c *gin.Context) {
	p := cs.page(c, "health_title", "health")
	var err error = core.NotFound("job")
	if id, perr := strconv.ParseInt(c.Param("id"), 10, 64); perr == nil {
		var ok bool
		if ok, err = cs.b.RetryJob(c.Request.Context(), id); err == nil && !ok {
			err = core.NotFound("job")
		}
	}
	if err != nil {
		cs.views.Fail(c, "health.html", p, err)
		return
	}
	_ = cs.b.Registry().Audit(c.Request.Context(), actor(c), "job.retry", "", c.Param("id"))
	c.Redirect(http.StatusSeeOther, "/admin/health?ok=retried#failed")
}

// audit is the vendor's audit log, newest first, optionally of one city.
func (cs *Console) audit(c *gin.Context) {
	p := cs.page(c, "audit_title", "audit")
	slug := c.Query("city")
	if slug != "" && !tenants.ValidSlug(slug) {
		slug = ""
	}
	log, err := cs.b.Registry().AuditLog(c.Request.Context(), slug, 300)
	if err != nil {
		cs.views.Fail(c, "audit.html", p, err)
		return
	}
	p.Data = map[string]any{"Log": log, "City": slug}
	cs.views.Render(c, http.StatusOK, "audit.html", p)
}

// vendorUsers lists the vendor's own users.
func (cs *Console) vendorUsers(c *gin.Context) {
	p := cs.page(c, "vendor_users_title", "vendor_users")
	us, err := cs.b.VendorUsers(c.Request.Context())
	if err != nil {
		cs.views.Fail(c, "vendorusers.html", p, err)
		return
	}
	p.Data = us
	cs.views.Render(c, http.StatusOK, "vendorusers.html", p)
}
