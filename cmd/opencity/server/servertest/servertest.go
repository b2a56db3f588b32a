// Package servertest starts a real OpenCity server, built by package server
// from the real wiring, on 127.0.0.1:0 over a fresh test database of either
// backend, with the demo cities; tests talk to it through an apitest.Client.
package servertest

import (
	"context"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// Server is a started server and a client of its kazan API.
type Server struct {
	*server.Server
	*apitest.Client
	DB tenanttest.DB
}

// Start starts a demo server on a new database of kind ("sqlite",
// "postgres" or "pgbouncer", see tenanttest.New) with the base domain
// opencity.test; edit, when given, changes the configuration first. The
// server stops when the test ends.
func Start(t testing.TB, kind string, edit ...func(*server.Config)) *Server {
	t.Helper()
	db := tenanttest.New(t, kind)
	cfg := server.Config{DatabaseURL: db.DatabaseURL, DataDir: db.DataDir, Demo: true, BaseDomain: "opencity.test"}
	for _, e := range edit {
		e(&cfg)
	}
	return StartConfig(t, db, cfg)
}

// StartConfig starts a server on db with cfg as it is (two servers over one
// database, a server without the demo).
func StartConfig(t testing.TB, db tenanttest.DB, cfg server.Config) *Server {
	t.Helper()
	s, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start("127.0.0.1:0"); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return &Server{Server: s, Client: apitest.NewClient(t, s.URL(), "kazan"), DB: db}
}

// InCity runs fn in a transaction of the city's storage.
func (s *Server) InCity(t testing.TB, city string, fn func(context.Context, bun.Tx) error) {
	t.Helper()
	scope, err := s.Backend.Scope(city)
	if err != nil {
		t.Fatal(err)
	}
	if err := scope.RunInTx(context.Background(), fn); err != nil {
		t.Fatal(err)
	}
}

// AddUser adds an active user with password "demo" to a city straight into
// its storage: org is the organization's code ("" for none); user's
// password hash, role and activity are set here.
func (s *Server) AddUser(t testing.TB, city string, user core.User, org string) {
	t.Helper()
	scope, err := s.Backend.Scope(city)
	if err != nil {
		t.Fatal(err)
	}
	hash, _ := core.HashPassword(apitest.DemoPassword)
	user.PasswordHash, user.Active = hash, true
	if err := store.New(scope).Seed(context.Background(), store.SeedData{Users: []store.SeedUser{{User: user, Organization: org}}}); err != nil {
		t.Fatal(err)
	}
}
