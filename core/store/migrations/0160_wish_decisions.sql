-- The decisions of the headquarters' weekly review of wishes: one per wish,
-- the latest; the request's history keeps every one as an event.
CREATE TABLE wish_decisions (
	request_id BIGINT PRIMARY KEY REFERENCES requests (id),
	decision TEXT NOT NULL,
	plan_date TEXT NOT NULL DEFAULT '',
	organization_id BIGINT REFERENCES organizations (id),
	reason TEXT NOT NULL DEFAULT '',
	week TEXT NOT NULL,
	decided_by BIGINT NOT NULL REFERENCES users (id),
	decided_at {{TS}} NOT NULL
);

CREATE INDEX wish_decisions_week_idx ON wish_decisions (week);
