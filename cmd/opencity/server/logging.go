package server

import (
	"io"
	"log/slog"
	"os"

	"github.com/gin-gonic/gin"
	"github.com/mattn/go-isatty"
	"github.com/opencity/opencity/core/httpapi"
)

// NewLogHandler is the server's log format: text for a person at a
// terminal, JSON lines for a log collector everywhere else (a container, a
// systemd journal, a file). format "json" or "text" (OPENCITY_LOG_FORMAT)
// overrides the guess; any other value keeps it. It is the innermost
// handler: handlers that add request attributes wrap it.
func NewLogHandler(w io.Writer, format string, level slog.Leveler) slog.Handler {
	opts := &slog.HandlerOptions{Level: level}
	text := false
	switch format {
	case "text":
		text = true
	case "json":
	default:
		f, ok := w.(*os.File)
		text = ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
	}
	if text {
		return slog.NewTextHandler(w, opts)
	}
	return slog.NewJSONHandler(w, opts)
}

// answeredStatus is the status a request ended with for the log and the
// metrics: httpapi.StatusClientClosed when its client left before a
// complete answer, so a disconnect is never counted as a server error.
func answeredStatus(c *gin.Context) int {
	status := c.Writer.Status()
	if httpapi.ClientGone(c) && (status >= 500 || !c.Writer.Written()) {
		return httpapi.StatusClientClosed
	}
	return status
}
