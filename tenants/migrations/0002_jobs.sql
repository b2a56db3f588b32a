CREATE TABLE {{C}}jobs (
	id {{ID}},
	kind TEXT NOT NULL,
	tenant TEXT NOT NULL DEFAULT '',
	payload TEXT NOT NULL DEFAULT '{}',
	unique_key TEXT UNIQUE,
	state TEXT NOT NULL DEFAULT 'available',
	attempts INTEGER NOT NULL DEFAULT 0,
	max_attempts INTEGER NOT NULL DEFAULT 10,
	run_at {{TS}} NOT NULL,
	locked_by TEXT NOT NULL DEFAULT '',
	locked_until {{TS}},
	last_error TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	finished_at {{TS}}
);

CREATE INDEX jobs_ready_idx ON {{C}}jobs (state, run_at)
