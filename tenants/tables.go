package tenants

import "github.com/uptrace/bun"

// ControlTable names a control-plane table for packages built on the
// backend (access policies, vendor tokens): schema-qualified on PostgreSQL.
func (b *Backend) ControlTable(name string) bun.Ident { return b.table(name) }
