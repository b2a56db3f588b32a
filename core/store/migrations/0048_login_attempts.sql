DROP TABLE login_failures;

CREATE TABLE login_attempts (
	login TEXT NOT NULL,
	client TEXT NOT NULL,
	failures INTEGER NOT NULL,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (login, client)
);

CREATE INDEX login_attempts_updated_idx ON login_attempts (updated_at)
