-- Outbound webhooks. Every history event is also written to event_outbox in
-- its own transaction; the city's relay job turns outbox rows into one
-- delivery per subscribed endpoint and deletes them.
CREATE TABLE event_outbox (
	event_id BIGINT PRIMARY KEY,
	request_id BIGINT NOT NULL
);

CREATE TABLE webhook_endpoints (
	id {{ID}},
	organization_id BIGINT,
	url TEXT NOT NULL,
	events TEXT NOT NULL,
	secret TEXT NOT NULL,
	owner_email TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL DEFAULT 'enabled',
	failures INTEGER NOT NULL DEFAULT 0,
	failing_since {{TS}},
	retry_at {{TS}},
	lease_until {{TS}},
	disabled_at {{TS}},
	created_by BIGINT,
	created_at {{TS}} NOT NULL
);

CREATE TABLE webhook_deliveries (
	id {{ID}},
	endpoint_id BIGINT NOT NULL,
	event_id TEXT NOT NULL,
	type TEXT NOT NULL,
	request_id BIGINT NOT NULL,
	payload TEXT NOT NULL,
	status TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	last_status INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	attempted_at {{TS}},
	delivered_at {{TS}},
	UNIQUE (endpoint_id, event_id)
);

CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (endpoint_id, status, id)
