// Package session keeps page sessions in signed cookies and protects every
// form with a CSRF token: pages load the session with Manager.Load (or
// Begin), templates put Token(ctx) into a hidden "csrf_token" field, and
// Check tells whether an unsafe request sent it back.
package session

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// FormField and Header carry the CSRF token of a form or a script.
const (
	FormField = "csrf_token"
	Header    = "X-CSRF-Token"
)

// Session is what a page session remembers between requests.
type Session struct {
	// Token is the bearer token of the logged-in user, empty when anonymous.
	Token string `json:"t,omitempty"`
	// City is the slug the token belongs to.
	City string `json:"c,omitempty"`
	// CSRF is the token every form of the session must send back.
	CSRF    string    `json:"x"`
	Expires time.Time `json:"e"`
}

// Manager reads and writes session cookies.
type Manager struct {
	// Key signs the cookies (HMAC-SHA-256); at least 32 bytes.
	Key []byte
	// Secure forces the Secure attribute; it is set anyway on TLS requests.
	Secure bool
	// Name is the cookie name; "opencity_session" when empty.
	Name string
	// TTL is how long a session lives; 24 hours when zero.
	TTL time.Duration
	Now func() time.Time
}

// ErrShortKey is returned by New for keys under 32 bytes.
var ErrShortKey = errors.New("session: the signing key must be at least 32 bytes")

// New returns a manager signing with key.
func New(key []byte, secure bool) (*Manager, error) {
	if len(key) < 32 {
		return nil, ErrShortKey
	}
	return &Manager{Key: key, Secure: secure}, nil
}

func (m *Manager) name() string {
	if m.Name == "" {
		return "opencity_session"
	}
	return m.Name
}

func (m *Manager) now() time.Time {
	if m.Now == nil {
		return time.Now()
	}
	return m.Now()
}

func (m *Manager) ttl() time.Duration {
	if m.TTL == 0 {
		return 24 * time.Hour
	}
	return m.TTL
}

type ctxKey struct{}

// FromContext returns the session of a request that went through Load.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}

// Token returns the CSRF token to put into a form, "" outside a session.
func Token(ctx context.Context) string {
	if s := FromContext(ctx); s != nil {
		return s.CSRF
	}
	return ""
}

// Load reads the session cookie; a missing, forged or expired cookie starts
// a fresh anonymous session with a new CSRF token, sent back at once.
func (m *Manager) Load(c *gin.Context) {
	m.Begin(c)
	c.Next()
}

// Begin is Load for middleware that has more to do before the handlers
// run: it puts the session into the request's context and returns it.
func (m *Manager) Begin(c *gin.Context) *Session {
	s, ok := m.read(c.Request)
	if !ok {
		s = &Session{CSRF: randomToken(), Expires: m.now().Add(m.ttl())}
		m.write(c, s)
	}
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ctxKey{}, s))
	return s
}

// Valid reports whether sent is the CSRF token of the request's session.
func Valid(ctx context.Context, sent string) bool {
	s := FromContext(ctx)
	return s != nil && s.CSRF != "" && sent != "" && subtle.ConstantTimeCompare([]byte(sent), []byte(s.CSRF)) == 1
}

// Save writes s as the request's session, with a fresh CSRF token when the
// login changes (so a token seen before login is useless after it).
func (m *Manager) Save(c *gin.Context, s *Session) {
	if old := FromContext(c.Request.Context()); old == nil || old.Token != s.Token {
		s.CSRF = randomToken()
	}
	s.Expires = m.now().Add(m.ttl())
	c.Request = c.Request.WithContext(context.WithValue(c.Request.Context(), ctxKey{}, s))
	m.write(c, s)
}

// Clear ends the session in the browser.
func (m *Manager) Clear(c *gin.Context) {
	http.SetCookie(c.Writer, m.cookie(c.Request, "", -1))
}

// Check reports whether a request carries the CSRF token of its session
// (loaded by Load or Begin) in the X-CSRF-Token header or the csrf_token
// form field. It is the one CSRF check of the pages; core/web's kit runs
// it on every unsafe request.
func Check(c *gin.Context) bool {
	sent := c.GetHeader(Header)
	if sent == "" {
		sent = c.PostForm(FormField)
	}
	return Valid(c.Request.Context(), sent)
}

func (m *Manager) cookie(r *http.Request, value string, maxAge int) *http.Cookie {
	return &http.Cookie{Name: m.name(), Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true,
		Secure: m.Secure || r.TLS != nil, SameSite: http.SameSiteLaxMode}
}

func (m *Manager) write(c *gin.Context, s *Session) {
	b, _ := json.Marshal(s) // a struct of plain fields always marshals
	payload := base64.RawURLEncoding.EncodeToString(b)
	value := payload + "." + base64.RawURLEncoding.EncodeToString(m.sign(payload))
	http.SetCookie(c.Writer, m.cookie(c.Request, value, int(m.ttl().Seconds())))
}

func (m *Manager) read(r *http.Request) (*Session, bool) {
	ck, err := r.Cookie(m.name())
	if err != nil {
		return nil, false
	}
	payload, sig, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return nil, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, m.sign(payload)) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil, false
	}
	var s Session
	if json.Unmarshal(b, &s) != nil || s.CSRF == "" || !m.now().Before(s.Expires) {
		return nil, false
	}
	return &s, true
}

func (m *Manager) sign(payload string) []byte {
	h := hmac.New(sha256.New, m.Key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
