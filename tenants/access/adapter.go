// Package access keeps the casbin policies of every city in the control
// plane and answers core.Authorizer with one enforcer per city, loaded with
// that city's policies only and reloaded when another process changes them.
package access

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"
)

// Rule is one row of the casbin_rule table.
type Rule struct {
	ID    int64  `bun:"id,pk,autoincrement"`
	PType string `bun:"ptype,notnull"`
	V0    string `bun:"v0,notnull"`
	V1    string `bun:"v1,notnull"`
	V2    string `bun:"v2,notnull"`
	V3    string `bun:"v3,notnull"`
	V4    string `bun:"v4,notnull"`
	V5    string `bun:"v5,notnull"`
}

func (r Rule) values() []string {
	vs := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(vs) > 0 && vs[len(vs)-1] == "" {
		vs = vs[:len(vs)-1]
	}
	return vs
}

func newRule(ptype string, vals []string) (Rule, error) {
	if len(vals) > 6 {
		return Rule{}, fmt.Errorf("casbin rule has %d fields, at most 6 are stored", len(vals))
	}
	v := make([]string, 6)
	copy(v, vals)
	return Rule{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}, nil
}

// domainOf returns the domain of a rule: p = sub, dom, obj, act;
// g = user, role, dom.
func domainOf(ptype string, vals []string) string {
	i := 1
	if ptype[0] == 'g' {
		i = 2
	}
	if len(vals) > i {
		return vals[i]
	}
	return ""
}

// Filter selects the rules of one domain (a city's slug, or GlobalDomain).
type Filter struct{ Domain string }

// Adapter stores casbin rules in the control plane's casbin_rule table with
// bun. Every write bumps the version of the domains it touches in the same
// transaction, which is how other processes learn that they must reload.
//
// casbin keeps "was the last load filtered" on the adapter, not on the
// enforcer, so each enforcer should get its own adapter from ForEnforcer;
// the flag is atomic all the same, so a shared adapter is never a data race.
type Adapter struct {
	db       *bun.DB
	rules    bun.Ident
	versions bun.Ident
	filtered atomic.Bool
	// Timeout bounds each storage call; casbin's adapter methods take no context.
	Timeout time.Duration
}

var (
	_ persist.FilteredAdapter = (*Adapter)(nil)
	_ persist.BatchAdapter    = (*Adapter)(nil)
)

// NewAdapter returns an adapter over the given tables (schema-qualified on
// PostgreSQL).
func NewAdapter(db *bun.DB, rulesTable, versionsTable bun.Ident) *Adapter {
	return &Adapter{db: db, rules: rulesTable, versions: versionsTable, Timeout: 10 * time.Second}
}

// ForEnforcer returns an adapter over the same tables and with the same
// Timeout whose filtered flag belongs to one enforcer alone.
func (a *Adapter) ForEnforcer() *Adapter {
	return &Adapter{db: a.db, rules: a.rules, versions: a.versions, Timeout: a.Timeout}
}

func (a *Adapter) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.Timeout)
}

// LoadPolicy loads every rule of every domain. The authorizer never calls
// it; it exists for tools that want the whole picture.
func (a *Adapter) LoadPolicy(m model.Model) error {
	a.filtered.Store(false)
	return a.load(m, nil)
}

// LoadFilteredPolicy loads the rules of one domain; filter is a Filter.
func (a *Adapter) LoadFilteredPolicy(m model.Model, filter any) error {
	f, ok := filter.(Filter)
	if !ok {
		if p, isPtr := filter.(*Filter); isPtr && p != nil {
			f, ok = *p, true
		}
	}
	if !ok || f.Domain == "" {
		return errors.New("access: filter must be a Filter with a domain")
	}
	a.filtered.Store(true)
	return a.load(m, &f)
}

// IsFiltered reports whether the last load was filtered, which makes casbin
// refuse SavePolicy over a partial picture.
func (a *Adapter) IsFiltered() bool { return a.filtered.Load() }

func (a *Adapter) load(m model.Model, f *Filter) error {
	ctx, cancel := a.ctx()
	defer cancel()
	rules, err := a.Rules(ctx, a.db, f)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := persist.LoadPolicyArray(append([]string{r.PType}, r.values()...), m); err != nil {
			return err
		}
	}
	return nil
}

// Rules reads the rules of one domain (all when f is nil), in id order.
func (a *Adapter) Rules(ctx context.Context, db bun.IDB, f *Filter) ([]Rule, error) {
	var rules []Rule
	q := db.NewSelect().Model(&rules).ModelTableExpr("? AS rule", a.rules).Order("rule.id")
	if f != nil {
		q = q.Where("(rule.ptype LIKE 'p%' AND rule.v1 = ?) OR (rule.ptype LIKE 'g%' AND rule.v2 = ?)", f.Domain, f.Domain)
	}
	err := q.Scan(ctx)
	return rules, err
}

// SavePolicy replaces every stored rule with the model's.
func (a *Adapter) SavePolicy(m model.Model) error {
	if a.filtered.Load() {
		return errors.New("access: cannot save a filtered policy")
	}
	var rules [][]string
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, r := range ast.Policy {
				rules = append(rules, append([]string{ptype}, r...))
			}
		}
	}
	ctx, cancel := a.ctx()
	defer cancel()
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().TableExpr("?", a.rules).Where("TRUE").Exec(ctx); err != nil {
			return err
		}
		domains := map[string]bool{}
		for _, r := range rules {
			d, err := a.insert(ctx, tx, r[0], r[1:])
			if err != nil {
				return err
			}
			domains[d] = true
		}
		return a.bump(ctx, tx, domains)
	})
}

// AddPolicy stores one rule; a rule that exists already is left alone.
func (a *Adapter) AddPolicy(_ string, ptype string, rule []string) error {
	return a.AddPolicies("", ptype, [][]string{rule})
}

// AddPolicies stores rules in one transaction.
func (a *Adapter) AddPolicies(_ string, ptype string, rules [][]string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	_, err := a.Add(ctx, ptype, rules)
	return err
}

// Add stores rules in one transaction and reports how many were new.
func (a *Adapter) Add(ctx context.Context, ptype string, rules [][]string) (int, error) {
	added := 0
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		added = 0
		domains := map[string]bool{}
		for _, r := range rules {
			row, err := newRule(ptype, r)
			if err != nil {
				return err
			}
			res, err := tx.NewInsert().Model(&row).ModelTableExpr("?", a.rules).ExcludeColumn("id").
				On("CONFLICT DO NOTHING").Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				added++
				domains[domainOf(ptype, r)] = true
			}
		}
		return a.bump(ctx, tx, domains)
	})
	return added, err
}

func (a *Adapter) insert(ctx context.Context, tx bun.Tx, ptype string, vals []string) (string, error) {
	row, err := newRule(ptype, vals)
	if err != nil {
		return "", err
	}
	_, err = tx.NewInsert().Model(&row).ModelTableExpr("?", a.rules).ExcludeColumn("id").On("CONFLICT DO NOTHING").Exec(ctx)
	return domainOf(ptype, vals), err
}

// RemovePolicy deletes one rule.
func (a *Adapter) RemovePolicy(_ string, ptype string, rule []string) error {
	return a.RemovePolicies("", ptype, [][]string{rule})
}

// RemovePolicies deletes rules in one transaction.
func (a *Adapter) RemovePolicies(_ string, ptype string, rules [][]string) error {
	ctx, cancel := a.ctx()
	defer cancel()
	_, err := a.Remove(ctx, ptype, rules)
	return err
}

// Remove deletes rules in one transaction and reports how many existed.
func (a *Adapter) Remove(ctx context.Context, ptype string, rules [][]string) (int, error) {
	removed := 0
	err := a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		removed = 0
		domains := map[string]bool{}
		for _, r := range rules {
			row, err := newRule(ptype, r)
			if err != nil {
				return err
			}
			res, err := tx.NewDelete().TableExpr("?", a.rules).
				Where("ptype = ? AND v0 = ? AND v1 = ? AND v2 = ? AND v3 = ? AND v4 = ? AND v5 = ?",
					row.PType, row.V0, row.V1, row.V2, row.V3, row.V4, row.V5).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				removed++
				domains[domainOf(ptype, r)] = true
			}
		}
		return a.bump(ctx, tx, domains)
	})
	return removed, err
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on
// equal fieldValues ("" matches anything).
func (a *Adapter) RemoveFilteredPolicy(_ string, ptype string, fieldIndex int, fieldValues ...string) error {
	if fieldIndex < 0 || fieldIndex+len(fieldValues) > 6 {
		return errors.New("access: filter out of range")
	}
	ctx, cancel := a.ctx()
	defer cancel()
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var rules []Rule
		q := tx.NewSelect().Model(&rules).ModelTableExpr("? AS rule", a.rules).Where("rule.ptype = ?", ptype)
		for i, v := range fieldValues {
			if v != "" {
				q = q.Where("? = ?", bun.Ident(fmt.Sprintf("rule.v%d", fieldIndex+i)), v)
			}
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		domains := map[string]bool{}
		for _, r := range rules {
			if _, err := tx.NewDelete().TableExpr("?", a.rules).Where("id = ?", r.ID).Exec(ctx); err != nil {
				return err
			}
			domains[domainOf(ptype, r.values())] = true
		}
		return a.bump(ctx, tx, domains)
	})
}

// bump increments the policy version of each domain.
func (a *Adapter) bump(ctx context.Context, tx bun.Tx, domains map[string]bool) error {
	for d := range domains {
		if d == "" {
			continue
		}
		_, err := tx.NewRaw("INSERT INTO ? AS v (domain, version) VALUES (?, 1) ON CONFLICT (domain) DO UPDATE SET version = v.version + 1",
			a.versions, d).Exec(ctx)
		if err != nil {
			return err
		}
	}
	return nil
}
