package store

import (
	"context"
	"database/sql"
	"errors"
	"github.com/opencity/opencity/core/clock"
	"strconv"
	"strings"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// filterRequests applies the queue filters of q.
func filterRequests(sel *bun.SelectQuery, q core.RequestQuery, ids *filterIDs) *bun.SelectQuery {
	if len(q.Statuses) > 0 {
		sel = sel.Where("r.status IN (?)", bun.In(q.Statuses))
	}
	// A code that names nothing in the city matches no request (id 0).
	if q.Category != "" {
		sel = sel.Where("r.category_id IN (?)", bun.In(orNone(ids.categories)))
	}
	if q.Organization != "" {
		in := bun.In(orNone(ids.organizations))
		sel = sel.Where("(r.organization_id IN (?) OR r.executor_id IN (?))", in, in)
	}
	if q.District != "" {
		sel = sel.Where("r.district_id IN (?)", bun.In(orNone(ids.districts)))
	}
	if q.Overdue {
		now := q.Now.UTC()
		sel = sel.Where(overdueExpr, bun.In(core.UnfinishedStatuses), now, now)
	}
	if q.CreatedFrom != nil {
		sel = sel.Where("r.created_at >= ?", q.CreatedFrom.UTC())
	}
	if q.CreatedTo != nil {
		sel = sel.Where("r.created_at < ?", q.CreatedTo.UTC())
	}
	if q.Text != "" {
		sel = searchWhere(sel, ids)
	}
	return sel
}

// filterIDs are the ids of the codes a request query names.
type filterIDs struct {
	categories, districts, organizations []int64
	search                               core.Search         // q.Text parsed in the city's phone region
	expanded                             map[string][]string // search words looked up (expandWords), PostgreSQL
	walk                                 bool                // the words checked on each row, not found by the index (searchWalk)
	postgres                             bool
}

func orNone(ids []int64) []int64 {
	if len(ids) == 0 {
		return []int64{0}
	}
	return ids
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// lookup resolves references inside a lifecycle transaction.
type lookup struct {
	tx  bun.Tx
	loc *time.Location
}

func (l lookup) OrganizationByCode(ctx context.Context, code string) (*core.Organization, error) {
	o := new(core.Organization)
	err := l.tx.NewSelect().Model(o).Where("code = ?", code).Scan(ctx)
	return o, notFound(err, "organization")
}

func (l lookup) OrganizationByID(ctx context.Context, id int64) (*core.Organization, error) {
	o := new(core.Organization)
	err := l.tx.NewSelect().Model(o).Where("id = ?", id).Scan(ctx)
	return o, notFound(err, "organization")
}

func (l lookup) RequestByNumber(ctx context.Context, number string) (*core.Request, error) {
	r := new(core.Request)
	err := selectRequests(l.tx, r).Where("r.number = ?", number).Scan(ctx)
	return r, notFound(err, "request")
}

func (l lookup) RequestByID(ctx context.Context, id int64) (*core.Request, error) {
	return requestByID(ctx, l.tx, id)
}

func (l lookup) Category(ctx context.Context, id int64) (*core.Category, error) {
	c := new(core.Category)
	err := l.tx.NewSelect().Model(c).Where("id = ?", id).Scan(ctx)
	return c, notFound(err, "category")
}

func (l lookup) WorkPhotos(ctx context.Context, requestID int64) (int, error) {
	return l.tx.NewSelect().TableExpr("attachments AS a").Join("JOIN users AS u ON u.id = a.created_by").
		Where("a.request_id = ? AND u.role <> ?", requestID, core.RoleCitizen).Count(ctx)
}

func (l lookup) Settings(ctx context.Context) (map[string]string, error) {
	return loadSettings(ctx, l.tx)
}

func (l lookup) Calendar(ctx context.Context) (*core.Calendar, error) {
	return loadCalendar(ctx, l.tx, l.loc)
}

// UpdateRequest implements core.Store: it locks the request the actor can
// see, lets fn change it and saves the request with the events fn returns.
func (s *Store) UpdateRequest(ctx context.Context, a core.Actor, number string, loc *time.Location,
	fn func(ctx context.Context, r *core.Request, l core.Lookup) ([]*core.RequestEvent, error)) (*core.Request, error) {
	var out *core.Request
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := new(core.Request)
		q := scopeRequests(selectRequests(tx, r), a).Where("r.number = ?", number)
		if s.scope.Postgres() {
			q = q.For("UPDATE OF r")
		}
		if err := q.Scan(ctx); err != nil {
			return notFound(err, "request")
		}
		evs, err := fn(ctx, r, lookup{tx: tx, loc: loc})
		if err != nil {
			return err
		}
		err = rewriteRequests(ctx, tx, []int64{r.ID}, func() error {
			_, err := tx.NewUpdate().Model(r).WherePK().Exec(ctx)
			return err
		})
		if err != nil {
			return err
		}
		if err := saveCycle(ctx, tx, r); err != nil {
			return err
		}
		for _, ev := range evs {
			ev.RequestID = r.ID
		}
		if err := recordEvents(ctx, tx, evs...); err != nil {
			return err
		}
		out, err = requestByID(ctx, tx, r.ID)
		return err
	})
	return out, err
}

// Lookup runs fn with reference lookups of the city, in one transaction.
func (s *Store) Lookup(ctx context.Context, loc *time.Location, fn func(ctx context.Context, l core.Lookup) error) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return fn(ctx, lookup{tx: tx, loc: loc})
	})
}

func loadCalendar(ctx context.Context, tx bun.IDB, loc *time.Location) (*core.Calendar, error) {
	c := core.DefaultCalendar(loc)
	settings, err := loadSettings(ctx, tx)
	if err != nil {
		return nil, err
	}
	if v, ok := settings[core.SettingWorkStart]; ok {
		if m, err := clock.Parse(v); err == nil {
			c.WorkStart = m
		}
	}
	if v, ok := settings[core.SettingWorkEnd]; ok {
		if m, err := clock.Parse(v); err == nil {
			c.WorkEnd = m
		}
	}
	if v, ok := settings[core.SettingWeekend]; ok {
		c.Weekend = map[time.Weekday]bool{}
		for _, d := range strings.Split(v, ",") {
			if n, err := strconv.Atoi(strings.TrimSpace(d)); err == nil && n >= 0 && n <= 6 {
				c.Weekend[time.Weekday(n)] = true
			}
		}
	}
	var days []core.CalendarDay
	if err := tx.NewSelect().Model(&days).Scan(ctx); err != nil {
		return nil, err
	}
	for _, d := range days {
		c.Days[d.Day] = d.Working
	}
	return c, nil
}

func loadSettings(ctx context.Context, tx bun.IDB) (map[string]string, error) {
	var rows []struct {
		Key   string `bun:"key"`
		Value string `bun:"value"`
	}
	err := tx.NewSelect().TableExpr("settings").Column("key", "value").Scan(ctx, &rows)
	m := make(map[string]string, len(rows))
	for _, r := range rows {
		m[r.Key] = r.Value
	}
	return m, err
}

// Settings returns the city's settings as stored.
func (s *Store) Settings(ctx context.Context) (m map[string]string, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		m, err = loadSettings(ctx, tx)
		return err
	})
	return m, err
}

// PutSettings stores settings and replaces the calendar's special days when
// days is not nil.
func (s *Store) PutSettings(ctx context.Context, kv map[string]string, days []core.CalendarDay) error {
	return s.writeTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		for k, v := range kv {
			_, err := tx.NewRaw("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", k, v).Exec(ctx)
			if err != nil {
				return err
			}
		}
		if days == nil {
			return nil
		}
		if _, err := tx.NewRaw("DELETE FROM calendar_days").Exec(ctx); err != nil {
			return err
		}
		if len(days) > 0 {
			_, err := tx.NewInsert().Model(&days).Exec(ctx)
			return err
		}
		return nil
	})
}

// CityCalendar returns the city's working calendar.
func (s *Store) CityCalendar(ctx context.Context, loc *time.Location) (c *core.Calendar, days []core.CalendarDay, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if c, err = loadCalendar(ctx, tx, loc); err != nil {
			return err
		}
		return tx.NewSelect().Model(&days).Order("day").Scan(ctx)
	})
	return c, days, err
}

// AutoClose closes requests resolved before the cut-off that the citizen
// neither confirmed nor disputed; note says why in each closing event.
func (s *Store) AutoClose(ctx context.Context, before, now time.Time, note core.Msg) (n int, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		var ids []int64
		err := tx.NewSelect().TableExpr("requests").Column("id").
			Where("status = ? AND resolved_at < ?", core.StatusResolved, before.UTC()).Limit(1000).Scan(ctx, &ids)
		if err != nil {
			return err
		}
		err = rewriteRequests(ctx, tx, ids, func() error {
			_, err := tx.NewRaw("UPDATE requests SET status = ?, closed_at = ?, updated_at = ? WHERE id IN (?)",
				core.StatusClosed, now.UTC(), now.UTC(), bun.In(orNone(ids))).Exec(ctx)
			return err
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			ev := &core.RequestEvent{RequestID: id, Kind: string(core.ActionClose), FromState: string(core.StatusResolved),
				ToState: string(core.StatusClosed), Note: note, Public: true, CreatedAt: now.UTC()}
			if err := recordEvents(ctx, tx, ev); err != nil {
				return err
			}
		}
		n = len(ids)
		return nil
	})
	return n, err
}

// AddComment stores a comment on a request the actor can see.
func (s *Store) AddComment(ctx context.Context, a core.Actor, number string, ev *core.RequestEvent) (*core.RequestEvent, error) {
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := new(core.Request)
		if err := scopeRequests(selectRequests(tx, r), a).Where("r.number = ?", number).Scan(ctx); err != nil {
			return notFound(err, "request")
		}
		ev.RequestID, ev.FromState, ev.ToState = r.ID, string(r.Status), string(r.Status)
		return recordEvents(ctx, tx, ev)
	})
	return ev, err
}

// PublicTrail returns what a citizen may see of any request of the city,
// for the citizen of a duplicate following its original: the request's
// number and status (core.OutsiderView) and its history as
// core.OutsiderHistory trims it, never the other applicant's data.
func (s *Store) PublicTrail(ctx context.Context, id int64) (r *core.Request, evs []core.RequestEvent, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if r, err = requestByID(ctx, tx, id); err != nil {
			return err
		}
		return tx.NewSelect().Model(&evs).ModelTableExpr("request_events AS e").ColumnExpr("e.*").
			ColumnExpr("coalesce(u.role, '') AS author_role").
			Join("LEFT JOIN users AS u ON u.id = e.actor_id").
			Where("e.request_id = ? AND e.public", id).Order("e.id").Scan(ctx)
	})
	if errors.Is(err, sql.ErrNoRows) {
		err = core.E(core.ENOTFOUND, "error.request_not_found")
	}
	if err != nil {
		return nil, nil, err
	}
	return core.OutsiderView(r), core.OutsiderHistory(evs), nil
}

// RequestUpdates implements core.Store: a comment, which changes no
// status, carries the status of the last event before it that did.
func (s *Store) RequestUpdates(ctx context.Context, a core.Actor, from, to time.Time, limit int) (out []core.RequestUpdate, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := tx.NewSelect().TableExpr("request_events AS e").Join("JOIN requests AS r ON r.id = e.request_id").
			ColumnExpr("e.id AS event_id, r.number AS number, e.kind AS kind, e.comment AS comment, e.note AS note, e.created_at AS created_at").
			ColumnExpr(`COALESCE(NULLIF(e.to_status, ''), (SELECT p.to_status FROM request_events AS p
				WHERE p.request_id = e.request_id AND p.id < e.id AND p.to_status <> '' ORDER BY p.id DESC LIMIT 1), r.status) AS status`).
			Where("e.public = ?", true).Where("(e.to_status <> '' OR e.comment <> '')").
			Where("e.created_at >= ? AND e.created_at < ?", from.UTC(), to.UTC())
		return scopeRequests(sel, a).OrderExpr("e.id").Limit(limit).Scan(ctx, &out)
	})
	return out, err
}
