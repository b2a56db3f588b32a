-- Every write of the monthly rollups counts itself in its row: the sum of
-- writes over a period's rows is a version of the period's requests, by
-- which a memoized figure of the period (Store.Percentiles) is known to be
-- still right. Rows left empty are kept from now on, so that the sum never
-- goes back.
ALTER TABLE request_months ADD COLUMN writes bigint NOT NULL DEFAULT 1;
-- Only the deletion of empty monthly rows read this index.
DROP INDEX request_months_empty_idx;
