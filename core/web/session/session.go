// Package session keeps the page sessions of OpenCity through
// github.com/alexedwards/scs/v2, stored server-side in the database (a
// city's sessions in the city's schema or database file, the vendor
// console's and the signup's in the control plane; see core.SessionStore).
// The cookie carries only the session's random id; the database keeps its
// SHA-256, the user and the CSRF token. Logging in gives the session a new
// id and a new CSRF token (no fixation); logging out deletes it; the stores
// end every session of a user whose password, role or activity changes.
//
// Pages load the session with Manager.Begin, templates put Token(ctx) into a
// hidden "csrf_token" field, and Check tells whether an unsafe request sent
// it back: it is the one CSRF check of every page surface.
package session

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/gin-gonic/gin"
	"github.com/opencity/opencity/core"
)

// FormField and Header carry the CSRF token of a form or a script.
const (
	FormField = "csrf_token"
	Header    = "X-CSRF-Token"
)

// The keys of a session's values.
const (
	keyUser = "user" // int64: the logged-in user's id, absent when anonymous
	keyCSRF = "csrf" // string: the token every form of the session sends back
)

// Defaults of Options.
const (
	DefaultLifetime = 24 * time.Hour
)

// Options configure a Manager.
type Options struct {
	// Name is the cookie's name.
	Name string
	// Lifetime is the absolute life of a session from its login (or its
	// first form); DefaultLifetime when zero.
	Lifetime time.Duration
	// IdleTimeout ends a session unused for that long; zero: no idle end.
	IdleTimeout time.Duration
	// Secure forces the cookie's Secure attribute; it is set anyway on TLS
	// requests.
	Secure bool
}

// Manager loads and saves the sessions of one kind of page (city, vendor,
// signup) from the store its Stores function picks for a request.
type Manager struct {
	scs    *scs.SessionManager
	secure bool
}

// ErrNoStore is the error of a request for which no store was picked (a
// city page outside a resolved city): a programming error.
var ErrNoStore = errors.New("session: no session store for this request")

// New returns a manager keeping its sessions in the store pick returns for
// a request's context.
func New(pick func(ctx context.Context) core.SessionStore, o Options) *Manager {
	// scs.New starts the cleanup goroutine of a default memory store that
	// is replaced at once. It is left to tick over its empty map: stopping
	// it races with its start inside scs (memstore.StopCleanup reads the
	// channel that the goroutine may not have made yet).
	m := scs.New()
	m.Store = adapter{pick: pick}
	m.HashTokenInStore = true
	m.Lifetime = o.Lifetime
	if m.Lifetime <= 0 {
		m.Lifetime = DefaultLifetime
	}
	m.IdleTimeout = o.IdleTimeout
	m.Cookie.Name = o.Name
	return &Manager{scs: m, secure: o.Secure}
}

// Lifetime is the absolute life of the manager's sessions.
func (m *Manager) Lifetime() time.Duration { return m.scs.Lifetime }

// loaded is the session machinery of one request, in its context.
type loaded struct {
	m         *Manager
	c         *gin.Context
	committed bool
}

type ctxKey struct{}

func from(ctx context.Context) *loaded {
	l, _ := ctx.Value(ctxKey{}).(*loaded)
	return l
}

// Begin loads the request's session from its cookie into the request's
// context (a missing, unknown or expired id starts an empty anonymous
// session, stored only once something is put into it) and arranges that a
// changed session is saved before the answer's headers go out. Errors are
// the store's (the database unreachable). Middleware that calls Begin must
// call Finish after c.Next.
func (m *Manager) Begin(c *gin.Context) error {
	var id string
	if ck, err := c.Request.Cookie(m.scs.Cookie.Name); err == nil {
		id = ck.Value
	}
	ctx, err := m.scs.Load(c.Request.Context(), id)
	if err != nil {
		return err
	}
	l := &loaded{m: m, c: c}
	c.Request = c.Request.WithContext(context.WithValue(ctx, ctxKey{}, l))
	c.Writer = &writer{ResponseWriter: c.Writer, l: l}
	c.Writer.Header().Add("Vary", "Cookie")
	return nil
}

// Finish saves the request's session if it changed and nothing was
// written yet (an answer without a body).
func Finish(c *gin.Context) {
	if l := from(c.Request.Context()); l != nil {
		l.save()
	}
}

// save commits a changed session and sends its cookie, once per request,
// before the headers are written.
func (l *loaded) save() {
	if l.committed || l.c.Writer.Written() {
		return
	}
	ctx := l.c.Request.Context()
	switch l.m.scs.Status(ctx) {
	case scs.Modified:
		l.committed = true
		id, expires, err := l.m.scs.Commit(ctx)
		if err != nil {
			slog.ErrorContext(ctx, "save page session", "err", err)
			return
		}
		l.m.cookie(l.c, id, expires)
	case scs.Destroyed:
		l.committed = true
		l.m.cookie(l.c, "", time.Time{})
	}
}

func (m *Manager) cookie(c *gin.Context, id string, expires time.Time) {
	ck := &http.Cookie{Name: m.scs.Cookie.Name, Value: id, Path: "/", HttpOnly: true,
		Secure: m.secure || c.Request.TLS != nil, SameSite: http.SameSiteLaxMode}
	if expires.IsZero() {
		ck.MaxAge = -1
	} else {
		ck.Expires = expires.UTC()
		ck.MaxAge = max(int(time.Until(expires).Seconds()), 1)
	}
	c.Writer.Header().Add("Set-Cookie", ck.String())
	c.Writer.Header().Set("Cache-Control", `no-cache="Set-Cookie"`)
}

// LogIn makes the request's session the session of userID: a new id (the
// one seen before the login, by whoever, is worthless after it), a new
// CSRF token, saved at once.
func (m *Manager) LogIn(c *gin.Context, userID int64) error {
	l := from(c.Request.Context())
	if l == nil || l.m != m {
		return ErrNoStore
	}
	ctx := c.Request.Context()
	if err := m.scs.RenewToken(ctx); err != nil {
		return err
	}
	m.scs.Put(ctx, keyUser, userID)
	m.scs.Put(ctx, keyCSRF, randomToken())
	id, expires, err := m.scs.Commit(ctx)
	if err != nil {
		return err
	}
	l.committed = true
	m.cookie(c, id, expires)
	return nil
}

// LogOut deletes the request's session from the store and the browser.
func (m *Manager) LogOut(c *gin.Context) error {
	l := from(c.Request.Context())
	if l == nil || l.m != m {
		return ErrNoStore
	}
	if err := m.scs.Destroy(c.Request.Context()); err != nil {
		return err
	}
	l.committed = true
	m.cookie(c, "", time.Time{})
	return nil
}

// UserID is the logged-in user of the request's session, 0 when anonymous
// or outside a session.
func UserID(ctx context.Context) int64 {
	l := from(ctx)
	if l == nil {
		return 0
	}
	return l.m.scs.GetInt64(ctx, keyUser)
}

// Token returns the CSRF token to put into a form, creating it (and so
// the stored session) on a session's first form; "" outside a session.
func Token(ctx context.Context) string {
	l := from(ctx)
	if l == nil {
		return ""
	}
	t := l.m.scs.GetString(ctx, keyCSRF)
	if t == "" {
		t = randomToken()
		l.m.scs.Put(ctx, keyCSRF, t)
	}
	return t
}

// Valid reports whether sent is the CSRF token of the request's session.
func Valid(ctx context.Context, sent string) bool {
	l := from(ctx)
	if l == nil || sent == "" {
		return false
	}
	want := l.m.scs.GetString(ctx, keyCSRF)
	return want != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(want)) == 1
}

// Check reports whether a request carries the CSRF token of its session
// (loaded by Begin) in the X-CSRF-Token header or the csrf_token form
// field. It is the one CSRF check of the pages; core/web's kit runs it on
// every unsafe request, whatever other headers the request has.
func Check(c *gin.Context) bool {
	sent := c.GetHeader(Header)
	if sent == "" {
		sent = c.PostForm(FormField)
	}
	return Valid(c.Request.Context(), sent)
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// writer saves the session before the first byte of the answer.
type writer struct {
	gin.ResponseWriter
	l *loaded
}

func (w *writer) WriteHeaderNow() { w.l.save(); w.ResponseWriter.WriteHeaderNow() }

func (w *writer) Write(b []byte) (int, error) { w.l.save(); return w.ResponseWriter.Write(b) }

func (w *writer) WriteString(s string) (int, error) {
	w.l.save()
	return w.ResponseWriter.WriteString(s)
}

func (w *writer) Flush() { w.l.save(); w.ResponseWriter.Flush() }

// adapter is scs's store over the core.SessionStore of a request. scs
// hands it the SHA-256 of the id (HashTokenInStore).
type adapter struct {
	pick func(ctx context.Context) core.SessionStore
}

var errNoContext = errors.New("session: the store needs the request's context")

func (a adapter) store(ctx context.Context) (core.SessionStore, error) {
	if st := a.pick(ctx); st != nil {
		return st, nil
	}
	return nil, ErrNoStore
}

// FindCtx implements scs.CtxStore; expiry is by the wall clock, as scs
// sets it.
func (a adapter) FindCtx(ctx context.Context, hash string) ([]byte, bool, error) {
	st, err := a.store(ctx)
	if err != nil {
		return nil, false, err
	}
	return st.FindSession(ctx, hash, time.Now())
}

// CommitCtx implements scs.CtxStore, keeping the session's user beside
// its data so that a user's sessions can all be ended.
func (a adapter) CommitCtx(ctx context.Context, hash string, b []byte, expires time.Time) error {
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	_, values, err := scs.GobCodec{}.Decode(b)
	if err != nil {
		return err
	}
	user, _ := values[keyUser].(int64)
	return st.CommitSession(ctx, hash, user, b, expires)
}

// DeleteCtx implements scs.CtxStore.
func (a adapter) DeleteCtx(ctx context.Context, hash string) error {
	st, err := a.store(ctx)
	if err != nil {
		return err
	}
	return st.DeleteSession(ctx, hash)
}

// Find, Commit and Delete complete scs.Store; scs calls the Ctx methods.
func (adapter) Find(string) ([]byte, bool, error)      { return nil, false, errNoContext }
func (adapter) Commit(string, []byte, time.Time) error { return errNoContext }
func (adapter) Delete(string) error                    { return errNoContext }
