package tenants

import "github.com/uptrace/bun"

// ControlTable implements ControlPlane: it names a control-plane table for
// packages that keep their own tables there (billing, access policies):
// schema-qualified on PostgreSQL, plain in SQLite's control.db.
func (b *Backend) ControlTable(name string) bun.Ident { return b.table(name) }
