-- The monthly rollups: request_days without the building, summed per month
-- of intake (YYYY-MM), so that HQ's figures over whole months read a few
-- thousand rows a month instead of about one a request (see rollup.go).
CREATE TABLE request_months (
	month TEXT NOT NULL,
	category_id BIGINT NOT NULL,
	channel TEXT NOT NULL,
	district_id BIGINT NOT NULL,
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
	PRIMARY KEY (month, category_id, channel, district_id, organization_id, executor_id)
);

CREATE INDEX request_months_empty_idx ON request_months (month) WHERE received = 0;

INSERT INTO request_months (month, category_id, channel, district_id, organization_id, executor_id,
	received, open, reaction_done, reaction_on_time, resolution_done, resolution_on_time, reopened, returned, rated, rating_sum)
SELECT substr(day, 1, 7), category_id, channel, district_id, organization_id, executor_id,
	sum(received), sum(open), sum(reaction_done), sum(reaction_on_time), sum(resolution_done), sum(resolution_on_time),
	sum(reopened), sum(returned), sum(rated), sum(rating_sum)
FROM request_days
GROUP BY substr(day, 1, 7), category_id, channel, district_id, organization_id, executor_id;
