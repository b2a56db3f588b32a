package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// phoneCity provisions a city and returns its store, scope and services.
func phoneCity(t *testing.T, kind, slug string) (*store.Store, store.Scope, *core.Accounts, *core.Requests) {
	t.Helper()
	c := provisionCity(t, kind, slug)
	return c.Store, c.Scope, &core.Accounts{Store: c.Store, Gate: c.Requests.Gate, Now: time.Now}, c.Requests
}

// "8 (917) 555-01-23", "+7 917 555-01-23" and "917 555 01 23" are one
// account and one applicant number; the city's phone region reads numbers
// without a country code.
func TestPhoneFormsAreOneNumber(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			st, _, accounts, reqs := phoneCity(t, kind, "phones")
			u, err := accounts.Register(ctx, core.Registration{Phone: "8 (917) 555-01-23", Password: "long enough"})
			if err != nil {
				t.Fatal(err)
			}
			if u.Login != "+79175550123" || u.Phone != "+79175550123" {
				t.Fatalf("registered as %q with phone %q", u.Login, u.Phone)
			}
			for _, form := range []string{"+7 917 555-01-23", "917 555 01 23", "8-917-555-01-23"} {
				s, err := accounts.Login(ctx, core.Credentials{Login: form, Password: "long enough", Client: "192.0.2.1"})
				if err != nil || s.User.ID != u.ID {
					t.Errorf("login as %q: %v", form, err)
				}
				_, err = accounts.Register(ctx, core.Registration{Phone: form, Password: "long enough"})
				if core.ErrorCode(err) != core.ECONFLICT {
					t.Errorf("a second account for %q: %v", form, err)
				}
			}
			_, err = accounts.Register(ctx, core.Registration{Phone: "917 555 01 2", Password: "long enough"})
			var e *core.Error
			if !errors.As(err, &e) || e.Fields["phone"].Code != core.MsgNotPhone {
				t.Errorf("an impossible number: %v", err)
			}
			staff := core.Actor{UserID: 1, Role: core.RoleDispatcher}
			r, _, err := reqs.Submit(ctx, staff, core.NewRequest{Category: "lift", Address: "ул. Баумана, 1", Description: "Лифт стоит",
				Applicant: core.Applicant{Name: "Анна", Phone: "917 555 01 23"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			if r.ApplicantPhone != "+79175550123" {
				t.Errorf("applicant phone stored as %q", r.ApplicantPhone)
			}
			// A city of Kazakhstan reads national numbers by its own plan.
			if err := st.SetSetting(ctx, core.SettingPhoneRegion, "KZ"); err != nil {
				t.Fatal(err)
			}
			r, _, err = reqs.Submit(ctx, staff, core.NewRequest{Category: "lift", Address: "ул. Абая, 1", Description: "Лифт стоит",
				Applicant: core.Applicant{Phone: "8 (701) 555-01-23"}}, "")
			if err != nil || r.ApplicantPhone != "+77015550123" {
				t.Errorf("in region KZ: %v %v", r, err)
			}
		})
	}
}

// Intake reports every fault of a submission at once, and refuses a NUL
// character alike on both databases; nothing is stored.
func TestIntakeReportsEveryFault(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, scope, _, reqs := phoneCity(t, kind, "faults")
			citizen := core.Actor{UserID: 1, Role: core.RoleCitizen}
			cases := []struct {
				in   core.NewRequest
				want map[string]string
			}{
				{core.NewRequest{Category: "no-such", Description: "Лифт\x00стоит", Priority: core.PriorityEmergency,
					Applicant: core.Applicant{Phone: "12345"}},
					map[string]string{"category": "error.unknown_category", "address": "error.give_address",
						"description": core.MsgNULCharacter, "priority": core.MsgPriorityStaff, "applicant.phone": core.MsgNotPhone}},
				{core.NewRequest{Category: "lift", Address: "ул. Баумана, 1\x00", Description: "Лифт стоит",
					Applicant: core.Applicant{Name: "Анна\x00", Phone: "+7 917 555-01-23"}, BuildingID: ptr(int64(999999))},
					map[string]string{"address": core.MsgNULCharacter, "applicant.name": core.MsgNULCharacter, "building_id": "error.no_building"}},
			}
			for i, c := range cases {
				_, _, err := reqs.Submit(ctx, citizen, c.in, "")
				var e *core.Error
				if !errors.As(err, &e) || e.Code != core.EINVALID {
					t.Fatalf("case %d: %v", i, err)
				}
				for f, code := range c.want {
					if e.Fields[f].Code != code {
						t.Errorf("case %d: %s is %q, want %q (all: %v)", i, f, e.Fields[f].Code, code, e.Fields)
					}
				}
				if len(e.Fields) != len(c.want) {
					t.Errorf("case %d: fields %v, want %v", i, e.Fields, c.want)
				}
			}
			var n int
			if err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				return tx.NewRaw("SELECT count(*) FROM requests").Scan(ctx, &n)
			}); err != nil || n != 0 {
				t.Errorf("%d requests stored (%v)", n, err)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// The phone migration rewrites what an earlier version stored ("+" and
// every digit typed, or the number as typed) into E.164, logins of accounts
// registered by phone included, and leaves what is no number alone.
func TestPhoneRepairMigration(t *testing.T) {
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			_, scope, _, _ := phoneCity(t, kind, "legacy")
			now := time.Now().UTC()
			err := scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				for _, u := range [][2]string{{"+89175550123", "+89175550123"}, {"+9175550124", "+9175550124"},
					{"anna@example.org", "+7 917 555-01-25"}, {"+79175550126", ""}, {"+89175550126", "+89175550126"}} {
					if _, err := tx.ExecContext(ctx, "INSERT INTO users (login, phone, password_hash, role, active, created_at) VALUES (?, ?, '!', 'citizen', ?, ?)",
						u[0], u[1], true, now); err != nil {
						return err
					}
				}
				var cat, creator int64
				if err := tx.NewRaw("SELECT id FROM categories ORDER BY id LIMIT 1").Scan(ctx, &cat); err != nil {
					return err
				}
				if err := tx.NewRaw("SELECT id FROM users ORDER BY id LIMIT 1").Scan(ctx, &creator); err != nil {
					return err
				}
				for i, p := range []string{"+89175550123", "8 (917) 555-01-23", "+9175550123", "не помню"} {
					if _, err := tx.ExecContext(ctx, `INSERT INTO requests (number, channel, status, priority, category_id, description,
						applicant_phone, created_by, created_at, updated_at) VALUES (?, 'portal', 'new', 'normal', ?, 'x', ?, ?, ?, ?)`,
						"2020-00000"+string(rune('1'+i)), cat, p, creator, now, now); err != nil {
						return err
					}
				}
				_, err := tx.ExecContext(ctx, "DELETE FROM schema_migrations WHERE version = 60")
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := store.Migrate(ctx, scope); err != nil {
				t.Fatal(err)
			}
			var phones []string
			var users []struct {
				Login string `bun:"login"`
				Phone string `bun:"phone"`
			}
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if err := tx.NewRaw("SELECT applicant_phone FROM requests ORDER BY number").Scan(ctx, &phones); err != nil {
					return err
				}
				return tx.NewRaw("SELECT login, phone FROM users WHERE login <> 'admin' AND role = 'citizen' AND password_hash = '!' ORDER BY id").Scan(ctx, &users)
			})
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"+79175550123", "+79175550123", "+79175550123", "не помню"}
			for i := range want {
				if i >= len(phones) || phones[i] != want[i] {
					t.Fatalf("applicant phones %q, want %q", phones, want)
				}
			}
			wantUsers := [][2]string{{"+79175550123", "+79175550123"}, {"+79175550124", "+79175550124"},
				{"anna@example.org", "+79175550125"}, {"+79175550126", ""}, {"+89175550126", "+79175550126"}}
			if len(users) != len(wantUsers) {
				t.Fatalf("users %v", users)
			}
			for i, w := range wantUsers {
				if users[i].Login != w[0] || users[i].Phone != w[1] {
					t.Errorf("user %d: %q %q, want %q %q", i, users[i].Login, users[i].Phone, w[0], w[1])
				}
			}
		})
	}
}
