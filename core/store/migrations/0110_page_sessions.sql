CREATE TABLE page_sessions (
	hash TEXT PRIMARY KEY,
	user_id BIGINT NOT NULL,
	data {{BYTES}} NOT NULL,
	expires_at {{TS}} NOT NULL
);

CREATE INDEX page_sessions_user_idx ON page_sessions (user_id);

CREATE INDEX page_sessions_expires_idx ON page_sessions (expires_at)
