package httpapi_test

import (
	"log/slog"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	// Request logs would drown the test output; warnings and errors stay.
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	os.Exit(m.Run())
}
