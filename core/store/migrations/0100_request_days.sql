ALTER TABLE requests ADD COLUMN created_day TEXT NOT NULL DEFAULT '';
ALTER TABLE requests ADD COLUMN reopens INTEGER NOT NULL DEFAULT 0;
ALTER TABLE requests ADD COLUMN returns INTEGER NOT NULL DEFAULT 0;

UPDATE requests SET created_day = {{CREATED_DAY}};

UPDATE requests SET reopens = (SELECT count(*) FROM request_events AS e WHERE e.request_id = requests.id AND e.kind = 'reopen'),
	returns = (SELECT count(*) FROM request_events AS e WHERE e.request_id = requests.id AND e.kind = 'return');

CREATE TABLE request_days (
	day TEXT NOT NULL,
	category_id BIGINT NOT NULL,
	channel TEXT NOT NULL,
	district_id BIGINT NOT NULL,
	building_id BIGINT NOT NULL,
	organization_id BIGINT NOT NULL,
	executor_id BIGINT NOT NULL,
	received BIGINT NOT NULL,
	open BIGINT NOT NULL,
	reaction_done BIGINT NOT NULL,
	reaction_on_time BIGINT NOT NULL,
	resolution_done BIGINT NOT NULL,
	resolution_on_time BIGINT NOT NULL,
	reopened BIGINT NOT NULL,
	returned BIGINT NOT NULL,
	rated BIGINT NOT NULL,
	rating_sum BIGINT NOT NULL,
	PRIMARY KEY (day, category_id, channel, district_id, building_id, organization_id, executor_id)
);

CREATE INDEX request_days_empty_idx ON request_days (day) WHERE received = 0;
CREATE INDEX request_days_org_idx ON request_days (organization_id, day);
CREATE INDEX request_days_executor_idx ON request_days (executor_id, day) WHERE executor_id <> 0;
CREATE INDEX requests_day_idx ON requests (created_day, id);

INSERT INTO request_days (day, category_id, channel, district_id, building_id, organization_id, executor_id,
	received, open, reaction_done, reaction_on_time, resolution_done, resolution_on_time, reopened, returned, rated, rating_sum)
SELECT created_day, category_id, channel, coalesce(district_id, 0), coalesce(building_id, 0), coalesce(organization_id, 0),
	coalesce(executor_id, 0), count(*),
	sum(CASE WHEN status IN ('new', 'assigned', 'accepted', 'in_progress', 'returned', 'reopened') THEN 1 ELSE 0 END),
	sum(CASE WHEN accepted_at IS NOT NULL AND reaction_due_at IS NOT NULL THEN 1 ELSE 0 END),
	sum(CASE WHEN accepted_at IS NOT NULL AND reaction_due_at IS NOT NULL AND accepted_at <= reaction_due_at THEN 1 ELSE 0 END),
	sum(CASE WHEN resolved_at IS NOT NULL AND resolution_due_at IS NOT NULL THEN 1 ELSE 0 END),
	sum(CASE WHEN resolved_at IS NOT NULL AND resolution_due_at IS NOT NULL AND resolved_at <= resolution_due_at THEN 1 ELSE 0 END),
	sum(CASE WHEN reopens > 0 THEN 1 ELSE 0 END),
	sum(CASE WHEN returns > 0 THEN 1 ELSE 0 END),
	sum(CASE WHEN rating IS NOT NULL THEN 1 ELSE 0 END),
	sum(coalesce(rating, 0))
FROM requests
GROUP BY created_day, category_id, channel, coalesce(district_id, 0), coalesce(building_id, 0), coalesce(organization_id, 0), coalesce(executor_id, 0);
