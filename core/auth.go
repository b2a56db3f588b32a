package core

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// TokenTTL is how long a bearer token from a login stays valid.
const TokenTTL = 24 * time.Hour

// HashPassword returns the bcrypt hash of a password.
func HashPassword(password string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	return string(b), err
}

// dummyHash keeps the time of a login for an unknown user close to that of a
// wrong password, so logins cannot be probed by timing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// HashToken returns the stored form of a bearer token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Login checks a user's password and issues a bearer token.
func Login(ctx context.Context, st Store, login, password string, now time.Time) (token string, expires time.Time, err error) {
	f := FieldErrors{}
	if NormalizeLogin(login) == "" {
		f.Add("login", "error.required")
	}
	if password == "" {
		f.Add("password", "error.required")
	}
	if err := f.Err(); err != nil {
		return "", time.Time{}, err
	}
	bad := E(EUNAUTHORIZED, "error.wrong_login")
	u, err := st.UserByLogin(ctx, NormalizeLogin(login))
	if errors.Is(err, ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", time.Time{}, bad
	}
	if err != nil {
		return "", time.Time{}, err
	}
	if bcrypt.CompareHashAndPassword([]byte(u.PasswordHash), []byte(password)) != nil || !u.Active {
		return "", time.Time{}, bad
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", time.Time{}, err
	}
	token = base64.RawURLEncoding.EncodeToString(raw)
	expires = now.Add(TokenTTL).UTC()
	err = st.CreateToken(ctx, &Token{Hash: HashToken(token), UserID: u.ID, ExpiresAt: expires, CreatedAt: now.UTC()})
	return token, expires, err
}
