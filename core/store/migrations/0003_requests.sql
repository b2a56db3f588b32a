CREATE TABLE counters (
	name TEXT PRIMARY KEY,
	value BIGINT NOT NULL
);

CREATE TABLE requests (
	id {{ID}},
	number TEXT NOT NULL UNIQUE,
	channel TEXT NOT NULL,
	status TEXT NOT NULL,
	priority TEXT NOT NULL,
	category_id BIGINT NOT NULL REFERENCES categories (id),
	building_id BIGINT REFERENCES buildings (id),
	district_id BIGINT REFERENCES districts (id),
	address TEXT NOT NULL DEFAULT '',
	apartment TEXT NOT NULL DEFAULT '',
	entrance TEXT NOT NULL DEFAULT '',
	lat DOUBLE PRECISION,
	lon DOUBLE PRECISION,
	description TEXT NOT NULL,
	applicant_name TEXT NOT NULL DEFAULT '',
	applicant_phone TEXT NOT NULL DEFAULT '',
	applicant_email TEXT NOT NULL DEFAULT '',
	citizen_id BIGINT REFERENCES users (id),
	created_by BIGINT NOT NULL REFERENCES users (id),
	organization_id BIGINT REFERENCES organizations (id),
	executor_id BIGINT REFERENCES organizations (id),
	external_source TEXT,
	external_id TEXT,
	idempotency_key TEXT,
	fingerprint TEXT NOT NULL DEFAULT '',
	duplicate_of BIGINT REFERENCES requests (id),
	reaction_due_at {{TS}},
	resolution_due_at {{TS}},
	assigned_at {{TS}},
	accepted_at {{TS}},
	resolved_at {{TS}},
	closed_at {{TS}},
	reaction_seconds BIGINT,
	resolution_seconds BIGINT,
	reaction_escalated_at {{TS}},
	resolution_escalated_at {{TS}},
	rating INTEGER,
	rating_comment TEXT NOT NULL DEFAULT '',
	search_text TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	updated_at {{TS}} NOT NULL
);

CREATE UNIQUE INDEX requests_idempotency_idx ON requests (created_by, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE UNIQUE INDEX requests_external_idx ON requests (external_source, external_id) WHERE external_id IS NOT NULL;
CREATE INDEX requests_citizen_idx ON requests (citizen_id, id);
CREATE INDEX requests_org_idx ON requests (organization_id, id);
CREATE INDEX requests_executor_idx ON requests (executor_id, id);
CREATE INDEX requests_category_idx ON requests (category_id, id);
CREATE INDEX requests_district_idx ON requests (district_id, id);
CREATE INDEX requests_created_idx ON requests (created_at, id);
CREATE INDEX requests_reaction_due_idx ON requests (reaction_due_at) WHERE reaction_escalated_at IS NULL AND accepted_at IS NULL;
CREATE INDEX requests_resolution_due_idx ON requests (resolution_due_at) WHERE resolution_escalated_at IS NULL AND resolved_at IS NULL;
CREATE INDEX requests_status_idx ON requests (status, id);

CREATE TABLE request_events (
	id {{ID}},
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	actor_id BIGINT REFERENCES users (id),
	kind TEXT NOT NULL,
	organization_id BIGINT REFERENCES organizations (id),
	from_status TEXT NOT NULL DEFAULT '',
	to_status TEXT NOT NULL DEFAULT '',
	comment TEXT NOT NULL DEFAULT '',
	public BOOLEAN NOT NULL DEFAULT TRUE,
	created_at {{TS}} NOT NULL
);

CREATE INDEX request_events_request_idx ON request_events (request_id, id);

CREATE TABLE attachments (
	id {{ID}},
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	event_id BIGINT REFERENCES request_events (id),
	file_name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	sha256 TEXT NOT NULL,
	public BOOLEAN NOT NULL DEFAULT TRUE,
	created_by BIGINT REFERENCES users (id),
	created_at {{TS}} NOT NULL
);

CREATE INDEX attachments_request_idx ON attachments (request_id, id);
