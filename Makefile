.PHONY: run test check build proto

# Run OpenCity with the embedded default (SQLite under ./data, demo cities).
run:
	go run ./cmd/opencity serve

# The whole test suite: installs or starts what it needs (PostgreSQL,
# PgBouncer, stripe-mock, mailpit, Chromium, gcc, systemd-analyze, the
# Redocly CLI), then gofmt, vet, the tests (on PostgreSQL under the race
# detector, on SQLite without it; the end-to-end cmd/opencity, the browser
# tests TestBrowser… and the load tests …AtPeak beside them without it), the
# generated API client's test (cmd/opencity/clienttest) and the deployment
# files' tests (deploy/test). See .ci/test.
test:
	bash .ci/test

check:
	test -z "$$(gofmt -l $$(git ls-files '*.go'))" && go vet ./...

build:
	go build -o opencity ./cmd/opencity
	go build -o opencity-kazan ./plugins/cities/kazan
	go build -o opencity-nizhny-novgorod ./plugins/cities/nizhny-novgorod

# Regenerate the committed gRPC code of the routing contract.
proto:
	cd plugins/proto && protoc --go_out=routingv1 --go_opt=paths=source_relative \
		--go-grpc_out=routingv1 --go-grpc_opt=paths=source_relative routing.proto
