package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
	"github.com/opencity/opencity/core/store"
)

// Problem is an RFC 9457 problem document.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// statusOf is the one table from domain error codes to HTTP statuses.
var statusOf = map[string]int{
	core.EINVALID:      http.StatusUnprocessableEntity,
	core.ENOTFOUND:     http.StatusNotFound,
	core.ECONFLICT:     http.StatusConflict,
	core.EUNAUTHORIZED: http.StatusUnauthorized,
	core.EFORBIDDEN:    http.StatusForbidden,
	core.EREADONLY:     http.StatusForbidden,
	core.EINTERNAL:     http.StatusInternalServerError,
	core.ETOOMANY:      http.StatusTooManyRequests,
	core.EUNAVAILABLE:  http.StatusServiceUnavailable,
	core.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	core.EMETHOD:       http.StatusMethodNotAllowed,
}

// RetryAfterUnavailable is the Retry-After, in seconds, of answers given
// while the database is unreachable.
const RetryAfterUnavailable = 5

// ProblemJSON is the media type of error answers.
const ProblemJSON = "application/problem+json"

// StatusClientClosed is the status (nginx's 499) the log and the metrics
// record for a request whose client disconnected before its answer: nobody
// reads that answer, and it is no failure of the server.
const StatusClientClosed = 499

// ClientGone reports whether the client of c has disconnected (its request's
// context is canceled). Whatever error the handler then meets, typically
// context.Canceled from the database, comes from that.
func ClientGone(c *gin.Context) bool {
	return errors.Is(c.Request.Context().Err(), context.Canceled)
}

// Lang is the language of the answers to a request: the city's locale,
// else the Accept-Language header (i18n.Choose; the API keeps no
// per-user choice).
func Lang(c *gin.Context) string {
	locale := ""
	if city := CityFromContext(c.Request.Context()); city != nil {
		locale = city.Locale
	}
	return i18n.Choose("", locale, c.GetHeader("Accept-Language"))
}

// WriteProblem answers with a problem document whose title, detail and
// field messages are in the reader's language (Lang). Internal errors are
// logged and shown to the user only as "internal error"; an unreachable
// database (store.Unavailable) is 503 with Retry-After, logged as a
// warning; after the client disconnected, it records StatusClientClosed
// and logs no error.
func WriteProblem(c *gin.Context, err error) {
	var e *core.Error
	switch {
	case errors.As(err, &e):
	case ClientGone(c):
		slog.InfoContext(c.Request.Context(), "client closed the request", "err", err, "path", c.Request.URL.Path)
		c.AbortWithStatus(StatusClientClosed)
		return
	case store.Unavailable(err):
		slog.WarnContext(c.Request.Context(), "database unreachable", "err", err, "path", c.Request.URL.Path)
		e = &core.Error{Code: core.EUNAVAILABLE, Message: "error.unavailable"}
	default:
		slog.ErrorContext(c.Request.Context(), "internal error", "err", err, "path", c.Request.URL.Path)
		e = &core.Error{Code: core.EINTERNAL, Message: "error.internal"}
	}
	c.Set(problemKey, e)
	lang := Lang(c)
	status := statusOf[e.Code]
	p := Problem{
		Type:     "urn:opencity:problem:" + e.Code,
		Title:    i18n.Text(lang, "problem."+e.Code, nil),
		Status:   status,
		Detail:   e.Text(lang),
		Instance: c.Request.URL.Path,
	}
	if len(e.Fields) > 0 {
		p.Errors = make(map[string]string, len(e.Fields))
		for f, m := range e.Fields {
			p.Errors[f] = m.Text(lang)
		}
	}
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", strconv.Itoa(RetryAfterUnavailable))
	}
	if e.RetryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(int(math.Ceil(e.RetryAfter.Seconds()))))
	}
	if status == http.StatusUnauthorized {
		c.Header("WWW-Authenticate", `Bearer realm="opencity"`)
	}
	b, _ := json.Marshal(p)
	c.Data(status, ProblemJSON, b)
	c.Abort()
}

const problemKey = "opencity.problem"

// ProblemOf is the error a handler answered with through WriteProblem, nil
// when it answered otherwise; in-process callers of a handler read it to
// keep the message codes the document renders.
func ProblemOf(c *gin.Context) *core.Error {
	v, _ := c.Get(problemKey)
	e, _ := v.(*core.Error)
	return e
}

// MaxBody bounds JSON request bodies.
const MaxBody = 1 << 20

// DecodeJSON is the one strict reader of JSON bodies: an application/json
// (or unlabelled) body of at most limit bytes holding exactly one JSON value
// whose fields all exist in v. Every failure is an EINVALID *core.Error
// naming the field at fault ("body" for the whole body, "Content-Type" for
// the media type): an unknown field, a value of the wrong type, malformed
// JSON, an empty or too large body, anything after the value (even a
// stray "}").
func DecodeJSON(c *gin.Context, v any, limit int64) error {
	ct := c.ContentType()
	if ct != "" && ct != "application/json" {
		return &core.Error{Code: core.EINVALID, Message: "error.send_json",
			Fields: core.FieldErrors{"Content-Type": core.M("error.must_json")}}
	}
	dec := json.NewDecoder(http.MaxBytesReader(c.Writer, c.Request.Body, limit))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// Token, unlike More, also sees a closing "}" or "]" after the value.
		if _, next := dec.Token(); next != io.EOF {
			err = errTrailing
		}
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	var maxErr *http.MaxBytesError
	field, msg := "body", core.M("error.json_invalid_reason", "Reason", err.Error())
	switch {
	case errors.Is(err, errTrailing):
		msg = core.M("error.json_trailing")
	case errors.Is(err, io.EOF):
		msg = core.M("error.json_empty")
	case errors.As(err, &typeErr):
		field, msg = typeErr.Field, core.M("error.json_type", "Kind", i18n.Code("json_kind."+jsonKind(typeErr.Type.Kind().String())))
		if field == "" {
			field, msg = "body", core.M("error.json_object")
		}
	case errors.As(err, &syntaxErr):
		msg = core.M("error.json_invalid")
	case errors.As(err, &maxErr):
		msg = core.M("error.too_large")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field, msg = strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`), core.M("error.unknown_field")
	}
	return &core.Error{Code: core.EINVALID, Message: "error.body_invalid", Fields: core.FieldErrors{field: msg}}
}

var errTrailing = errors.New("data after the JSON value")

// jsonKind names the JSON kind of a Go kind, as the catalog's json_kind.*.
func jsonKind(goKind string) string {
	switch goKind {
	case "string", "bool":
		return goKind
	case "struct", "map":
		return "object"
	case "slice", "array":
		return "array"
	case "ptr":
		return "value"
	}
	return "number"
}
