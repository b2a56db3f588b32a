// Package store keeps one city's data with bun, on PostgreSQL (a schema per
// city) or SQLite (a file per city). It never chooses the city itself: it is
// handed a Scope whose transactions are already confined to one city.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
	"golang.org/x/sync/singleflight"
)

// Scope runs units of work inside one city. On PostgreSQL the transaction's
// first statement sets a transaction-local search_path to the city's schema;
// on SQLite the transaction belongs to the city's own database file.
type Scope interface {
	RunInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error
	Postgres() bool
}

// Store implements core.Store over a Scope. It owns its city's in-process
// caches (the routing memo and the token cache), which its own writes
// invalidate; so a process keeps one Store per city (tenants.Backend.Store)
// and every writer of the city goes through it.
type Store struct {
	scope Scope
	now   func() time.Time
	memo  routingMemo
	// searchStats are the text index's statistics (wordShares).
	searchStats searchStats
	tokenCache  tokenCache
	batching    Batching
	intake      intakeQueue
	// times are the sorted reaction and resolution times of month parts
	// of HQ's periods and filters, each with the version of the requests
	// it was read at (Percentiles).
	times *lru.Cache[string, *monthTimes]
	// timeReads makes concurrent readers of one part, filter and version
	// read its times once.
	timeReads singleflight.Group
}

var _ core.Store = (*Store)(nil)

// Option configures a Store.
type Option func(*Store)

// WithClock makes the Store read the time from now instead of time.Now (the
// routing memo's age).
func WithClock(now func() time.Time) Option {
	return func(s *Store) {
		if now != nil {
			s.now = now
		}
	}
}

// New returns the store of the city behind scope, with empty caches.
func New(scope Scope, opts ...Option) *Store {
	times, err := lru.New[string, *monthTimes](timesMemoSize)
	if err != nil {
		panic(err) // only for a size below one
	}
	s := &Store{scope: scope, now: time.Now, batching: DefaultBatching, times: times}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Scope returns the city scope the store works in.
func (s *Store) Scope() Scope { return s.scope }

// IsUniqueViolation reports whether err is a unique-constraint failure on
// either backend.
func IsUniqueViolation(err error) bool {
	var pg interface{ Field(byte) string }
	if errors.As(err, &pg) {
		return pg.Field('C') == "23505"
	}
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// notFound translates sql.ErrNoRows into the domain sentinel.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return core.NotFound(what)
	}
	return err
}

// IntakeLookup implements core.Store: the category and building a new
// request names, with field errors for unknown ones.
func (s *Store) IntakeLookup(ctx context.Context, categoryCode string, buildingID *int64) (*core.Category, *core.Building, error) {
	// The category comes from the memoized directory routing reads anyway,
	// the building from the building cache.
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, nil, err
	}
	f := core.FieldErrors{}
	var cat *core.Category
	for i := range m.dir.Categories {
		if c := m.dir.Categories[i]; c.Code == categoryCode && c.Active {
			cat = &c
		}
	}
	if cat == nil {
		f.Add("category", "error.unknown_category", "Code", categoryCode)
	}
	var b *core.Building
	if buildingID != nil {
		b, err = s.building(ctx, *buildingID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			f.Add("building_id", "error.no_building")
		case err != nil:
			return nil, nil, err
		}
	}
	if err := f.Err(); err != nil {
		return nil, nil, err
	}
	return cat, b, nil
}

// RequestByKey implements core.Store: the request a user created with an
// idempotency key.
func (s *Store) RequestByKey(ctx context.Context, userID int64, key string) (r *core.Request, err error) {
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err = byIdempotencyKey(ctx, tx, userID, key)
		return err
	})
	return r, err
}

func requestByID(ctx context.Context, tx bun.IDB, id int64) (*core.Request, error) {
	r := new(core.Request)
	err := selectRequests(tx, r).Where("r.id = ?", id).Scan(ctx)
	return r, notFound(err, "request")
}

func byIdempotencyKey(ctx context.Context, tx bun.IDB, userID int64, key string) (*core.Request, error) {
	r := new(core.Request)
	err := selectRequests(tx, r).Where("r.created_by = ? AND r.idempotency_key = ?", userID, key).Scan(ctx)
	return r, notFound(err, "request")
}

// provisionalNumber is a new request's number until it is given its own.
func provisionalNumber() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported platforms
	return "tmp-" + hex.EncodeToString(b)
}

// selectRequests selects requests with the codes of their category and
// organizations, aliased r.
func selectRequests(db bun.IDB, dest any) *bun.SelectQuery {
	return db.NewSelect().Model(dest).ModelTableExpr("requests AS r").
		ColumnExpr("r.*").ColumnExpr("c.code AS category_code").
		ColumnExpr("coalesce(o.code, '') AS organization_code").ColumnExpr("coalesce(x.code, '') AS executor_code").
		ColumnExpr("coalesce(f.number, '') AS follows_number").
		Join("JOIN categories AS c ON c.id = r.category_id").
		Join("LEFT JOIN organizations AS o ON o.id = r.organization_id").
		Join("LEFT JOIN organizations AS x ON x.id = r.executor_id").
		Join("LEFT JOIN requests AS f ON f.id = r.follows_id")
}

// scopeRequests confines a request query to what the actor may see.
func scopeRequests(q *bun.SelectQuery, a core.Actor) *bun.SelectQuery {
	switch {
	case a.SeesAllRequests():
		return q
	case a.Role == core.RoleCitizen:
		// Their own requests and those they joined as a co-applicant.
		return q.Where("(r.citizen_id = ? OR r.created_by = ? OR r.id IN (SELECT ca.request_id FROM co_applicants AS ca WHERE ca.citizen_id = ?))",
			a.UserID, a.UserID, a.UserID)
	case (a.Role == core.RoleOrgOperator || a.Role == core.RoleOrgManager) && a.OrganizationID != 0:
		return q.Where("(r.organization_id = ? OR r.executor_id = ?)", a.OrganizationID, a.OrganizationID)
	default:
		return q.Where("1 = 0")
	}
}

// RequestByNumber implements core.Store.
func (s *Store) RequestByNumber(ctx context.Context, a core.Actor, number string) (*core.Request, error) {
	r := new(core.Request)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return scopeRequests(selectRequests(tx, r), a).Where("r.number = ?", number).Scan(ctx)
	})
	return r, notFound(err, "request")
}

// ListRequests implements core.Store. Category, district and organization
// codes are resolved to ids from the routing memo first, so the planner sees
// plain values and walks the (column, id) indexes; a page of a creation-time
// range walks the creation-time index, newest first.
func (s *Store) ListRequests(ctx context.Context, a core.Actor, q core.RequestQuery) (*core.RequestPage, error) {
	page := &core.RequestPage{Total: -1}
	ids, err := s.filterIDs(ctx, q)
	if err != nil {
		return nil, err
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		byCreation := q.CreatedFrom != nil || q.CreatedTo != nil
		if len(ids.search.Words) > 0 && ids.postgres {
			var err error
			if ids.expanded, err = expandWords(ctx, tx, ids.search.Words); err != nil {
				return err
			}
		}
		if len(ids.search.Words) > 0 && ids.postgres && !byCreation {
			mode, err := s.searchMode(ctx, tx, a, q, ids)
			if err != nil {
				return err
			}
			// The ids in [lo, hi) that f's filters keep (lo 0: no lower bound).
			window := func(f *filterIDs, lo, hi int64) *bun.SelectQuery {
				in := filterRequests(scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a), q, f).
					Where("r.id < ?", hi)
				if lo > 0 {
					in = in.Where("r.id >= ?", lo)
				}
				return in
			}
			if err := searchPage(ctx, tx, q, mode, func(dest *[]core.Request, walked bool, lo, hi int64) *bun.SelectQuery {
				if walked {
					// The window's rows newest first by the primary key,
					// each checked for the words, until the page is full.
					checked := *ids
					checked.walk = true
					return selectRequests(tx, dest).Where("r.id IN (?)", window(&checked, lo, hi).OrderExpr("r.id DESC").Limit(q.Limit+1))
				}
				// The window's rows from the text and primary key indexes,
				// planned apart from the page's order (OFFSET 0), then theirs.
				return selectRequests(tx, dest).
					Where("r.id IN (SELECT m.id FROM (SELECT * FROM (?) AS i OFFSET 0) AS m ORDER BY m.id DESC LIMIT ?)", window(ids, lo, hi), q.Limit+1)
			}, &page.Items); err != nil {
				return err
			}
		} else if err := listPage(ctx, filterRequests(scopeRequests(selectRequests(tx, &page.Items), a), q, ids), q, byCreation); err != nil {
			return err
		}
		if len(page.Items) > q.Limit {
			page.Items = page.Items[:q.Limit]
			page.NextID = page.Items[q.Limit-1].ID
		}
		if q.WithTotal {
			n, err := filterRequests(scopeRequests(tx.NewSelect().TableExpr("requests AS r"), a), q, ids).Count(ctx)
			page.Total = n
			return err
		}
		return nil
	})
	return page, err
}

// listPage reads up to q.Limit+1 rows of sel newest first: by id, or by
// creation time for a creation-time range.
func listPage(ctx context.Context, sel *bun.SelectQuery, q core.RequestQuery, byCreation bool) error {
	sel = sel.Limit(q.Limit + 1)
	switch {
	case byCreation && q.BeforeID > 0:
		sel = sel.Where("(r.created_at, r.id) < (SELECT k.created_at, k.id FROM requests AS k WHERE k.id = ?)", q.BeforeID)
	case q.BeforeID > 0:
		sel = sel.Where("r.id < ?", q.BeforeID)
	}
	if byCreation {
		sel = sel.Order("r.created_at DESC", "r.id DESC")
	} else {
		sel = sel.Order("r.id DESC")
	}
	return sel.Scan(ctx)
}

// searchWindow is the span of ids the first window of a word search
// covers; each next window is searchGrowth times wider, the last of
// searchSteps reaches the first request.
var searchWindow int64 = 1 << 16

// searchWalkWindow is the span of ids a word search of common words reads
// through the primary key before it asks the text index (searchWalk): at
// some 9 µs a row checked, at most ~75 ms when the words turn out rare
// among the newest requests.
var searchWalkWindow int64 = 2 * searchWalkRows

const (
	searchGrowth = 8
	searchSteps  = 3
)

// searchPage reads up to q.Limit+1 rows of a word search on PostgreSQL,
// newest first, in windows of ids walked downwards: the text index finds
// the words' rows, the primary key bounds them to the window, so a page
// of common words reads the newest rows only, not every row holding them,
// and rare words reach back through wider windows. In mode searchWalk the
// first window is the newest searchWalkWindow ids read through the primary
// key alone; in mode searchWhole the one window is the whole city. The
// rows are those of one query ordered by id: the windows cut the ids
// without gaps or overlap. sel builds the filtered query of the ids in
// [lo, hi) into dest (lo 0: no lower bound), walked or from the text index.
func searchPage(ctx context.Context, tx bun.Tx, q core.RequestQuery, mode searchMode,
	sel func(dest *[]core.Request, walked bool, lo, hi int64) *bun.SelectQuery, out *[]core.Request) error {
	hi := q.BeforeID
	if hi <= 0 {
		if err := tx.NewRaw("SELECT coalesce(max(id), 0) + 1 FROM requests").Scan(ctx, &hi); err != nil {
			return err
		}
	}
	want := q.Limit + 1
	read := func(walked bool, lo, hi int64) error {
		var rows []core.Request
		if err := sel(&rows, walked, lo, hi).Order("r.id DESC").Limit(want - len(*out)).Scan(ctx); err != nil {
			return err
		}
		*out = append(*out, rows...)
		return nil
	}
	if mode == searchWalk {
		lo := max(hi-searchWalkWindow, 0)
		if err := read(true, lo, hi); err != nil {
			return err
		}
		hi = lo
	}
	width := searchWindow
	for step := 1; len(*out) < want && hi > 1; step++ {
		lo := int64(0)
		if step < searchSteps && mode != searchWhole {
			lo = hi - width
		}
		if err := read(false, lo, hi); err != nil {
			return err
		}
		hi, width = lo, width*searchGrowth
	}
	return nil
}

// filterIDs resolves the codes a request query names to ids.
func (s *Store) filterIDs(ctx context.Context, q core.RequestQuery) (*filterIDs, error) {
	if q.Category == "" && q.District == "" && q.Organization == "" && q.Text == "" {
		return &filterIDs{}, nil
	}
	m, err := s.routingInputs(ctx)
	if err != nil {
		return nil, err
	}
	ids := &filterIDs{postgres: s.scope.Postgres()}
	if q.Text != "" {
		ids.search = core.ParseSearch(q.Text, m.phoneRegion)
	}
	for _, c := range m.dir.Categories {
		if q.Category != "" && (c.Code == q.Category || c.GroupCode == q.Category) {
			ids.categories = append(ids.categories, c.ID)
		}
	}
	for _, d := range m.dir.Districts {
		if q.District != "" && d.Code == q.District {
			ids.districts = append(ids.districts, d.ID)
		}
	}
	for _, o := range m.dir.Organizations {
		if q.Organization != "" && o.Code == q.Organization {
			ids.organizations = append(ids.organizations, o.ID)
		}
	}
	return ids, nil
}

// RequestEvents implements core.Store: the history of a request the actor can see.
func (s *Store) RequestEvents(ctx context.Context, a core.Actor, requestID int64) ([]core.RequestEvent, error) {
	var evs []core.RequestEvent
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		visible := scopeRequests(tx.NewSelect().TableExpr("requests AS r").Column("r.id"), a).Where("r.id = ?", requestID)
		q := tx.NewSelect().Model(&evs).Where("request_id IN (?)", visible).Order("id")
		if !a.SeesAllRequests() && a.Role == core.RoleCitizen {
			q = q.Where("public")
		}
		return q.Scan(ctx)
	})
	return evs, err
}

// UserByLogin implements core.Store.
func (s *Store) UserByLogin(ctx context.Context, login string) (*core.User, error) {
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(u).Where("login = ?", login).Scan(ctx)
	})
	return u, notFound(err, "user")
}

// CreateToken implements core.Store.
func (s *Store) CreateToken(ctx context.Context, t *core.Token) error {
	return s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewInsert().Model(t).Exec(ctx)
		return err
	})
}

// ActorByUserID implements core.Store: the actor of an active account,
// ENOTFOUND for an unknown or inactive one.
func (s *Store) ActorByUserID(ctx context.Context, id int64) (core.Actor, error) {
	u := new(core.User)
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(u).Where("id = ? AND active AND login NOT LIKE '~%'", id).Scan(ctx)
	})
	if err != nil {
		return core.Actor{}, notFound(err, "user")
	}
	return actorOf(u), nil
}

func actorOf(u *core.User) core.Actor {
	a := core.Actor{UserID: u.ID, Role: u.Role, Name: u.Name, Phone: u.Phone, Email: u.Email}
	if u.OrganizationID != nil {
		a.OrganizationID = *u.OrganizationID
	}
	return a
}

// ActorByToken implements core.Store. Only login sessions and API tokens
// authenticate: an invitation (or any other kind of token) is not found.
// A token checked in the last TokenCacheTTL is answered from memory, never
// past its own expiry.
func (s *Store) ActorByToken(ctx context.Context, hash string, now time.Time) (core.Actor, error) {
	cache := s.tokens()
	if a, ok := cache.get(hash, now); ok {
		return a, nil
	}
	var row struct {
		core.User
		ExpiresAt time.Time `bun:"token_expires_at"`
	}
	err := s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&row.User).ModelTableExpr("users AS u").ColumnExpr("u.*").
			ColumnExpr("t.expires_at AS token_expires_at").
			Join("JOIN tokens AS t ON t.user_id = u.id").
			Where("t.hash = ? AND t.kind IN (?, ?) AND t.revoked_at IS NULL AND t.expires_at > ? AND u.active",
				hash, core.TokenKindLogin, core.TokenKindAPI, now.UTC()).
			Scan(ctx, &row)
	})
	if err != nil {
		return core.Actor{}, notFound(err, "token")
	}
	a := actorOf(&row.User)
	until := now.Add(TokenCacheTTL)
	if row.ExpiresAt.Before(until) {
		until = row.ExpiresAt
	}
	cache.put(hash, a, until)
	return a, nil
}
