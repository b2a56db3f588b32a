package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// repairPhones rewrites the phone numbers an earlier version kept as typed
// or as "+" and every digit typed ("+89175550123", "+9175550123") into
// E.164, read in the city's phone region (core.RepairStoredPhone): the
// applicants' numbers of requests, the users' numbers, and the logins of
// accounts registered by phone, unless another account already holds the
// repaired login. A number that reads as no valid number is left as it is.
func repairPhones(ctx context.Context, tx bun.Tx, _ bool) error {
	var region string
	err := tx.NewRaw("SELECT value FROM settings WHERE key = ?", core.SettingPhoneRegion).Scan(ctx, &region)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	region = core.PhoneRegion(map[string]string{core.SettingPhoneRegion: region})
	var phones []string
	if err := tx.NewRaw("SELECT DISTINCT applicant_phone FROM requests WHERE applicant_phone <> ''").Scan(ctx, &phones); err != nil {
		return err
	}
	for _, p := range phones {
		if e164, ok := core.RepairStoredPhone(p, region); ok && e164 != p {
			if _, err := tx.NewRaw("UPDATE requests SET applicant_phone = ? WHERE applicant_phone = ?", e164, p).Exec(ctx); err != nil {
				return err
			}
		}
	}
	var users []struct {
		ID    int64  `bun:"id"`
		Login string `bun:"login"`
		Phone string `bun:"phone"`
	}
	if err := tx.NewRaw("SELECT id, login, phone FROM users WHERE phone <> '' OR login LIKE '+%'").Scan(ctx, &users); err != nil {
		return err
	}
	for _, u := range users {
		if e164, ok := core.RepairStoredPhone(u.Phone, region); ok && e164 != u.Phone {
			if _, err := tx.NewRaw("UPDATE users SET phone = ? WHERE id = ?", e164, u.ID).Exec(ctx); err != nil {
				return err
			}
		}
		if !strings.HasPrefix(u.Login, "+") {
			continue
		}
		e164, ok := core.RepairStoredPhone(u.Login, region)
		if !ok || e164 == u.Login {
			continue
		}
		var taken int
		if err := tx.NewRaw("SELECT count(*) FROM users WHERE login = ?", e164).Scan(ctx, &taken); err != nil {
			return err
		}
		if taken == 0 {
			if _, err := tx.NewRaw("UPDATE users SET login = ? WHERE id = ?", e164, u.ID).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}
