-- What the system says about an event (a routing decision, an escalation,
-- a duplicate, a rating, an automatic close) is kept apart from what a
-- person wrote: note holds a catalog message as JSON, {"code": …, "args":
-- {…}}, rendered in the reader's language when shown (core/i18n).
ALTER TABLE request_events ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- Events written before notes existed carry the system's English words in
-- comment; the ones of a known shape become their message.
UPDATE request_events SET note = '{"code":"event.reaction_late"}', comment = ''
	WHERE kind = 'escalated' AND comment = 'reaction time exceeded: not accepted in time';

UPDATE request_events SET note = '{"code":"event.resolution_late"}', comment = ''
	WHERE kind = 'escalated' AND comment = 'resolution time exceeded: not resolved in time';

UPDATE request_events SET note = '{"code":"event.rated","args":{"Stars":' || substr(comment, 1, 1) || '}}', comment = trim(substr(comment, 5))
	WHERE kind = 'rated' AND substr(comment, 2, 2) = '/5' AND substr(comment, 1, 1) BETWEEN '1' AND '5';

UPDATE request_events SET note = '{"code":"event.duplicate_of","args":{"Number":"' || substr(comment, 14, 11) || '"}}', comment = trim(substr(comment, 26))
	WHERE kind = 'duplicate' AND comment LIKE 'duplicate of ____-______.%' AND substr(comment, 25, 1) = '.';

UPDATE request_events SET note = '{"code":"event.auto_closed","args":{"Count":' || substr(comment, 46, length(comment) - 50) || '}}', comment = ''
	WHERE kind = 'close' AND actor_id IS NULL AND comment LIKE 'closed automatically: no confirmation within % days';

UPDATE request_events SET note = '{"code":"event.route","args":{"Reason":{"code":"route.none"},"Source":{"code":"route.source.none"}}}', comment = ''
	WHERE actor_id IS NULL AND comment = 'no routing configured: the dispatcher decides [none]';

UPDATE request_events SET note = '{"code":"event.route","args":{"Reason":{"code":"route.no_rule"},"Source":{"code":"route.source.rules"}}}', comment = ''
	WHERE actor_id IS NULL AND comment = 'no routing rule placed the request: to the dispatcher''s triage queue [rules]';

UPDATE request_events SET note = CAST('{"code":"event.route","args":{"Source":{"code":"route.source.fallback"},"Reason":{"code":"route.failed","args":{"Error":' AS TEXT)
		|| {{JSONQ}}(substr(comment, 17, length(comment) - 27)) || '}}}}', comment = ''
	WHERE actor_id IS NULL AND comment LIKE 'routing failed: % [fallback]';

-- Other routing decisions (a rule or a plugin naming itself) keep their
-- words as the argument of a message that shows them as they are.
UPDATE request_events SET note = CAST('{"code":"event.text","args":{"Text":' AS TEXT) || {{JSONQ}}(comment) || '}}', comment = ''
	WHERE actor_id IS NULL AND note = '' AND comment <> '' AND kind IN ('routed', 'triage', 'assign');
