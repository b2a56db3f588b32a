package store_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

func TestLoginAttempts(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			scope := provisionCity(t, kind, "kazan").Scope
			st := store.New(scope)
			t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			// 30 concurrent attempts of one address on one login: exactly
			// LoginFailures are allowed.
			var wg sync.WaitGroup
			var mu sync.Mutex
			allowed := 0
			for range 30 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					a, err := st.ReserveLoginAttempt(ctx, "anna", "192.0.2.1", t0)
					if err != nil {
						t.Error(err)
					}
					mu.Lock()
					defer mu.Unlock()
					if a.Allowed {
						allowed++
					}
				}()
			}
			wg.Wait()
			if allowed != core.LoginFailures {
				t.Errorf("%d concurrent attempts allowed, want %d", allowed, core.LoginFailures)
			}
			a, err := st.ReserveLoginAttempt(ctx, "anna", "192.0.2.1", t0.Add(time.Minute))
			if err != nil || a.Allowed || a.RetryAfter != core.LoginLock-time.Minute {
				t.Errorf("locked address: %+v %v, want to wait %v", a, err, core.LoginLock-time.Minute)
			}
			// Another address on the same login is not locked, and sees the
			// account's failures.
			a, err = st.ReserveLoginAttempt(ctx, "anna", "198.51.100.7", t0.Add(time.Minute))
			if err != nil || !a.Allowed || a.Failures != 1 || a.AccountFailures != core.LoginFailures+1 {
				t.Errorf("owner's address: %+v %v", a, err)
			}
			// A success forgets the address's failures only.
			if err := st.ForgetLoginFailures(ctx, "anna", "198.51.100.7"); err != nil {
				t.Fatal(err)
			}
			if a, _ := st.ReserveLoginAttempt(ctx, "anna", "198.51.100.7", t0.Add(2*time.Minute)); a.Failures != 1 {
				t.Errorf("failures after a success: %+v", a)
			}
			if a, _ := st.ReserveLoginAttempt(ctx, "anna", "192.0.2.1", t0.Add(2*time.Minute)); a.Allowed {
				t.Errorf("the guesser's lock ended with the owner's success: %+v", a)
			}
			// The lock ends LoginLock after the last counted failure.
			if a, _ := st.ReserveLoginAttempt(ctx, "anna", "192.0.2.1", t0.Add(core.LoginLock+time.Second)); !a.Allowed || a.Failures != 1 {
				t.Errorf("still locked after the lock: %+v", a)
			}
			// A new count a day later forgets the stale ones.
			st.ReserveLoginAttempt(ctx, "ghost", "192.0.2.1", t0)
			st.ReserveLoginAttempt(ctx, "later", "192.0.2.1", t0.Add(25*time.Hour))
			var logins []string
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT login FROM login_attempts ORDER BY login").Scan(ctx, &logins)
			})
			if err != nil || len(logins) != 1 || logins[0] != "later" {
				t.Errorf("after the prune: %v %v", logins, err)
			}
		})
	}
}
