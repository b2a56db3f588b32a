package store

import (
	"context"
	"strconv"
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

// searchPendingLimit is the most the PostgreSQL text index keeps in its
// pending list, in kB (gin_pending_list_limit; PostgreSQL's default is
// 4 MB). New documents wait in that list until it overflows or a vacuum
// merges it into the index, and every search reads the whole list: after
// the bench's intake runs it held 360 pages (9,372 documents) and a word
// search's median grew from 9 ms to 15 ms. 128 kB is at most 16 pages
// read by a search; the cost of merging them moves to the insert that
// overflows the list, 128 kB at a time.
const searchPendingLimit = 128

// searchPending bounds the pending list of the PostgreSQL text index
// (searchPendingLimit).
func searchPending(ctx context.Context, tx bun.Tx, postgres bool) error {
	if !postgres {
		return nil
	}
	_, err := tx.ExecContext(ctx, "ALTER INDEX requests_search_idx SET (gin_pending_list_limit = "+
		strconv.Itoa(searchPendingLimit)+")")
	return err
}

// searchWords is the lexicon of the PostgreSQL text index: every word of
// every request's search document, as the index holds it, kept by a
// trigger on every insert and change of a document (words of changed
// documents stay: they find nothing). A search word, which matches the
// document words it begins, is looked up here first and asks the index
// for those words exactly: the index answers a prefix by collecting
// every row of every word it begins before it can intersect the words,
// which for a common word of a big city is most of the query's time.
var searchWords = []string{
	`CREATE TABLE search_words (word TEXT COLLATE "C" PRIMARY KEY)`,
	`CREATE FUNCTION requests_search_words() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO search_words (word) SELECT unnest(tsvector_to_array(to_tsvector('simple', NEW.search_text)))
			ON CONFLICT DO NOTHING;
		RETURN NULL;
	END $$`,
	`CREATE TRIGGER requests_search_words AFTER INSERT OR UPDATE OF search_text ON requests
		FOR EACH ROW EXECUTE FUNCTION requests_search_words()`,
	`INSERT INTO search_words (word) SELECT word FROM ts_stat('SELECT to_tsvector(''simple'', search_text) FROM requests')
		ON CONFLICT DO NOTHING`,
}

// searchLexicon creates the lexicon of the text index on PostgreSQL
// (searchWords).
func searchLexicon(ctx context.Context, tx bun.Tx, postgres bool) error {
	if !postgres {
		return nil
	}
	for _, q := range searchWords {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// maxExpansion bounds the document words one search word is expanded to;
// a word beginning more is asked of the index as a prefix.
const maxExpansion = 64

// expandWords looks the search words (but numbers, which match only
// themselves) up in the lexicon: the document words each begins, nil for a
// word beginning more than maxExpansion (left a prefix).
func expandWords(ctx context.Context, tx bun.Tx, words []string) (map[string][]string, error) {
	out := map[string][]string{}
	for _, w := range words {
		if core.Digits(w) {
			continue
		}
		var found []string
		if err := tx.NewRaw("SELECT word FROM search_words WHERE word LIKE ? ORDER BY word LIMIT ?",
			w+"%", maxExpansion+1).Scan(ctx, &found); err != nil {
			return nil, err
		}
		if len(found) > maxExpansion {
			found = nil
		} else if found == nil {
			found = []string{}
		}
		out[w] = found
	}
	return out, nil
}

// searchWhere is the condition of a search on requests AS r: its number,
// its applicant's phone, or every word in its search document. A search
// that names nothing matches nothing. On PostgreSQL, expanded holds the
// document words each search word begins (expandWords), when looked up.
func searchWhere(sel *bun.SelectQuery, s core.Search, postgres bool, expanded map[string][]string) *bun.SelectQuery {
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
			exp, looked := expanded[w]
			switch {
			case postgres && core.Digits(w):
				terms[i] = w
			case postgres && looked && len(exp) == 0:
				return q.WhereOr("1 = 0") // a word no document holds: only the number or phone may match
			case postgres && exp != nil:
				quoted := make([]string, len(exp))
				for j, x := range exp {
					quoted[j] = "'" + strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(x) + "'"
				}
				terms[i] = "(" + strings.Join(quoted, " | ") + ")"
			case postgres:
				terms[i] = w + ":*"
			case core.Digits(w):
				terms[i] = `"` + w + `"`
			default:
				terms[i] = `"` + w + `"*`
			}
		}
		if postgres && expanded != nil {
			// Lexicon words as they are, never parsed again.
			return q.WhereOr("to_tsvector('simple', r.search_text) @@ ?::tsquery", strings.Join(terms, " & "))
		}
		if postgres {
			return q.WhereOr("to_tsvector('simple', r.search_text) @@ to_tsquery('simple', ?)", strings.Join(terms, " & "))
		}
		return q.WhereOr("r.id IN (SELECT rowid FROM requests_fts WHERE requests_fts MATCH ?)", strings.Join(terms, " AND "))
	})
}
