package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/httpapi"
)

// RouteLimit is what one route may receive.
type RouteLimit struct {
	// Bytes bounds the body.
	Bytes int64
	// Deadline is how long reading the body and writing the answer may take
	// from the moment the route is matched; zero keeps the server's read and
	// write timeouts. Uploads get one that fits their size on a slow line.
	Deadline time.Duration
	// File is the largest file the route takes (a photo, an import),
	// named on its "too large" page; 0 for a route without files.
	File int64
}

// BodyLimits bounds every request body and cleans up after it. It runs
// first, before anything reads the body:
//
//   - a body larger than its route's bound is refused with 413 (an
//     application/problem+json document on API paths, a page elsewhere),
//     without being read when its Content-Length says so;
//   - a multipart/form-data body is parsed here, within the bound, keeping
//     at most MaxMemory bytes in memory; its temporary files are removed
//     when the request ends, whoever answered it (CSRF refusal, handler,
//     panic). Handlers find the parsed form on the request;
//   - a malformed body is refused with 422.
//
// Route-specific bounds and deadlines come from Routes; every other route
// gets Default.
type BodyLimits struct {
	// Default bounds forms and JSON bodies, in bytes.
	Default int64
	// Routes are the routes that take more (photos, imports), keyed by the
	// method and the path as mounted: "POST /t/:slug/new".
	Routes map[string]RouteLimit
	// MaxMemory is how many bytes of a multipart body stay in memory; larger
	// file parts go to temporary files under os.TempDir.
	MaxMemory int64
	// Kit renders the 413 and 422 pages; nil answers every path with a
	// problem document.
	Kit *Kit
}

// Limit is the bound and deadline of a route ("POST", "/t/:slug/new").
func (l *BodyLimits) Limit(method, path string) RouteLimit {
	if rl, ok := l.Routes[method+" "+path]; ok {
		return rl
	}
	return RouteLimit{Bytes: l.Default}
}

// Handler is the middleware; mount it on the engine before any other that
// may read a body.
func (l *BodyLimits) Handler(c *gin.Context) {
	r := c.Request
	rl := l.Limit(r.Method, c.FullPath())
	if rl.Deadline > 0 {
		rc := http.NewResponseController(c.Writer)
		until := time.Now().Add(rl.Deadline)
		_ = rc.SetReadDeadline(until)
		_ = rc.SetWriteDeadline(until)
	}
	if r.Body == nil || r.Body == http.NoBody {
		c.Next()
		return
	}
	if r.ContentLength > rl.Bytes {
		l.refuse(c, http.StatusRequestEntityTooLarge, rl.Bytes)
		return
	}
	r.Body = http.MaxBytesReader(c.Writer, r.Body, rl.Bytes)
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case mt == "multipart/form-data":
		err := r.ParseMultipartForm(l.MaxMemory)
		if form := r.MultipartForm; form != nil {
			defer func() {
				_ = form.RemoveAll()
				// A handler that parsed again on a copy of the request.
				if f := c.Request.MultipartForm; f != nil && f != form {
					_ = f.RemoveAll()
				}
			}()
		}
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				l.refuse(c, http.StatusRequestEntityTooLarge, rl.Bytes)
			} else {
				l.refuse(c, http.StatusUnprocessableEntity, rl.Bytes)
			}
			return
		}
	case r.ContentLength < 0 && rl.Bytes <= l.Default:
		// A small body of unknown length is read here, so that one too large
		// gets its 413 rather than whatever its handler makes of a cut body.
		b, err := io.ReadAll(r.Body)
		if err != nil {
			var maxErr *http.MaxBytesError
			if errors.As(err, &maxErr) {
				l.refuse(c, http.StatusRequestEntityTooLarge, rl.Bytes)
			} else {
				l.refuse(c, http.StatusUnprocessableEntity, rl.Bytes)
			}
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(b))
		r.ContentLength = int64(len(b))
	}
	c.Next()
}

// refuse answers 413 or 422 for an API path with a problem document and
// for a page with the kit's page, in the visitor's language.
func (l *BodyLimits) refuse(c *gin.Context, status int, limit int64) {
	slog.WarnContext(c.Request.Context(), "request body refused", "status", status, "limit", limit,
		"content_length", c.Request.ContentLength, "content_type", c.GetHeader("Content-Type"))
	c.Header("Connection", "close")
	l.knowCity(c)
	if httpapi.IsOpen311(c.Request.URL.Path) {
		httpapi.Open311Fail(c, core.E(core.ETOOLARGE, "error.body_larger", "Size", sizeMsg(limit)))
		return
	}
	if l.Kit == nil || isAPI(c.Request.URL.Path) {
		e := &core.Error{Code: core.ETOOLARGE, Message: "error.body_larger", Args: map[string]any{"Size": sizeMsg(limit)},
			Fields: core.FieldErrors{"body": core.M("error.larger_than", "Size", sizeMsg(limit))}}
		if status != http.StatusRequestEntityTooLarge {
			e = &core.Error{Code: core.EINVALID, Message: "error.body_unreadable_form",
				Fields: core.FieldErrors{"body": core.M("error.multipart_cut")}}
		}
		httpapi.WriteProblem(c, e)
		return
	}
	if status != http.StatusRequestEntityTooLarge {
		l.Kit.Error(c, status, "bad_body_title", "bad_body_text")
		return
	}
	l.Kit.ErrorMsg(c, status, "body_too_large_title", TooLarge(l.Limit(c.Request.Method, c.FullPath())))
}

// knowCity puts the city of a /t/{slug}/ path into the request's context,
// so the refusal speaks the city's language; the refusal comes before the
// routes that would resolve it.
func (l *BodyLimits) knowCity(c *gin.Context) {
	if l.Kit != nil {
		l.Kit.pathCity(c)
	}
}

// pathCity puts the city of a /t/{slug}/ path into the request's context
// for answers given before (or instead of) the city's own routes.
func (k *Kit) pathCity(c *gin.Context) {
	rest, ok := strings.CutPrefix(c.Request.URL.Path, "/t/")
	if !ok || k.Cities == nil {
		return
	}
	slug, _, _ := strings.Cut(rest, "/")
	if city, err := k.Cities.BySlug(c.Request.Context(), slug); err == nil {
		c.Request = c.Request.WithContext(httpapi.NewContextWithCity(c.Request.Context(), city))
	}
}

// NotFound answers an address no route serves: a browser asking for a
// page gets the kit's 404 page in the city's (or its own) language, every
// other client a problem document.
func (k *Kit) NotFound(c *gin.Context) {
	if isAPI(c.Request.URL.Path) || !strings.Contains(c.GetHeader("Accept"), "text/html") {
		httpapi.WriteProblem(c, core.E(core.ENOTFOUND, "error.no_page"))
		return
	}
	k.pathCity(c)
	k.Error(c, http.StatusNotFound, "notfound_title", "notfound_text")
}

func isAPI(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.Contains(path, "/api/") ||
		strings.HasPrefix(path, "/billing/") || strings.HasPrefix(path, "/signup/api")
}

// sizeMsg writes a byte count the way limits are stated ("10 MB",
// "512 KB"), as a catalog message in the reader's language.
// TooLarge is what a page says when a form's body is over its route's
// limit: the largest file for a route that takes one, else that the form
// itself is too long (a login or a comment carries no photo).
func TooLarge(rl RouteLimit) core.Msg {
	if rl.File > 0 {
		return core.M("body_too_large_file", "Size", sizeMsg(rl.File))
	}
	return core.M("body_too_large_form", "Size", sizeMsg(rl.Bytes))
}

func sizeMsg(n int64) core.Msg {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return core.M("size.mb", "N", n>>20)
	case n >= 1<<20:
		return core.M("size.mb", "N", fmt.Sprintf("%.1f", float64(n)/(1<<20)))
	case n >= 1<<10:
		return core.M("size.kb", "N", n>>10)
	}
	return core.M("size.bytes", "Count", n)
}
