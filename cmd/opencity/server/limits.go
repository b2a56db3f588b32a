package server

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/opencity/opencity/core/httpapi"
	"github.com/opencity/opencity/core/web"
)

// Limits bound what one client may make the server hold: time per request
// and connection, header and body sizes. Zero fields take the defaults of
// DefaultLimits.
type Limits struct {
	// ReadHeader bounds reading a request's headers.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included, on every route
	// but the uploads (OPENCITY_READ_TIMEOUT).
	Read time.Duration
	// Write bounds writing the answer, from the end of the headers
	// (OPENCITY_WRITE_TIMEOUT).
	Write time.Duration
	// Idle closes a keep-alive connection that sends nothing this long
	// (OPENCITY_IDLE_TIMEOUT).
	Idle time.Duration
	// Upload is the read and write deadline of the routes that take a photo
	// or an import file (OPENCITY_UPLOAD_TIMEOUT); the default lets 10 MB
	// arrive at 140 kbit/s.
	Upload time.Duration
	// MaxHeaderBytes bounds the request line and headers.
	MaxHeaderBytes int
	// Body bounds a form or JSON body, in bytes.
	Body int64
	// Err is a setting that could not be read; New refuses to start.
	Err error
}

// DefaultLimits are the limits of a server whose configuration sets none.
var DefaultLimits = Limits{
	ReadHeader:     10 * time.Second,
	Read:           30 * time.Second,
	Write:          2 * time.Minute,
	Idle:           2 * time.Minute,
	Upload:         10 * time.Minute,
	MaxHeaderBytes: 64 << 10,
	Body:           1 << 20,
}

// WithDefaults fills the zero fields from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	pick := func(v *time.Duration, def time.Duration) {
		if *v <= 0 {
			*v = def
		}
	}
	pick(&l.ReadHeader, d.ReadHeader)
	pick(&l.Read, d.Read)
	pick(&l.Write, d.Write)
	pick(&l.Idle, d.Idle)
	pick(&l.Upload, d.Upload)
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = d.MaxHeaderBytes
	}
	if l.Body <= 0 {
		l.Body = d.Body
	}
	return l
}

// LimitsFromEnv reads the timeouts; a value that is not a positive Go
// duration sets Err, naming the variable.
func LimitsFromEnv(getenv func(string) string) Limits {
	var l Limits
	var errs []error
	for _, v := range []struct {
		name string
		to   *time.Duration
	}{
		{"OPENCITY_READ_TIMEOUT", &l.Read},
		{"OPENCITY_WRITE_TIMEOUT", &l.Write},
		{"OPENCITY_IDLE_TIMEOUT", &l.Idle},
		{"OPENCITY_UPLOAD_TIMEOUT", &l.Upload},
	} {
		s := getenv(v.name)
		if s == "" {
			continue
		}
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			errs = append(errs, fmt.Errorf("%s %q: use a positive duration such as 30s", v.name, s))
			continue
		}
		*v.to = d
	}
	l.Err = errors.Join(errs...)
	return l
}

// maxImport bounds a CSV or XLSX import: 100 000 rows of a registry.
const maxImport = httpapi.MaxImport

// maxPhotoForm bounds a body that carries one photo and its form's fields.
const maxPhotoForm = httpapi.MaxPhoto + 256<<10

// uploadRoutes are the routes that take more than a form or JSON body: a
// photo (the API and the pages that have a photo field) or an import file.
// TestBodyLimits checks each is mounted.
var uploadRoutes = map[string]int64{
	"POST /t/:slug/api/v1/requests/:number/photos": maxPhotoForm,
	"POST /api/v1/requests/:number/photos":         maxPhotoForm,
	"POST /t/:slug/new":                            maxPhotoForm,
	"POST /t/:slug/report":                         maxPhotoForm,
	"POST /t/:slug/desk/call":                      maxPhotoForm,
	"POST /t/:slug/requests/:number/photo":         maxPhotoForm,
	"POST /t/:slug/requests/:number/resolve":       maxPhotoForm,
	"POST /t/:slug/api/v1/buildings/import":        maxImport,
	"POST /api/v1/buildings/import":                maxImport,
	"POST /t/:slug/admin/buildings/import":         maxImport,
	"POST /t/:slug/admin/imports/:id/upload":       maxImport,
}

// BodyLimits is the middleware bounding every body: l.Body for forms and
// JSON, uploadRoutes for the rest, within l.Upload.
func (l Limits) BodyLimits(kit *web.Kit) *web.BodyLimits {
	b := &web.BodyLimits{Default: l.Body, MaxMemory: 1 << 20, Kit: kit, Routes: map[string]web.RouteLimit{}}
	for route, n := range uploadRoutes {
		file := n // an import is one file
		if n == maxPhotoForm {
			file = httpapi.MaxPhoto
		}
		b.Routes[route] = web.RouteLimit{Bytes: n, Deadline: l.Upload, File: file}
	}
	return b
}

// httpServer is the net/http server with the limits' timeouts.
func (l Limits) httpServer(h http.Handler) *http.Server {
	return &http.Server{Handler: h, ReadHeaderTimeout: l.ReadHeader, ReadTimeout: l.Read,
		WriteTimeout: l.Write, IdleTimeout: l.Idle, MaxHeaderBytes: l.MaxHeaderBytes}
}
