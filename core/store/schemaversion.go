package store

import "context"

// SchemaVersion is the city's schema version: the number of the latest
// migration applied to its storage (0 for none), read from its ledger.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	v, _, err := Status(ctx, s.scope)
	return v, err
}
