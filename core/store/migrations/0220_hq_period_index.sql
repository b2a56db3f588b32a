-- HQ's figures read a period's requests by their day of intake with the
-- filter's columns and both times: the median and 90th percentile of
-- reaction and resolution (Store.Percentiles) come from this index alone
-- where the table's pages are all visible, instead of fetching every row
-- of the period (see README, Performance).
CREATE INDEX requests_hq_period_idx ON requests (created_day, category_id, channel, district_id, organization_id,
	executor_id, building_id, reaction_seconds, resolution_seconds);
