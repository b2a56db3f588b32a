CREATE TABLE {{C}}casbin_rule (
	id {{ID}},
	ptype TEXT NOT NULL,
	v0 TEXT NOT NULL DEFAULT '',
	v1 TEXT NOT NULL DEFAULT '',
	v2 TEXT NOT NULL DEFAULT '',
	v3 TEXT NOT NULL DEFAULT '',
	v4 TEXT NOT NULL DEFAULT '',
	v5 TEXT NOT NULL DEFAULT ''
);

CREATE UNIQUE INDEX casbin_rule_unique_idx ON {{C}}casbin_rule (ptype, v0, v1, v2, v3, v4, v5);
CREATE INDEX casbin_rule_p_domain_idx ON {{C}}casbin_rule (v1) WHERE ptype = 'p';
CREATE INDEX casbin_rule_g_domain_idx ON {{C}}casbin_rule (v2) WHERE ptype = 'g';

CREATE TABLE {{C}}casbin_versions (
	domain TEXT PRIMARY KEY,
	version BIGINT NOT NULL,
	defaults TEXT NOT NULL DEFAULT '',
	seeded TEXT NOT NULL DEFAULT ''
);

CREATE TABLE {{C}}vendor_tokens (
	id {{ID}},
	hash TEXT NOT NULL UNIQUE,
	vendor_user_id BIGINT NOT NULL REFERENCES {{C}}vendor_users (id) ON DELETE CASCADE,
	expires_at {{TS}} NOT NULL,
	created_at {{TS}} NOT NULL,
	revoked_at {{TS}}
)
;

CREATE TABLE {{C}}vendor_login_failures (
	login TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	locked_until {{TS}},
	updated_at {{TS}} NOT NULL
)
