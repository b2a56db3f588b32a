package store

import (
	"context"
	"database/sql"
	"errors"
	"math"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

var _ core.CoApplicantStore = (*Store)(nil)

// OpenMatches implements core.CoApplicantStore. Requests away from the
// building are found by a bounding box of the radius on the request's own
// point or its building's, then by their great-circle distance.
func (s *Store) OpenMatches(ctx context.Context, a core.Actor, q core.MatchQuery) ([]core.Match, error) {
	var rs []struct {
		core.Request
		PointLat *float64 `bun:"point_lat,scanonly"`
		PointLon *float64 `bun:"point_lon,scanonly"`
	}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		sel := scopeRequests(selectRequests(tx, &rs), a).
			ColumnExpr("coalesce(r.lat, mb.lat) AS point_lat").ColumnExpr("coalesce(r.lon, mb.lon) AS point_lon").
			Join("LEFT JOIN buildings AS mb ON mb.id = r.building_id").
			Where("r.status IN (?)", bun.In(core.UnfinishedStatuses))
		sel = sel.WhereGroup(" AND ", func(w *bun.SelectQuery) *bun.SelectQuery {
			w = w.WhereOr("(r.building_id = ? AND r.category_id = ?)", q.BuildingID, q.CategoryID)
			if q.Utility != "" && q.RadiusM > 0 {
				dLat := q.RadiusM / 111320
				dLon := dLat / math.Max(0.01, math.Cos(q.Lat*math.Pi/180))
				w = w.WhereOr(`(c.utility = ? AND coalesce(r.lat, mb.lat) BETWEEN ? AND ? AND coalesce(r.lon, mb.lon) BETWEEN ? AND ?)`,
					q.Utility, q.Lat-dLat, q.Lat+dLat, q.Lon-dLon, q.Lon+dLon)
			}
			return w
		})
		return sel.Order("r.id DESC").Limit(4 * max(q.Limit, 1)).Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	out := []core.Match{}
	for _, r := range rs {
		m := core.Match{Request: r.Request}
		if r.BuildingID == nil || *r.BuildingID != q.BuildingID {
			if r.PointLat == nil || r.PointLon == nil {
				continue
			}
			if m.DistanceM = core.Distance(q.Lat, q.Lon, *r.PointLat, *r.PointLon); m.DistanceM > q.RadiusM {
				continue
			}
		}
		if len(out) < q.Limit {
			out = append(out, m)
		}
	}
	return out, nil
}

// AddCoApplicant implements core.CoApplicantStore.
func (s *Store) AddCoApplicant(ctx context.Context, a core.Actor, number string, c *core.CoApplicant, ev *core.RequestEvent) (*core.Request, error) {
	r := new(core.Request)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := scopeRequests(selectRequests(tx, r), a).Where("r.number = ?", number).Scan(ctx); err != nil {
			return notFound(err, "request")
		}
		if !r.Joinable() {
			return core.E(core.ECONFLICT, "error.join_finished")
		}
		if c.Phone != "" && c.Phone == r.ApplicantPhone || c.Email != "" && c.Email == r.ApplicantEmail {
			return core.E(core.ECONFLICT, "error.already_applicant")
		}
		n, err := tx.NewSelect().TableExpr("co_applicants").
			Where("request_id = ? AND ((phone <> '' AND phone = ?) OR (email <> '' AND email = ?))", r.ID, c.Phone, c.Email).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return core.E(core.ECONFLICT, "error.already_applicant")
		}
		var citizen int64
		err = tx.NewRaw(`SELECT id FROM users WHERE role = ? AND active = ? AND
			((phone <> '' AND phone = ?) OR (email <> '' AND email = ?)) ORDER BY id LIMIT 1`,
			core.RoleCitizen, true, c.Phone, c.Email).Scan(ctx, &citizen)
		switch {
		case err == nil:
			c.CitizenID = &citizen
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		c.RequestID = r.ID
		if _, err := tx.NewInsert().Model(c).Exec(ctx); err != nil {
			return err
		}
		ev.RequestID, ev.FromState, ev.ToState = r.ID, string(r.Status), string(r.Status)
		_, err = tx.NewInsert().Model(ev).Exec(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// CoApplicants implements core.CoApplicantStore: a request's co-applicants
// in the order they joined.
func (s *Store) CoApplicants(ctx context.Context, requestID int64) ([]core.CoApplicant, error) {
	out := []core.CoApplicant{}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&out).Where("request_id = ?", requestID).Order("id").Scan(ctx)
	})
	return out, err
}
