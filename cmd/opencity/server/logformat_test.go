package server_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/uptrace/bun/driver/pgdriver"
)

// A log collector gets JSON lines; a person at a terminal gets text; the
// setting overrides the guess.
func TestLogFormat(t *testing.T) {
	file, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	term := openTerminal(t)
	cases := []struct {
		name   string
		w      *os.File
		format string
		json   bool
	}{
		{"a file", file, "", true},
		{"a terminal", term, "", false},
		{"a terminal, json asked", term, "json", true},
		{"a file, text asked", file, "text", false},
	}
	for _, c := range cases {
		h := server.NewLogHandler(c.w, c.format, slog.LevelInfo)
		_, isJSON := h.(*slog.JSONHandler)
		if isJSON != c.json {
			t.Errorf("%s: JSON %v, want %v", c.name, isJSON, c.json)
		}
	}
	// What a collector reads is one JSON object a line.
	var buf bytes.Buffer
	slog.New(server.NewLogHandler(&buf, "", slog.LevelInfo)).Info("http", "status", 200, "city", "kazan")
	var rec map[string]any
	if err := json.Unmarshal(buf.Bytes(), &rec); err != nil || rec["msg"] != "http" || rec["city"] != "kazan" || rec["level"] != "INFO" {
		t.Errorf("log line %q: %v %v", buf.String(), rec, err)
	}
}

// A client that gives up while its request waits on the database is not a
// server error: the request is logged with status 499 and no error line,
// for the API and for the pages alike.
func TestClientDisconnectIsNotAnError(t *testing.T) {
	// PostgreSQL: another session locks a table under the request.
	s := servertest.Start(t, "postgres")
	disp := s.Login("kazan", "dispatcher")
	logs := servertest.CaptureLogs(t)

	for _, path := range []string{"/t/kazan/api/v1/requests", "/t/kazan/desk/"} {
		// Another session holds kazan's requests table, so the request waits.
		db := sql.OpenDB(pgdriver.NewConnector(pgdriver.WithDSN(s.DB.DatabaseURL)))
		tx, err := db.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(`LOCK TABLE city_kazan.requests IN ACCESS EXCLUSIVE MODE`); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
		req, _ := http.NewRequestWithContext(ctx, "GET", s.URL()+path, nil)
		req.Header.Set("Authorization", "Bearer "+disp)
		req.Header.Set("X-Request-ID", "gone-"+strings.ReplaceAll(path, "/", "-"))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
			t.Fatalf("GET %s answered %d while the table was locked", path, resp.StatusCode)
		}
		cancel()
		time.Sleep(300 * time.Millisecond) // the server notices the hang-up
		tx.Rollback()
		db.Close()

		var line map[string]any
		for deadline := time.Now().Add(10 * time.Second); line == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			for _, r := range logs.Records() {
				if r["msg"] == "http" && r["request_id"] == req.Header.Get("X-Request-ID") {
					line = r
				}
			}
		}
		if line == nil {
			t.Fatalf("no log line for the abandoned GET %s", path)
		}
		if line["status"] != float64(499) {
			t.Errorf("abandoned GET %s logged as %v, want 499", path, line["status"])
		}
	}
	for _, r := range logs.Records() {
		if r["level"] == "ERROR" {
			t.Errorf("a disconnect was logged as an error: %v", r)
		}
	}
	if r := s.Call("GET", "/t/kazan/api/v1/requests", disp, nil); r.Status != http.StatusOK {
		t.Errorf("after the disconnects: %d %s", r.Status, r.Body)
	}
}
