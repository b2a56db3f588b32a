-- A starter routing rule is named by a catalog message, shown in the
-- reader's language (core/i18n, rule.starter.*); name keeps the words it
-- was created with, and a rule an admin names has no name_code.
ALTER TABLE routing_rules ADD COLUMN name_code TEXT NOT NULL DEFAULT '';

UPDATE routing_rules SET name_code = 'rule.starter.management_company'
	WHERE name = 'Faults inside a building: the management company';

UPDATE routing_rules SET name_code = 'rule.starter.resource_supplier'
	WHERE name = 'Network faults: the resource supplier of the utility';

-- Routing decisions already in the history named those rules in English
-- inside their notes ({"Name":"…"}); they now name the rule's message.
UPDATE request_events SET note = REPLACE(note, '"Name":"Faults inside a building: the management company"',
		'"Name":{"code":"rule.starter.management_company"}')
	WHERE note LIKE '%"Name":"Faults inside a building: the management company"%';

UPDATE request_events SET note = REPLACE(note, '"Name":"Network faults: the resource supplier of the utility"',
		'"Name":{"code":"rule.starter.resource_supplier"}')
	WHERE note LIKE '%"Name":"Network faults: the resource supplier of the utility"%';
