package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/tenants/tenanttest"
)

// Every line the server logs in a request's scope carries the request id,
// the city and the user, the request's own line and an internal error's
// line alike; the X-Request-ID a client sends is kept.
func TestLogLinesCarryTheRequest(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			logs := servertest.CaptureLogs(t)
			s := startServer(t, kind)
			token := s.login("kazan", "citizen")
			st, err := s.Backend.Store("kazan")
			if err != nil {
				t.Fatal(err)
			}
			u, err := st.UserByLogin(context.Background(), "citizen")
			if err != nil {
				t.Fatal(err)
			}
			userID := fmt.Sprint(u.ID)
			list := s.call("GET", "/t/kazan/api/v1/requests", token, nil, "X-Request-ID", "test-list-1")
			if list.Status != 200 || list.Header.Get("X-Request-ID") != "test-list-1" {
				t.Fatalf("list: %d %s, X-Request-ID %q", list.Status, list.Body, list.Header.Get("X-Request-ID"))
			}
			want := map[string]string{"msg": "http", "request_id": "test-list-1", "city": "kazan", "user_id": userID}
			if logs.Record(want) == nil {
				t.Errorf("no request line with %v in %v", want, logs.Records())
			}

			// An internal error: the upload folder cannot be made.
			n := s.submit("kazan", token, "Лампочка в подъезде")
			uploads := filepath.Join(s.db.DataDir, "uploads")
			if err := os.RemoveAll(uploads); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(uploads, []byte("not a folder"), 0o600); err != nil {
				t.Fatal(err)
			}
			req := s.upload("kazan", token, n, "photo.png", pngBytes(t))
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

// syncBuffer collects output that the server's goroutines write.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
