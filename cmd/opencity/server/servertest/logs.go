package servertest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/opencity/opencity/cmd/opencity/server"
	"github.com/opencity/opencity/core/httpapi"
)

// Logs collects the JSON log records written while a test runs, as the
// server writes them in production (with the request's id, city and user).
type Logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// CaptureLogs sends the default logger's records (info and above) to the
// returned collector until the test ends.
func CaptureLogs(t testing.TB) *Logs {
	l := &Logs{}
	prev := slog.Default()
	slog.SetDefault(slog.New(httpapi.NewLogHandler(server.NewLogHandler(l, "json", slog.LevelInfo))))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return l
}

// Write takes the logger's output.
func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns what was written so far, as written (a command's output
// collected while it runs, for instance).
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// Records returns the records logged so far, decoded.
func (l *Logs) Records() []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(l.buf.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil {
			out = append(out, m)
		}
	}
	return out
}

// Record returns the first logged record whose fields have the given
// values (compared as printed), nil when none has.
func (l *Logs) Record(want map[string]string) map[string]any {
next:
	for _, r := range l.Records() {
		for k, v := range want {
			if fmt.Sprint(r[k]) != v {
				continue next
			}
		}
		return r
	}
	return nil
}
