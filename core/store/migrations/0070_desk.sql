-- The dispatcher's desk reads only the requests waiting for someone
-- (core.WaitingStatuses, the same list in the same order as the desk's
-- queries write it): its queues, counts and age filter walk this small
-- index instead of the city's whole history.
CREATE INDEX requests_waiting_idx ON requests (created_at, id)
	WHERE status IN ('new', 'returned', 'assigned', 'accepted', 'in_progress', 'reopened');
