package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants/tenanttest"
	"github.com/uptrace/bun"
)

// The starter routing rules are named by catalog messages: a city's rule
// table carries their codes, routing decisions already in the history name
// them by code after the rule_names migration, and both read in the
// reader's language. An admin who saves a starter rule under its shown name
// keeps the message; one who renames it gets their own words.
func TestStarterRuleNames(t *testing.T) {
	mig := migrationNamed(t, "rule_names")
	for _, kind := range tenanttest.Kinds {
		t.Run(kind, func(t *testing.T) {
			ctx := context.Background()
			c := provisionCity(t, kind, "rulenames")
			st, scope, reqs := c.Store, c.Scope, c.Requests
			rules, err := st.RoutingRules(ctx)
			if err != nil || len(rules) < 2 {
				t.Fatalf("rules %v, %v", rules, err)
			}
			if rules[0].NameCode != "rule.starter.management_company" || rules[1].NameCode != "rule.starter.resource_supplier" {
				t.Fatalf("starter rules are named %q and %q", rules[0].NameCode, rules[1].NameCode)
			}

			r, _, err := reqs.Submit(ctx, core.Actor{UserID: 1, Role: core.RoleDispatcher}, core.NewRequest{Category: "lift", Address: "ул. Баумана, 1",
				Description: "Лифт стоит", Applicant: core.Applicant{Phone: "+79171234567"}}, "")
			if err != nil {
				t.Fatal(err)
			}
			legacy := `{"code":"event.route","args":{"Reason":{"code":"route.rule_triage","args":{"Name":"Faults inside a building: the management company","Rule":1}},"Source":{"code":"route.source.rules"}}}`
			err = scope.RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "DELETE FROM request_events WHERE request_id = ?", r.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, "INSERT INTO request_events (request_id, kind, comment, note, public, created_at) VALUES (?, 'triage', '', ?, ?, ?)",
					r.ID, legacy, true, time.Now().UTC()); err != nil {
					return err
				}
				for _, q := range store.Statements(store.Render(mig.SQL, scope.Postgres())) {
					if strings.Contains(q, "ALTER TABLE") {
						continue // the column is there: the city is migrated
					}
					if _, err := tx.ExecContext(ctx, q); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			evs, err := st.RequestEvents(ctx, core.Actor{UserID: 1, Role: core.RoleCityAdmin}, r.ID)
			if err != nil || len(evs) != 1 {
				t.Fatalf("events %v, %v", evs, err)
			}
			if got, want := evs[0].Note.Text("ru"), "правило 1 «Неисправности в доме: управляющая компания»: на разбор диспетчеру [правила]"; got != want {
				t.Errorf("migrated note reads %q, want %q", got, want)
			}
			if got := evs[0].Note.Text("en"); !strings.Contains(got, "«Faults inside a building: the management company»") {
				t.Errorf("migrated note in English reads %q", got)
			}

			ra := &core.RoutingAdmin{Store: st, Gate: core.Gate{Authz: core.StaticAuthorizer(core.DefaultPolicies), City: "rulenames"},
				Location: time.UTC, Now: time.Now}
			admin := core.Actor{UserID: 1, Role: core.RoleCityAdmin}
			in := core.RuleInput{Name: "Неисправности в доме: управляющая компания", Group: rules[0].Group, Target: rules[0].Target}
			if _, err := ra.ChangeRule(ctx, admin, rules[0].ID, in); err != nil {
				t.Fatal(err)
			}
			if kept, _ := st.RoutingRules(ctx); kept[0].NameCode != "rule.starter.management_company" {
				t.Errorf("saving a starter rule under its shown name dropped its message: %+v", kept[0])
			}
			in.Name = "Дом: управляющая компания"
			if _, err := ra.ChangeRule(ctx, admin, rules[0].ID, in); err != nil {
				t.Fatal(err)
			}
			after, err := st.RoutingRules(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if after[0].NameCode != "" || after[0].Name != "Дом: управляющая компания" {
				t.Errorf("a renamed starter rule is %q (%q)", after[0].Name, after[0].NameCode)
			}
			if _, err := ra.ChangeRule(ctx, admin, 999999, in); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("changing a rule that is not there: %v", err)
			}
		})
	}
}
