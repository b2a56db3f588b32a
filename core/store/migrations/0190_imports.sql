-- Import connectors: a city's feeds of requests from external systems
-- (People's Control and the like), the source records they created (by
-- connector and the source's id), their runs and what each run refused.
CREATE TABLE import_connectors (
	id {{ID}},
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	feed_url TEXT NOT NULL DEFAULT '',
	every_minutes INTEGER NOT NULL DEFAULT 0,
	format TEXT NOT NULL DEFAULT 'json',
	mapping TEXT NOT NULL,
	category_map TEXT NOT NULL DEFAULT '',
	default_category TEXT NOT NULL,
	callback_url TEXT NOT NULL DEFAULT '',
	endpoint_id BIGINT,
	next_run_at {{TS}},
	lease_until {{TS}},
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);

CREATE TABLE import_records (
	connector_id BIGINT NOT NULL,
	external_id TEXT NOT NULL,
	request_id BIGINT NOT NULL,
	digest TEXT NOT NULL,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (connector_id, external_id)
);

CREATE TABLE import_runs (
	id {{ID}},
	connector_id BIGINT NOT NULL,
	cause TEXT NOT NULL,
	started_at {{TS}} NOT NULL,
	finished_at {{TS}},
	fetched INTEGER NOT NULL DEFAULT 0,
	created INTEGER NOT NULL DEFAULT 0,
	updated INTEGER NOT NULL DEFAULT 0,
	unchanged INTEGER NOT NULL DEFAULT 0,
	refused INTEGER NOT NULL DEFAULT 0,
	error TEXT NOT NULL DEFAULT ''
);

CREATE INDEX import_runs_connector ON import_runs (connector_id, id);

CREATE TABLE import_refusals (
	id {{ID}},
	run_id BIGINT NOT NULL,
	seq INTEGER NOT NULL,
	external_id TEXT NOT NULL DEFAULT '',
	field TEXT NOT NULL DEFAULT '',
	reason TEXT NOT NULL
);

CREATE INDEX import_refusals_run ON import_refusals (run_id, id);

-- An import connector's status callback is a webhook endpoint that takes
-- only the events of requests from its source.
ALTER TABLE webhook_endpoints ADD COLUMN external_source TEXT NOT NULL DEFAULT '';

INSERT INTO users (login, name, password_hash, role, active, created_at)
	VALUES ('~import', 'Import', '!', 'dispatcher', FALSE, CURRENT_TIMESTAMP);
