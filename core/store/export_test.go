package store

import (
	"context"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// RebuildSQLiteTable lets the tests put a table back in an older shape.
var RebuildSQLiteTable = rebuildSQLiteTable

// SetSearchWindow narrows the first id window of a word search to n ids
// until the returned func puts it back.
func SetSearchWindow(n int64) (restore func()) {
	old := searchWindow
	searchWindow = n
	return func() { searchWindow = old }
}

// SetSearchWalkWindow narrows the span of ids a word search of common
// words walks to n until the returned func puts it back.
func SetSearchWalkWindow(n int64) (restore func()) {
	old := searchWalkWindow
	searchWalkWindow = n
	return func() { searchWalkWindow = old }
}

// SetSearchWhole lets searchMode read a search of rare words across the
// whole city at once, or not, until the returned func puts it back.
func SetSearchWhole(allowed bool) (restore func()) {
	old := searchWholeAllowed
	searchWholeAllowed = allowed
	return func() { searchWholeAllowed = old }
}

// SearchMode reports how a dispatcher's search of text reads its page:
// "walk", "whole" or "windows" (searchMode).
func (s *Store) SearchMode(ctx context.Context, text string) (mode string, err error) {
	q := core.RequestQuery{Text: text, Limit: 50}
	ids, err := s.filterIDs(ctx, q)
	if err != nil || !ids.postgres {
		return "", err
	}
	err = s.scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if ids.expanded, err = expandWords(ctx, tx, ids.search.Words); err != nil {
			return err
		}
		m, err := s.searchMode(ctx, tx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, q, ids)
		mode = [...]string{searchWindows: "windows", searchWalk: "walk", searchWhole: "whole"}[m]
		return err
	})
	return mode, err
}
