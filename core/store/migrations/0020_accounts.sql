ALTER TABLE tokens ADD COLUMN name TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'session';
ALTER TABLE tokens ADD COLUMN role TEXT NOT NULL DEFAULT '';
CREATE INDEX tokens_user_idx ON tokens (user_id, kind);

CREATE TABLE login_failures (
	login TEXT PRIMARY KEY,
	failures INTEGER NOT NULL,
	locked_until {{TS}},
	updated_at {{TS}} NOT NULL
);

CREATE TABLE IF NOT EXISTS settings (
	key TEXT PRIMARY KEY,
	value TEXT NOT NULL
);

INSERT INTO settings (key, value) VALUES ('anonymous_submissions', 'off') ON CONFLICT (key) DO NOTHING;

INSERT INTO users (login, name, password_hash, role, active, created_at)
	VALUES ('~anonymous', 'Anonymous', '!', 'anonymous', FALSE, CURRENT_TIMESTAMP);

CREATE TABLE request_tracking (
	request_id BIGINT PRIMARY KEY,
	code TEXT NOT NULL UNIQUE
)
