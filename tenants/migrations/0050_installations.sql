-- Dedicated installations of the vendor's fleet: each reports over a
-- heartbeat authenticated by its own token (kept as a hash only).
CREATE TABLE {{C}}installations (
	id {{ID}},
	name TEXT NOT NULL UNIQUE,
	token_hash TEXT NOT NULL UNIQUE,
	created_at {{TS}} NOT NULL,
	revoked_at {{TS}},
	version TEXT NOT NULL DEFAULT '',
	health TEXT NOT NULL DEFAULT '',
	cities INTEGER NOT NULL DEFAULT 0,
	requests BIGINT NOT NULL DEFAULT 0,
	schema_versions TEXT NOT NULL DEFAULT '',
	last_heartbeat_at {{TS}}
);
