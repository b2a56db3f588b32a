CREATE TABLE {{C}}vendor_sessions (
	hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL,
	data {{BYTES}} NOT NULL,
	expires_at {{TS}} NOT NULL
);

CREATE INDEX vendor_sessions_user_idx ON {{C}}vendor_sessions (user_id);

CREATE INDEX vendor_sessions_expires_idx ON {{C}}vendor_sessions (expires_at)
