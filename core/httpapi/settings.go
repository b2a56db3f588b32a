package httpapi

import (
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

type settingsJSON struct {
	Timezone      string             `json:"timezone"`
	WorkStart     string             `json:"work_start"`
	WorkEnd       string             `json:"work_end"`
	Weekend       []int              `json:"weekend"`
	Days          []core.CalendarDay `json:"days"`
	AutoCloseDays int                `json:"auto_close_days"`
}

func (a *API) settingsRoutes() []Route {
	return []Route{
		{Method: "GET", Path: "/settings", Obj: core.ObjSettings, Act: core.ActRead, Summary: "Working calendar and auto-close",
			Out: settingsJSON{}, Status: 200, Handler: a.getSettings},
		{Method: "PUT", Path: "/settings", Obj: core.ObjSettings, Act: core.ActUpdate, Summary: "Change the working calendar, holidays and auto-close days",
			In: settingsJSON{}, Out: settingsJSON{}, Status: 200, Handler: a.putSettings},
	}
}

func (a *API) readSettings(c *gin.Context) (*settingsJSON, error) {
	ctx := c.Request.Context()
	city := CityFromContext(ctx)
	cal, days, err := city.Store.CityCalendar(ctx, city.Location)
	if err != nil {
		return nil, err
	}
	kv, err := city.Store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	out := &settingsJSON{Timezone: city.Location.String(), WorkStart: core.FormatClock(cal.WorkStart),
		WorkEnd: core.FormatClock(cal.WorkEnd), Weekend: []int{}, Days: days, AutoCloseDays: core.AutoCloseDays(kv)}
	for d := range cal.Weekend {
		out.Weekend = append(out.Weekend, int(d))
	}
	sort.Ints(out.Weekend)
	if out.Days == nil {
		out.Days = []core.CalendarDay{}
	}
	return out, nil
}

func (a *API) getSettings(c *gin.Context) {
	s, err := a.readSettings(c)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	c.JSON(http.StatusOK, s)
}

func (a *API) putSettings(c *gin.Context) {
	var in settingsJSON
	if err := decodeJSON(c, &in); err != nil {
		WriteProblem(c, err)
		return
	}
	f := core.FieldErrors{}
	city := CityFromContext(c.Request.Context())
	cal := core.DefaultCalendar(city.Location)
	var err error
	if cal.WorkStart, err = core.ParseClock(in.WorkStart); err != nil {
		f.Add("work_start", err.Error())
	}
	if cal.WorkEnd, err = core.ParseClock(in.WorkEnd); err != nil {
		f.Add("work_end", err.Error())
	}
	cal.Weekend = map[time.Weekday]bool{}
	weekend := ""
	for i, d := range in.Weekend {
		if d < 0 || d > 6 {
			f.Add("weekend", "days are 0 (Sunday) to 6 (Saturday)")
			continue
		}
		cal.Weekend[time.Weekday(d)] = true
		if i > 0 {
			weekend += ","
		}
		weekend += strconv.Itoa(d)
	}
	if len(f) == 0 {
		if err := cal.Validate(); err != nil {
			WriteProblem(c, err)
			return
		}
	}
	seen := map[string]bool{}
	for i := range in.Days {
		d := &in.Days[i]
		if _, err := time.Parse(time.DateOnly, d.Day); err != nil {
			f.Add("days", strconv.Quote(d.Day)+" is not a date YYYY-MM-DD")
		} else if seen[d.Day] {
			f.Add("days", d.Day+" is listed twice")
		}
		seen[d.Day] = true
		if len([]rune(d.Name)) > 100 {
			f.Add("days", "names are at most 100 characters")
		}
	}
	if in.AutoCloseDays < 1 || in.AutoCloseDays > 60 {
		f.Add("auto_close_days", "must be from 1 to 60")
	}
	if err := f.Err(); err != nil {
		WriteProblem(c, err)
		return
	}
	days := in.Days
	if days == nil {
		days = []core.CalendarDay{}
	}
	err = city.Store.PutSettings(c.Request.Context(), map[string]string{
		core.SettingWorkStart: core.FormatClock(cal.WorkStart), core.SettingWorkEnd: core.FormatClock(cal.WorkEnd),
		core.SettingWeekend: weekend, core.SettingAutoCloseDays: strconv.Itoa(in.AutoCloseDays),
	}, days)
	if err != nil {
		WriteProblem(c, err)
		return
	}
	a.getSettings(c)
}
