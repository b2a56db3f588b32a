-- outages are planned or emergency shutdowns of a utility (core.Utilities)
-- for a set of buildings (outage_buildings). New requests about the utility
-- from those buildings attach to an open outage that has started
-- (requests.outage_id, status 'outage'); closing it resolves them. Times are
-- UTC; ends_at is the expected end, escalated_at when the sweep found the
-- outage still open past it.
CREATE TABLE outages (
	id {{ID}},
	utility TEXT NOT NULL,
	kind TEXT NOT NULL,
	organization_id BIGINT REFERENCES organizations (id),
	starts_at {{TS}} NOT NULL,
	ends_at {{TS}} NOT NULL,
	notice_ru TEXT NOT NULL,
	notice_en TEXT NOT NULL,
	closed_at {{TS}},
	closed_by BIGINT REFERENCES users (id),
	close_note TEXT NOT NULL DEFAULT '',
	escalated_at {{TS}},
	created_by BIGINT NOT NULL REFERENCES users (id),
	created_at {{TS}} NOT NULL
);

CREATE INDEX outages_open_idx ON outages (ends_at, id) WHERE closed_at IS NULL;
CREATE INDEX outages_org_idx ON outages (organization_id, id);

CREATE TABLE outage_buildings (
	outage_id BIGINT NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
	building_id BIGINT NOT NULL REFERENCES buildings (id) ON DELETE CASCADE,
	PRIMARY KEY (outage_id, building_id)
);

CREATE INDEX outage_buildings_building_idx ON outage_buildings (building_id, outage_id);

ALTER TABLE requests ADD COLUMN outage_id BIGINT REFERENCES outages (id);

-- The requests of an outage (its page, its closing).
CREATE INDEX requests_outage_idx ON requests (outage_id, id) WHERE outage_id IS NOT NULL;

-- The desk's waiting requests now include those waiting for an outage
-- (core.WaitingStatuses, in its order): the desk's outage queue walks the
-- same partial index as the others.
DROP INDEX requests_waiting_idx;
CREATE INDEX requests_waiting_idx ON requests (created_at, id)
	WHERE status IN ('new', 'returned', 'assigned', 'accepted', 'in_progress', 'reopened', 'outage');
