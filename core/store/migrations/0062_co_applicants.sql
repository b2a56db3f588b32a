CREATE TABLE co_applicants (
	id {{ID}},
	request_id BIGINT NOT NULL REFERENCES requests (id) ON DELETE CASCADE,
	name TEXT NOT NULL DEFAULT '',
	phone TEXT NOT NULL DEFAULT '',
	email TEXT NOT NULL DEFAULT '',
	citizen_id BIGINT REFERENCES users (id),
	added_by BIGINT REFERENCES users (id),
	created_at {{TS}} NOT NULL
);

CREATE INDEX co_applicants_request_idx ON co_applicants (request_id, id);
CREATE INDEX co_applicants_citizen_idx ON co_applicants (citizen_id, request_id) WHERE citizen_id IS NOT NULL;
