package core

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// The login lockout policy. Failures are counted per account and client
// address together, so a stranger who guesses at someone's login locks out
// only their own address; the account as a whole is slowed, never locked,
// and its owner still logs in from their own address.
const (
	// LoginFailures is how many failed logins one client address may make
	// on one account within LoginLock; the next attempts from that address
	// are refused (429) without checking the password until LoginLock has
	// passed since the last counted failure.
	LoginFailures = 5
	// LoginLock is the window of LoginFailures and the length of the lock.
	LoginLock = 15 * time.Minute
	// LoginSlowdown is added to the answer of a failure, once per failure
	// of the same address on the same account in the window.
	LoginSlowdown = 250 * time.Millisecond
	// LoginCeiling is how many failures on one account, from every address
	// in the window, make every further attempt on it wait LoginCeilingDelay
	// before the password is checked.
	LoginCeiling = 20
	// LoginCeilingDelay is the wait of an attempt on an account past
	// LoginCeiling.
	LoginCeilingDelay = 2 * time.Second
)

// Credentials are what a login presents. Client is the caller's network
// address as the server determines it (forwarded headers count only from
// trusted proxies); "" when unknown.
type Credentials struct {
	Login    string `json:"login"`
	Password string `json:"password"`
	Client   string `json:"-"`
}

// LoginAttempt is the outcome of reserving a login attempt.
type LoginAttempt struct {
	// Allowed is false when the client has used its LoginFailures on the
	// account; the password must not be checked then.
	Allowed bool
	// RetryAfter is how long a refused client must wait.
	RetryAfter time.Duration
	// Failures counts the client's failures on the account in the window,
	// this attempt included.
	Failures int
	// AccountFailures counts the failures on the account from every
	// client in the window, this attempt included.
	AccountFailures int
}

// LoginAttempts counts login failures per account and client address. Its
// implementations keep the counts in the database, so they hold across
// server processes.
type LoginAttempts interface {
	// ReserveLoginAttempt counts an attempt of client on login as a failure
	// in the same statement that checks the client's count, so concurrent
	// attempts can never pass LoginFailures: an attempt over the count is
	// not counted and comes back with Allowed false. Counts older than
	// LoginLock start anew.
	ReserveLoginAttempt(ctx context.Context, login, client string, now time.Time) (LoginAttempt, error)
	// ForgetLoginFailures forgets the failures of client on login after it
	// logged in.
	ForgetLoginFailures(ctx context.Context, login, client string) error
}

// PasswordAccount is what a password check needs to know about an account;
// lookups of unknown logins return ErrNotFound.
type PasswordAccount struct {
	PasswordHash string
	Active       bool
}

// dummyHash keeps the time of a login for an unknown user close to that of a
// wrong password, so logins cannot be probed by timing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("not a password"), bcrypt.DefaultCost)

// CheckLogin applies the lockout policy around one password check; it is
// the only place where a login's password is compared with its hash, for
// city users and vendor users alike. lookup finds the account of a
// normalized login. Errors: EINVALID for a missing login or password,
// ETOOMANY (with RetryAfter) when the client's failures on the account are
// used up, EUNAUTHORIZED for a wrong login or password or an inactive
// account.
func CheckLogin(ctx context.Context, attempts LoginAttempts, c Credentials, now time.Time,
	lookup func(ctx context.Context, login string) (PasswordAccount, error)) error {
	login := NormalizeLogin(c.Login)
	f := FieldErrors{}
	if login == "" {
		f.Add("login", "error.required")
	}
	if c.Password == "" {
		f.Add("password", "error.required")
	}
	if err := f.Err(); err != nil {
		return err
	}
	bad := E(EUNAUTHORIZED, "error.wrong_login")
	if len(login) > MaxLogin {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(c.Password))
		return bad // no such account can exist: nothing to count
	}
	gate, err := attempts.ReserveLoginAttempt(ctx, login, c.Client, now)
	if err != nil {
		return err
	}
	if !gate.Allowed {
		minutes := int(gate.RetryAfter.Minutes() + 0.999)
		e := E(ETOOMANY, "error.login_locked_address", "Count", max(minutes, 1))
		e.RetryAfter = gate.RetryAfter
		return e
	}
	if gate.AccountFailures > LoginCeiling {
		if err := sleep(ctx, LoginCeilingDelay); err != nil {
			return err
		}
	}
	acc, err := lookup(ctx, login)
	if errors.Is(err, ErrNotFound) {
		_ = bcrypt.CompareHashAndPassword(dummyHash, []byte(c.Password))
		acc = PasswordAccount{}
	} else if err != nil {
		return err
	}
	if acc.PasswordHash != "" && bcrypt.CompareHashAndPassword([]byte(acc.PasswordHash), []byte(c.Password)) == nil && acc.Active {
		return attempts.ForgetLoginFailures(ctx, login, c.Client)
	}
	if gate.Failures == LoginFailures {
		slog.WarnContext(ctx, "login: an address used up its failures on an account", "login", login, "client", c.Client, "locked_for", LoginLock)
	}
	if gate.AccountFailures == LoginCeiling+1 {
		slog.WarnContext(ctx, "login: an account passed its failure ceiling; every attempt on it is slowed", "login", login)
	}
	if err := sleep(ctx, time.Duration(gate.Failures)*LoginSlowdown); err != nil {
		return err
	}
	return bad
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
