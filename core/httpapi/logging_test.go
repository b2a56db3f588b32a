package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/httpapi/apitest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// lines decodes the JSON lines logged so far.
func lines(t *testing.T, buf *bytes.Buffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	buf.Reset()
	return out
}

func TestLogHandlerAddsTheRequestsContext(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(httpapi.NewLogHandler(slog.NewJSONHandler(&buf, nil)))
	ctx := httpapi.NewContextWithRequestID(context.Background(), "req-1")
	ctx = httpapi.NewContextWithCity(ctx, &httpapi.City{Slug: "kazan"})
	ctx = httpapi.NewContextWithActor(ctx, core.Actor{UserID: 42, Role: core.RoleDispatcher})

	log.ErrorContext(ctx, "internal error", "err", errors.New("boom"))
	log.InfoContext(ctx, "user changed", "city", "kazan") // a key the record has already is not repeated
	for i, l := range lines(t, &buf) {
		if l["request_id"] != "req-1" || l["city"] != "kazan" || l["user_id"] != float64(42) {
			t.Errorf("line %d lacks the request's context: %v", i, l)
		}
	}
	log.InfoContext(ctx, "dup", "city", "kazan")
	if s := buf.String(); strings.Count(s, `"city"`) != 1 {
		t.Errorf("city twice: %s", s)
	}
	buf.Reset()

	// Attributes and groups of derived loggers still work.
	log.With("component", "pages").WithGroup("g").WarnContext(ctx, "grouped", "k", "v")
	l := lines(t, &buf)[0]
	if l["component"] != "pages" || l["g"].(map[string]any)["request_id"] != "req-1" {
		t.Errorf("derived logger: %v", l)
	}

	// Before the city and the user are known: only what is known.
	log.InfoContext(httpapi.NewContextWithRequestID(context.Background(), "req-2"), "early")
	l = lines(t, &buf)[0]
	if _, ok := l["city"]; ok || l["request_id"] != "req-2" {
		t.Errorf("early line: %v", l)
	}
	if _, ok := l["user_id"]; ok {
		t.Errorf("early line has a user: %v", l)
	}
	// An anonymous caller has no user id.
	anon := httpapi.NewContextWithActor(ctx, core.Actor{Role: core.RoleAnonymous})
	log.InfoContext(anon, "anonymous")
	if l := lines(t, &buf)[0]; l["user_id"] != nil || l["city"] != "kazan" {
		t.Errorf("anonymous line: %v", l)
	}
	// Outside a request nothing is added.
	log.Info("startup")
	if l := lines(t, &buf)[0]; len(l) != 3 { // time, level, msg
		t.Errorf("line outside a request: %v", l)
	}
}

// Every line the server logs in a request's scope carries the request id,
// the city and the user, the request's own line and an internal error's
// line alike; the X-Request-ID a client sends is kept.
func TestLogLinesCarryTheRequest(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			logs := servertest.CaptureLogs(t)
			s := servertest.Start(t, kind)
			token := s.Login("kazan", "citizen")
			st, err := s.Backend.Store("kazan")
			if err != nil {
				t.Fatal(err)
			}
			u, err := st.UserByLogin(context.Background(), "citizen")
			if err != nil {
				t.Fatal(err)
			}
			userID := fmt.Sprint(u.ID)
			list := s.Call("GET", "/t/kazan/api/v1/requests", token, nil, "X-Request-ID", "test-list-1")
			if list.Status != 200 || list.Header.Get("X-Request-ID") != "test-list-1" {
				t.Fatalf("list: %d %s, X-Request-ID %q", list.Status, list.Body, list.Header.Get("X-Request-ID"))
			}
			want := map[string]string{"msg": "http", "request_id": "test-list-1", "city": "kazan", "user_id": userID}
			if logs.Record(want) == nil {
				t.Errorf("no request line with %v in %v", want, logs.Records())
			}

			// An internal error: the upload folder cannot be made.
			n := s.Submit("kazan", token, "Лампочка в подъезде")
			uploads := filepath.Join(s.DB.DataDir, "uploads")
			if err := os.RemoveAll(uploads); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(uploads, []byte("not a folder"), 0o600); err != nil {
				t.Fatal(err)
			}
			req := s.Upload("kazan", token, n, "photo.png", apitest.PNG(t))
			if req.Status != 500 {
				t.Fatalf("upload into a broken folder: %d %s", req.Status, req.Body)
			}
			id := req.Header.Get("X-Request-ID")
			want = map[string]string{"level": "ERROR", "request_id": id, "city": "kazan", "user_id": userID}
			if id == "" || logs.Record(want) == nil {
				t.Errorf("no error line with %v in %v", want, logs.Records())
			}
		})
	}
}
