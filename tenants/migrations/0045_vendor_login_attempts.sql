DROP TABLE {{C}}vendor_login_failures;

CREATE TABLE {{C}}vendor_login_attempts (
	login TEXT NOT NULL,
	client TEXT NOT NULL,
	failures INTEGER NOT NULL,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (login, client)
);

CREATE INDEX vendor_login_attempts_updated_idx ON {{C}}vendor_login_attempts (updated_at)
