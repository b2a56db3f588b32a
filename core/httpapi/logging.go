package httpapi

import (
	"context"
	"log/slog"
)

type requestIDKey struct{}

// NewContextWithRequestID returns ctx carrying the request's id (the
// X-Request-ID header, or one made up for the request).
func NewContextWithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFromContext returns the request's id, "" outside a request.
func RequestIDFromContext(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}

// Log attribute keys that LogHandler adds.
const (
	LogRequestID = "request_id"
	LogCity      = "city"
	LogUserID    = "user_id"
)

// LogHandler is a slog.Handler that adds what a request's context knows to
// every record written with that context (slog.InfoContext, ErrorContext, …):
// the request id, the city's slug and the signed-in user's id, each only when
// known and when the record does not carry that key already. Records written
// without a request's context pass through unchanged.
type LogHandler struct {
	next slog.Handler
}

// NewLogHandler wraps next.
func NewLogHandler(next slog.Handler) *LogHandler { return &LogHandler{next: next} }

// Enabled implements slog.Handler.
func (h *LogHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle implements slog.Handler.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	if ctx == nil {
		return h.next.Handle(ctx, r)
	}
	var add []slog.Attr
	if id := RequestIDFromContext(ctx); id != "" {
		add = append(add, slog.String(LogRequestID, id))
	}
	if c := CityFromContext(ctx); c != nil {
		add = append(add, slog.String(LogCity, c.Slug))
	}
	if a := ActorFromContext(ctx); a.UserID != 0 {
		add = append(add, slog.Int64(LogUserID, a.UserID))
	}
	if len(add) == 0 {
		return h.next.Handle(ctx, r)
	}
	r.Attrs(func(a slog.Attr) bool {
		for i := range add {
			if add[i].Key == a.Key {
				add = append(add[:i], add[i+1:]...)
				break
			}
		}
		return len(add) > 0
	})
	r = r.Clone()
	r.AddAttrs(add...)
	return h.next.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h *LogHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &LogHandler{next: h.next.WithAttrs(as)}
}

// WithGroup implements slog.Handler. The request's attributes then land in
// the group, like every attribute of the record.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{next: h.next.WithGroup(name)}
}
