package store

import (
	"context"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// The text index of requests, by database: on PostgreSQL a GIN index of
// the search document's full-text vector (the "simple" configuration: the
// document is folded and the words are stemmed by core already, so both
// databases match alike); on SQLite an FTS5 table over the same document,
// kept by triggers on every insert, change and removal of a request.
var (
	pgSearchIndex = []string{
		`CREATE INDEX IF NOT EXISTS requests_search_idx ON requests USING GIN (to_tsvector('simple', search_text))`,
	}
	sqliteSearchIndex = []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS requests_fts USING fts5(search_text, content='requests', content_rowid='id', tokenize='unicode61 remove_diacritics 0')`,
		`CREATE TRIGGER IF NOT EXISTS requests_fts_insert AFTER INSERT ON requests BEGIN
			INSERT INTO requests_fts (rowid, search_text) VALUES (new.id, new.search_text); END`,
		`CREATE TRIGGER IF NOT EXISTS requests_fts_delete AFTER DELETE ON requests BEGIN
			INSERT INTO requests_fts (requests_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text); END`,
		`CREATE TRIGGER IF NOT EXISTS requests_fts_update AFTER UPDATE OF search_text ON requests BEGIN
			INSERT INTO requests_fts (requests_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
			INSERT INTO requests_fts (rowid, search_text) VALUES (new.id, new.search_text); END`,
		`INSERT INTO requests_fts (requests_fts) VALUES ('rebuild')`,
	}
)

// requestSearch writes every request's search document anew
// (core.SearchDocument: name, address and description, folded) and builds
// the database's text index over it.
func requestSearch(ctx context.Context, tx bun.Tx, postgres bool) error {
	var last int64
	for {
		var rows []struct {
			ID            int64  `bun:"id"`
			ApplicantName string `bun:"applicant_name"`
			Address       string `bun:"address"`
			Description   string `bun:"description"`
			SearchText    string `bun:"search_text"`
		}
		err := tx.NewRaw(`SELECT id, applicant_name, address, description, search_text FROM requests
			WHERE id > ? ORDER BY id LIMIT 2000`, last).Scan(ctx, &rows)
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			break
		}
		for _, r := range rows {
			doc := core.SearchDocument(&core.Request{ApplicantName: r.ApplicantName, Address: r.Address, Description: r.Description})
			if doc != r.SearchText {
				if _, err := tx.NewRaw("UPDATE requests SET search_text = ? WHERE id = ?", doc, r.ID).Exec(ctx); err != nil {
					return err
				}
			}
			last = r.ID
		}
	}
	stmts := sqliteSearchIndex
	if postgres {
		stmts = pgSearchIndex
	}
	for _, q := range stmts {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// searchWhere is the condition of a search on requests AS r: its number,
// its applicant's phone, or every word in its search document. A search
// that names nothing matches nothing.
func searchWhere(sel *bun.SelectQuery, s core.Search, postgres bool) *bun.SelectQuery {
	if s.Empty() {
		return sel.Where("1 = 0")
	}
	return sel.WhereGroup(" AND ", func(q *bun.SelectQuery) *bun.SelectQuery {
		if s.Number != "" {
			q = q.WhereOr("r.number = ?", s.Number)
		}
		if s.Phone != "" {
			q = q.WhereOr("r.applicant_phone = ?", s.Phone)
		}
		if len(s.Words) == 0 {
			return q
		}
		terms := make([]string, len(s.Words))
		for i, w := range s.Words {
			// Words are letters and digits only (core.ParseSearch).
			switch {
			case postgres && core.Digits(w):
				terms[i] = w
			case postgres:
				terms[i] = w + ":*"
			case core.Digits(w):
				terms[i] = `"` + w + `"`
			default:
				terms[i] = `"` + w + `"*`
			}
		}
		if postgres {
			return q.WhereOr("to_tsvector('simple', r.search_text) @@ to_tsquery('simple', ?)", strings.Join(terms, " & "))
		}
		return q.WhereOr("r.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?)", strings.Join(terms, " AND "))
	})
}
