CREATE TABLE users (
	id {{ID}},
	login TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	password_hash TEXT NOT NULL,
	role TEXT NOT NULL,
	organization_id BIGINT REFERENCES organizations (id),
	active BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{TS}} NOT NULL
);

CREATE TABLE tokens (
	id {{ID}},
	hash TEXT NOT NULL UNIQUE,
	user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at {{TS}} NOT NULL,
	created_at {{TS}} NOT NULL,
	revoked_at {{TS}}
);
