CREATE TABLE routing_rules (
	id {{ID}},
	position INTEGER NOT NULL,
	name TEXT NOT NULL,
	active BOOLEAN NOT NULL DEFAULT TRUE,
	category_code TEXT NOT NULL DEFAULT '',
	group_code TEXT NOT NULL DEFAULT '',
	district_code TEXT NOT NULL DEFAULT '',
	building_id BIGINT,
	time_from TEXT NOT NULL DEFAULT '',
	time_to TEXT NOT NULL DEFAULT '',
	emergency BOOLEAN,
	target TEXT NOT NULL,
	organization_id BIGINT,
	priority TEXT NOT NULL DEFAULT ''
);

CREATE INDEX routing_rules_position_idx ON routing_rules (position, id);

INSERT INTO routing_rules (position, name, group_code, target)
VALUES (1, 'Faults inside a building: the management company', 'building', 'management_company');

INSERT INTO routing_rules (position, name, group_code, target)
VALUES (2, 'Network faults: the resource supplier of the utility', 'utilities', 'resource_supplier');

CREATE TABLE routing_settings (
	id INTEGER PRIMARY KEY CHECK (id = 1),
	plugin TEXT NOT NULL DEFAULT '',
	config TEXT NOT NULL DEFAULT '{}',
	updated_at {{TS}} NOT NULL
);

INSERT INTO routing_settings (id, plugin, config, updated_at) VALUES (1, '', '{}', CURRENT_TIMESTAMP);
