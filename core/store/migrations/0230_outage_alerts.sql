-- An outage past its expected end raises escalation alerts like an
-- overdue request: level 1 at its expected end, level 2 after the city's
-- delay. escalation_level is how far the sweep went (0, 1, 2); outages
-- escalated before have their first level.
ALTER TABLE outages ADD COLUMN escalation_level INTEGER NOT NULL DEFAULT 0;

UPDATE outages SET escalation_level = 1 WHERE escalated_at IS NOT NULL;

-- The alerts of late outages not yet turned into notifications; the
-- city's notify job takes them like notification_outbox's events.
CREATE TABLE alert_outbox (
	alert_id BIGINT PRIMARY KEY
)
