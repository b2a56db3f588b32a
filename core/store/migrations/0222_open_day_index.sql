-- "Overdue now" in HQ's figures (Store.OverdueCounts) counts a period's
-- unfinished requests (core.UnfinishedStatuses): a few thousand rows in a
-- city of millions, found by their day of intake here instead of by
-- crossing the status and day indexes.
CREATE INDEX requests_open_day_idx ON requests (created_day)
	WHERE status IN ('new', 'returned', 'assigned', 'accepted', 'in_progress', 'reopened', 'outage');
