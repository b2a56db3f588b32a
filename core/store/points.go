package store

import (
	"context"
	"fmt"
	"regexp"

	"github.com/uptrace/bun"
)

// buildingPoints lets a building's coordinates be unknown (NULL). Before
// it a registry file without coordinates stored 0,0, which puts a building
// in the Gulf of Guinea; such points become unknown too.
func buildingPoints(ctx context.Context, tx bun.Tx, postgres bool) error {
	if postgres {
		if _, err := tx.ExecContext(ctx, `ALTER TABLE buildings ALTER COLUMN lat DROP NOT NULL, ALTER COLUMN lat DROP DEFAULT,
			ALTER COLUMN lon DROP NOT NULL, ALTER COLUMN lon DROP DEFAULT`); err != nil {
			return err
		}
	} else if err := rebuildSQLiteTable(ctx, tx, "buildings", notNullPoint, "$1 DOUBLE PRECISION"); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, "UPDATE buildings SET lat = NULL, lon = NULL WHERE lat = 0 AND lon = 0")
	return err
}

// notNullPoint is a coordinate column as the first migration made it.
var notNullPoint = regexp.MustCompile(`(?i)\b(lat|lon)\s+DOUBLE PRECISION\s+NOT NULL\s+DEFAULT 0`)

// rebuildSQLiteTable changes the definition of a SQLite table, which
// SQLite cannot alter in place: its CREATE statement with re replaced by
// repl, the rows copied over and its indexes made again, in the
// migration's transaction. Rows of other tables keep referring to it:
// foreign keys are checked at commit (defer_foreign_keys), when the rows
// are back. A table whose definition re does not match is left as it is.
func rebuildSQLiteTable(ctx context.Context, tx bun.Tx, table string, re *regexp.Regexp, repl string) error {
	var ddl string
	if err := tx.NewRaw("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", table).Scan(ctx, &ddl); err != nil {
		return fmt.Errorf("%s: %w", table, err)
	}
	if !re.MatchString(ddl) {
		return nil
	}
	var indexes []string
	if err := tx.NewRaw("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL", table).Scan(ctx, &indexes); err != nil {
		return err
	}
	id := bun.Ident(table)
	copyOf := bun.Ident(table + "_rebuild")
	steps := []struct {
		q    string
		args []any
	}{
		{"PRAGMA defer_foreign_keys = ON", nil},
		{"CREATE TABLE ? AS SELECT * FROM ?", []any{copyOf, id}},
		{"DROP TABLE ?", []any{id}},
		{"INSERT INTO ? SELECT * FROM ?", []any{id, copyOf}},
		{"DROP TABLE ?", []any{copyOf}},
	}
	for i, s := range steps {
		if i == 3 { // the table anew, once its rows are copied away
			if _, err := tx.ExecContext(ctx, re.ReplaceAllString(ddl, repl)); err != nil {
				return fmt.Errorf("rebuild %s: %w", table, err)
			}
		}
		if _, err := tx.NewRaw(s.q, s.args...).Exec(ctx); err != nil {
			return fmt.Errorf("rebuild %s: %w", table, err)
		}
	}
	for _, ix := range indexes {
		if _, err := tx.ExecContext(ctx, ix); err != nil {
			return fmt.Errorf("rebuild %s: %w", table, err)
		}
	}
	return nil
}
