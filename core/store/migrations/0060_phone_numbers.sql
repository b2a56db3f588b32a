CREATE INDEX IF NOT EXISTS requests_applicant_phone_idx ON requests (applicant_phone, id) WHERE applicant_phone <> '';
CREATE INDEX IF NOT EXISTS users_phone_idx ON users (phone) WHERE phone <> '';
