package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

func TestLoginFailures(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			b := tenanttest.Open(t, kind)
			tenanttest.Provision(t, b, "kazan")
			scope, err := b.Scope("kazan")
			if err != nil {
				t.Fatal(err)
			}
			st := store.New(scope)
			t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
			for i := 1; i <= core.LoginFailures; i++ {
				n, err := st.RecordLoginFailure(ctx, "anna", t0)
				if err != nil || n != i {
					t.Fatalf("failure %d: %d %v", i, n, err)
				}
			}
			until, err := st.LoginLockedUntil(ctx, "anna", t0.Add(time.Minute))
			if err != nil || !until.Equal(t0.Add(core.LoginLock)) {
				t.Errorf("locked until %v %v, want %v", until, err, t0.Add(core.LoginLock))
			}
			if until, _ := st.LoginLockedUntil(ctx, "anna", t0.Add(core.LoginLock+time.Second)); !until.IsZero() {
				t.Errorf("still locked after the lock: %v", until)
			}
			// Failures far apart do not add up to a lock.
			st.RecordLoginFailure(ctx, "boris", t0)
			if n, _ := st.RecordLoginFailure(ctx, "boris", t0.Add(core.LoginLock+time.Minute)); n != 1 {
				t.Errorf("an old failure still counted: %d", n)
			}
			// A new count a day later forgets the stale ones.
			st.RecordLoginFailure(ctx, "ghost", t0)
			st.RecordLoginFailure(ctx, "later", t0.Add(25*time.Hour))
			var logins []string
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT login FROM login_failures ORDER BY login").Scan(ctx, &logins)
			})
			if err != nil || len(logins) != 1 || logins[0] != "later" {
				t.Errorf("after the prune: %v %v", logins, err)
			}
		})
	}
}
