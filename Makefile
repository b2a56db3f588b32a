.PHONY: run test check build

# Run OpenCity with the embedded default (SQLite under ./data, demo cities).
run:
	go run ./cmd/opencity serve

# The whole test suite (needs PostgreSQL on 127.0.0.1:5432, see README).
test:
	go test -count=1 ./...

check:
	gofmt -l . && go vet ./...

build:
	go build -o opencity ./cmd/opencity
