// Package core holds one city's domain: requests, the city directory, users
// and the rules that apply to them. Storage and HTTP live in sub-packages and
// depend on this one, never the other way round.
package core

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/opencity/opencity/core/i18n"
)

// Error kinds. Each maps to one HTTP status in the API layer.
const (
	EINVALID      = "invalid"            // the caller's input is wrong
	ENOTFOUND     = "not_found"          // no such thing, or not visible to the caller
	ECONFLICT     = "conflict"           // the thing exists or changed under the caller
	EUNAUTHORIZED = "unauthorized"       // no or bad credentials
	EFORBIDDEN    = "forbidden"          // authenticated but not allowed
	EREADONLY     = "read_only"          // the city is suspended: reads only
	EINTERNAL     = "internal"           // our failure; details stay in the log
	EUNAVAILABLE  = "unavailable"        // the database is unreachable for now: retry later
	ETOOLARGE     = "too_large"          // the request body is larger than its route takes
	EMETHOD       = "method_not_allowed" // the route exists, not for this HTTP method
)

// Msg is a text for a person, kept as the code of a message in the
// catalog (core/i18n, e.g. "error.required") and its named arguments, and
// rendered in the reader's language only when shown.
type Msg = i18n.Msg

// M builds a Msg from a code and key/value pairs of arguments:
// M("error.max_len", "Count", 200).
func M(code string, kv ...any) Msg { return i18n.M(code, kv...) }

// Error is the one error type the domain returns to its callers. Code is
// its kind (EINVALID …); Message is the code of a catalog message safe to
// show to a user, with its Args; Fields holds per-field messages for
// invalid input.
type Error struct {
	Code    string
	Message string
	Args    map[string]any
	Fields  FieldErrors
	// RetryAfter says, for ETOOMANY, how long the caller should wait.
	RetryAfter time.Duration
}

// E returns an *Error of a kind with a catalog message and its arguments
// as key/value pairs: E(ENOTFOUND, "error.not_found_what", "What", "building").
func E(kind, code string, kv ...any) *Error {
	return &Error{Code: kind, Message: code, Args: i18n.Args(kv...)}
}

// Msg is the error's message with its arguments.
func (e *Error) Msg() Msg { return Msg{Code: e.Message, Args: e.Args} }

// Text renders the error's message in lang.
func (e *Error) Text(lang string) string { return i18n.Text(lang, e.Message, e.Args) }

// Error renders the message and the field messages in English, for logs.
func (e *Error) Error() string {
	msg := e.Text("en")
	if len(e.Fields) == 0 {
		return msg
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Fields[k].Text("en")
	}
	return msg + " (" + strings.Join(parts, "; ") + ")"
}

// Is makes errors.Is(err, ErrNotFound) and errors.Is(err, ErrConflict) true
// for every error of that kind, whatever its message.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && (t == ErrNotFound || t == ErrConflict) && t.Code == e.Code
}

// ErrorCode returns the kind of err, or EINTERNAL for errors that are not ours.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// NotFound is the ENOTFOUND error for a kind of thing; what names it as
// the catalog's "thing.<what>" ("routing rule" → "thing.routing_rule").
func NotFound(what string) *Error {
	return &Error{Code: ENOTFOUND, Message: "error.what_not_found", Args: Thing(what)}
}

// Thing is the argument naming a kind of thing in a message ("What"),
// rendered in the reader's language from the catalog's "thing.<what>".
func Thing(what string) map[string]any {
	return map[string]any{"What": i18n.Code("thing." + strings.ReplaceAll(what, " ", "_"))}
}

// MsgOf is the message of err: its own for an *Error, "internal error"
// for any other.
func MsgOf(err error) Msg {
	var e *Error
	if errors.As(err, &e) {
		return e.Msg()
	}
	return Msg{Code: "error.internal"}
}

// Sentinels the stores wrap with %w so callers can test with errors.Is.
var (
	ErrNotFound = &Error{Code: ENOTFOUND, Message: "error.not_found"}
	ErrConflict = &Error{Code: ECONFLICT, Message: "error.conflict"}
)

// FieldErrors collects per-field validation messages.
type FieldErrors map[string]Msg

// Add records the catalog message code (with key/value arguments) for
// field unless the field already has a message.
func (f FieldErrors) Add(field, code string, kv ...any) {
	if _, ok := f[field]; !ok {
		f[field] = M(code, kv...)
	}
}

// AddMsg records m for field unless the field already has a message.
func (f FieldErrors) AddMsg(field string, m Msg) {
	if _, ok := f[field]; !ok {
		f[field] = m
	}
}

// Err returns nil when no field failed, otherwise an EINVALID *Error.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EINVALID, Message: "error.invalid_fields", Fields: f}
}
