-- The deadlines of a request run from the start of its cycle whoever holds
-- it: the first cycle starts at intake, each reopen starts a new one.
-- requests keeps the current cycle (cycle, cycle_started_at and the due,
-- accepted, resolved, seconds and escalated columns); cycle_started_at is
-- NULL for requests stored before cycles existed, until the sweep computes
-- their deadlines from intake with the city's calendar (store.Backfill).
ALTER TABLE requests ADD COLUMN cycle INTEGER NOT NULL DEFAULT 1;
ALTER TABLE requests ADD COLUMN cycle_started_at {{TS}};
-- escalation_level is how far the current cycle was escalated: 0 none,
-- 1 at its deadline (the dispatcher on duty and the organization's manager
-- were alerted), 2 after the city's delay (HQ too); escalated_at is when the
-- level was last raised.
ALTER TABLE requests ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN escalated_at {{TS}};
-- follows_id names the closed request a citizen filed this one about, when
-- the time to reopen that one had passed.
ALTER TABLE requests ADD COLUMN follows_id BIGINT REFERENCES requests (id);

-- Each cycle is numbered from the reopen events that came before it.
UPDATE requests SET cycle = 1 + (SELECT count(*) FROM request_events AS e WHERE e.request_id = requests.id AND e.kind = 'reopen');

UPDATE requests SET escalation_level = 1,
	escalated_at = CASE WHEN reaction_escalated_at IS NULL THEN resolution_escalated_at
		WHEN resolution_escalated_at IS NULL OR reaction_escalated_at < resolution_escalated_at THEN reaction_escalated_at
		ELSE resolution_escalated_at END
	WHERE reaction_escalated_at IS NOT NULL OR resolution_escalated_at IS NOT NULL;

CREATE INDEX requests_escalation_idx ON requests (escalation_level, id) WHERE escalation_level > 0;
CREATE INDEX requests_cycle_backfill_idx ON requests (id) WHERE cycle_started_at IS NULL;

-- request_cycles keeps every cycle of a request (assignment → resolution,
-- a reopen starts the next), so the figures of an earlier cycle survive a
-- reopen. Times are UTC; seconds count from started_at (intake for the first
-- cycle, the reopen for later ones). reaction_late: accepted after
-- reaction_due_at, or still not accepted when it passed; resolution_late
-- likewise for resolved_at. organization_id is the organization that held
-- the request last in the cycle. The row of the current cycle follows the
-- request; earlier rows no longer change.
CREATE TABLE request_cycles (
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	cycle INTEGER NOT NULL,
	started_at {{TS}} NOT NULL,
	organization_id BIGINT REFERENCES organizations (id),
	reaction_due_at {{TS}},
	resolution_due_at {{TS}},
	accepted_at {{TS}},
	resolved_at {{TS}},
	closed_at {{TS}},
	reaction_seconds BIGINT,
	resolution_seconds BIGINT,
	reaction_late BOOLEAN NOT NULL DEFAULT FALSE,
	resolution_late BOOLEAN NOT NULL DEFAULT FALSE,
	escalation_level INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (request_id, cycle)
);

CREATE INDEX request_cycles_org_idx ON request_cycles (organization_id, started_at);
CREATE INDEX request_cycles_started_idx ON request_cycles (started_at);

-- request_returns records each time a request left an organization before
-- it was resolved, charged to that organization in the figures: kind
-- 'returned' (the organization said "not ours") or 'recalled' (the
-- dispatcher took it back). cycle is the request's cycle at the time.
CREATE TABLE request_returns (
	id {{ID}},
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	cycle INTEGER NOT NULL,
	organization_id BIGINT NOT NULL REFERENCES organizations (id),
	kind TEXT NOT NULL,
	reason TEXT NOT NULL DEFAULT '',
	actor_id BIGINT REFERENCES users (id),
	created_at {{TS}} NOT NULL
);

CREATE INDEX request_returns_request_idx ON request_returns (request_id, id);
CREATE INDEX request_returns_org_idx ON request_returns (organization_id, created_at);

-- Returns made before this table existed: the organization is the one the
-- request was last assigned to before the return.
INSERT INTO request_returns (request_id, cycle, organization_id, kind, reason, actor_id, created_at)
SELECT e.request_id,
	1 + (SELECT count(*) FROM request_events AS p WHERE p.request_id = e.request_id AND p.kind = 'reopen' AND p.id < e.id),
	(SELECT a.organization_id FROM request_events AS a WHERE a.request_id = e.request_id AND a.kind = 'assign'
		AND a.organization_id IS NOT NULL AND a.id < e.id ORDER BY a.id DESC LIMIT 1),
	'returned', e.comment, e.actor_id, e.created_at
FROM request_events AS e
WHERE e.kind = 'return' AND EXISTS (SELECT 1 FROM request_events AS a WHERE a.request_id = e.request_id AND a.kind = 'assign'
	AND a.organization_id IS NOT NULL AND a.id < e.id);

UPDATE request_events SET organization_id = (SELECT a.organization_id FROM request_events AS a
	WHERE a.request_id = request_events.request_id AND a.kind = 'assign' AND a.organization_id IS NOT NULL
	AND a.id < request_events.id ORDER BY a.id DESC LIMIT 1)
	WHERE kind = 'return' AND organization_id IS NULL;

-- escalation_alerts are the alerts an overdue request raised: level 1 at
-- its deadline, level 2 after the city's delay; each row is addressed to a
-- role (dispatcher, org_manager, analyst) and, for org_manager, to the
-- organization that held the request. deadline says which deadline passed
-- ('reaction' or 'resolution'), due_at when.
CREATE TABLE escalation_alerts (
	id {{ID}},
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	cycle INTEGER NOT NULL,
	level INTEGER NOT NULL,
	role TEXT NOT NULL,
	organization_id BIGINT REFERENCES organizations (id),
	deadline TEXT NOT NULL,
	due_at {{TS}} NOT NULL,
	created_at {{TS}} NOT NULL
);

CREATE INDEX escalation_alerts_request_idx ON escalation_alerts (request_id, id);
CREATE INDEX escalation_alerts_role_idx ON escalation_alerts (role, organization_id, id);
