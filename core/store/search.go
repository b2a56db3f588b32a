package store

import (
	"context"
	"database/sql"
	"strconv"
	"strings"
	"sync"
	"time"

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

// searchStatsTTL is how long a Store reuses its text index's statistics
// (wordShares). ANALYZE renews them, after a tenth of the city's requests
// changed; asking PostgreSQL for them cost 4 to 7 ms a search.
const searchStatsTTL = 10 * time.Minute

// searchStats is a Store's memo of its text index's statistics.
type searchStats struct {
	mu       sync.Mutex
	loadedAt time.Time          // by the Store's clock; zero: never loaded
	listed   map[string]float64 // share of documents by word; empty without statistics
	least    float64            // the least share listed
}

// wordShares returns the share of documents (0 to 1) that hold each
// search word, from PostgreSQL's statistics of the text index
// (pg_stats.most_common_elems and most_common_elem_freqs of
// requests_search_idx, kept by ANALYZE; memoized for searchStatsTTL): a
// word expanded to document words holds the sum of theirs, a word or
// number the statistics do not list the least share they list, and a
// prefix not expanded (it begins more than maxExpansion words) all
// documents. It returns nil when the index has no statistics yet.
func (s *Store) wordShares(ctx context.Context, tx bun.Tx, words []string, expanded map[string][]string) (map[string]float64, error) {
	m := &s.searchStats
	m.mu.Lock()
	defer m.mu.Unlock()
	if now := s.now(); m.loadedAt.IsZero() || now.Sub(m.loadedAt) > searchStatsTTL || now.Before(m.loadedAt) {
		var rows []struct {
			Elem  sql.NullString `bun:"elem"`
			Share float64        `bun:"share"`
		}
		// most_common_elem_freqs ends with the least and the greatest
		// share listed and the share of empty documents: the first after
		// the elements is the least.
		err := tx.NewRaw(`SELECT u.elem, u.share FROM pg_stats AS s,
			unnest(s.most_common_elems::text::text[], s.most_common_elem_freqs) WITH ORDINALITY AS u(elem, share, i)
			WHERE s.schemaname = current_schema() AND s.tablename = 'requests_search_idx'
			AND (u.elem IS NOT NULL OR u.i = cardinality(s.most_common_elems) + 1)`).Scan(ctx, &rows)
		if err != nil {
			return nil, err
		}
		m.listed, m.least, m.loadedAt = map[string]float64{}, 0, now
		for _, r := range rows {
			if r.Elem.Valid {
				m.listed[r.Elem.String] = r.Share
			} else {
				m.least = r.Share
			}
		}
	}
	if len(m.listed) == 0 {
		return nil, nil
	}
	share := func(x string) float64 {
		if f, ok := m.listed[x]; ok {
			return f
		}
		return m.least
	}
	out := map[string]float64{}
	for _, w := range words {
		exp, looked := expanded[w]
		switch {
		case core.Digits(w):
			out[w] = share(w)
		case looked && exp == nil:
			out[w] = 1
		default:
			for _, x := range exp {
				out[w] += share(x)
			}
			out[w] = min(out[w], 1)
		}
	}
	return out, nil
}

// searchWhere is the condition of the search of ids on requests AS r: its
// number, its applicant's phone, or every word in its search document. A
// search that names nothing matches nothing. On PostgreSQL, ids.expanded
// holds the document words each search word begins (expandWords), when
// looked up, and ids.walk asks for the words to be checked on each row
// read rather than found by the text index.
func searchWhere(sel *bun.SelectQuery, ids *filterIDs) *bun.SelectQuery {
	s, postgres, expanded := ids.search, ids.postgres, ids.expanded
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
		if postgres && ids.walk {
			// @@ as the function it stands for: no index answers a call.
			return q.WhereOr("ts_match_vq(to_tsvector('simple', r.search_text), ?::tsquery)", strings.Join(terms, " & "))
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

// How a word search on PostgreSQL reads its page (searchMode).
type searchMode int

const (
	// searchWindows asks the text index for the words' rows in windows of
	// ids walked downwards (searchPage).
	searchWindows searchMode = iota
	// searchWalk reads the newest searchWalkWindow ids through the primary
	// key, checking each row for the words, then goes on in windows.
	searchWalk
	// searchWhole asks the text index for the words' rows across the whole
	// city at once: they are few.
	searchWhole
)

// searchWalkRows is the most rows a walk expects to read for a page
// (searchMode).
const searchWalkRows = 4000

// searchWholeAllowed lets searchMode choose searchWhole; the tests turn
// it off to walk rare words through windows too.
var searchWholeAllowed = true

// searchMode chooses how a word search on PostgreSQL reads its page, by
// the share of documents expected to hold all its words (wordShares,
// taken as independent):
//   - searchWalk when a page is expected within searchWalkRows rows: the
//     text index would collect every row holding the words across the
//     whole city first ("лифт", in 7 % of the bench city's 2 million
//     documents, took 280 ms that way, 16 ms walked). Only a search by
//     words alone walks, of a caller who sees every request, with no
//     other filter: a filter or a narrower scope thins the rows by a share
//     the estimate does not know. A walk never reads past its window,
//     however wrong the estimate.
//   - searchWhole when the first window of ids (searchWindow) is not
//     expected to fill the page: the whole city holds at most some 1,600
//     rows with the words in 2 million, and each window would intersect
//     the index's rows with a range of the primary key of up to half a
//     million ids ("Житель 414": 33 ms in two windows, 12 ms at once).
//   - searchWindows otherwise, and without statistics.
func (s *Store) searchMode(ctx context.Context, tx bun.Tx, a core.Actor, q core.RequestQuery, ids *filterIDs) (searchMode, error) {
	search := ids.search
	if search.Number != "" || search.Phone != "" {
		return searchWindows, nil
	}
	shares, err := s.wordShares(ctx, tx, search.Words, ids.expanded)
	if err != nil || shares == nil {
		return searchWindows, err
	}
	expect := 1.0
	for _, w := range search.Words {
		expect *= shares[w]
	}
	everyone := a.SeesAllRequests() && len(q.Statuses) == 0 &&
		q.Category == "" && q.District == "" && q.Organization == "" && !q.Overdue
	switch {
	case everyone && expect*searchWalkRows >= float64(q.Limit+1):
		return searchWalk, nil
	case searchWholeAllowed && expect*float64(searchWindow) < float64(q.Limit+1):
		return searchWhole, nil
	}
	return searchWindows, nil
}
