-- Notifications of citizens, organizations and staff by e-mail and SMS.
-- Every history event is also written to notification_outbox in its own
-- transaction; the city's notify job turns outbox rows into one
-- notification per recipient and channel, each sent by its own queue job.
CREATE TABLE notification_outbox (
	event_id BIGINT PRIMARY KEY,
	request_id BIGINT NOT NULL
);

CREATE TABLE notifications (
	id {{ID}},
	kind TEXT NOT NULL,
	channel TEXT NOT NULL,
	address TEXT NOT NULL,
	lang TEXT NOT NULL,
	subject TEXT NOT NULL DEFAULT '',
	body TEXT NOT NULL,
	request_id BIGINT NOT NULL DEFAULT 0,
	event_id BIGINT NOT NULL DEFAULT 0,
	status TEXT NOT NULL DEFAULT 'pending',
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at {{TS}} NOT NULL,
	sent_at {{TS}},
	UNIQUE (event_id, kind, channel, address)
);

CREATE INDEX notifications_pending ON notifications (status, id);

-- A city's own wording of a notification in one language; the catalog's
-- is used where there is none.
CREATE TABLE notification_templates (
	kind TEXT NOT NULL,
	lang TEXT NOT NULL,
	subject TEXT NOT NULL,
	body TEXT NOT NULL,
	sms TEXT NOT NULL,
	updated_by BIGINT,
	updated_at {{TS}} NOT NULL,
	PRIMARY KEY (kind, lang)
);

-- Every address notified has a token for the opt-out link in its mail,
-- opted_out_at is set when its owner turned the notifications off.
CREATE TABLE notification_contacts (
	address TEXT PRIMARY KEY,
	token TEXT NOT NULL UNIQUE,
	opted_out_at {{TS}}
)
;

-- The language the applicant is notified in, '' for the city's locale.
ALTER TABLE requests ADD COLUMN applicant_lang TEXT NOT NULL DEFAULT ''
