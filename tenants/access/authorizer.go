package access

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/casbin/casbin/v2"
	"github.com/casbin/casbin/v2/model"
	"github.com/opencity/opencity/core"
	"github.com/uptrace/bun"
)

// GlobalDomain holds the vendor's policies. It is not a valid city slug, so
// no city's enforcer ever loads it and no city admin can write to it.
const GlobalDomain = "*"

// ModelText is the casbin model of every domain: RBAC with domains, a role
// is granted (obj, act) within one domain, and g can make a role inherit
// another within that domain.
const ModelText = `
[request_definition]
r = sub, dom, obj, act

[policy_definition]
p = sub, dom, obj, act

[role_definition]
g = _, _, _

[policy_effect]
e = some(where (p.eft == allow))

[matchers]
m = r.dom == p.dom && r.obj == p.obj && r.act == p.act && (r.sub == p.sub || g(r.sub, p.sub, r.dom))
`

// VendorPolicies are the global domain's rules: what vendor_admin may do in
// the control plane.
var VendorPolicies = []core.Policy{
	{Role: core.RoleVendorAdmin, Obj: "tenants", Act: core.ActRead},
	// The super-admin console.
	{Role: core.RoleVendorAdmin, Obj: "tenants", Act: core.ActCreate},
	{Role: core.RoleVendorAdmin, Obj: "tenants", Act: core.ActUpdate},
	{Role: core.RoleVendorAdmin, Obj: "plugins", Act: core.ActRead},
	{Role: core.RoleVendorAdmin, Obj: "plugins", Act: core.ActCreate},
	{Role: core.RoleVendorAdmin, Obj: "plugins", Act: core.ActUpdate},
	{Role: core.RoleVendorAdmin, Obj: "system", Act: core.ActRead},
	{Role: core.RoleVendorAdmin, Obj: "system", Act: core.ActUpdate},
	{Role: core.RoleVendorAdmin, Obj: "audit", Act: core.ActRead},
	{Role: core.RoleVendorAdmin, Obj: "vendor_users", Act: core.ActRead},
	{Role: core.RoleVendorAdmin, Obj: "fleet", Act: core.ActRead},
	{Role: core.RoleVendorAdmin, Obj: "fleet", Act: core.ActCreate},
	{Role: core.RoleVendorAdmin, Obj: "fleet", Act: core.ActUpdate},
}

// Authorizer implements core.Authorizer with one casbin enforcer per domain.
// Each enforcer checks the domain's policy version in the control plane at
// most once per Recheck, so a change made by any process is enforced
// everywhere within that time.
type Authorizer struct {
	adapter  *Adapter
	db       *bun.DB
	versions bun.Ident
	// Recheck is how often an enforcer asks whether its domain changed.
	Recheck time.Duration
	now     func() time.Time

	domains sync.Map // domain → *domainEnforcer
}

// domainEnforcer is one domain's enforcer. Checks read the current snapshot
// without a lock; only a stale snapshot takes mu to reload.
type domainEnforcer struct {
	mu   sync.Mutex
	snap atomic.Pointer[snapshot]
}

type snapshot struct {
	e       *casbin.SyncedCachedEnforcer
	version int64
	checked time.Time
}

var _ core.Authorizer = (*Authorizer)(nil)

// New returns an authorizer over the rule and version tables.
func New(db *bun.DB, rulesTable, versionsTable bun.Ident) *Authorizer {
	return &Authorizer{adapter: NewAdapter(db, rulesTable, versionsTable), db: db, versions: versionsTable,
		Recheck: time.Second, now: time.Now}
}

// Adapter returns the storage adapter of the policies.
func (z *Authorizer) Adapter() *Adapter { return z.adapter }

// Allowed implements core.Authorizer: may role do act on obj in the city?
func (z *Authorizer) Allowed(ctx context.Context, city string, role core.Role, obj, act string) (bool, error) {
	if city == "" || city == GlobalDomain || role == "" {
		return false, nil
	}
	return z.enforce(ctx, city, string(role), obj, act)
}

// AllowedGlobal decides for the vendor's global domain.
func (z *Authorizer) AllowedGlobal(ctx context.Context, role, obj, act string) (bool, error) {
	if role == "" {
		return false, nil
	}
	return z.enforce(ctx, GlobalDomain, role, obj, act)
}

func (z *Authorizer) enforce(ctx context.Context, domain, sub, obj, act string) (bool, error) {
	e, err := z.enforcer(ctx, domain)
	if err != nil {
		return false, err
	}
	return e.Enforce(sub, domain, obj, act)
}

// enforcer returns the domain's enforcer, loading or reloading it when the
// stored version moved on.
func (z *Authorizer) enforcer(ctx context.Context, domain string) (*casbin.SyncedCachedEnforcer, error) {
	v, ok := z.domains.Load(domain)
	if !ok {
		v, _ = z.domains.LoadOrStore(domain, &domainEnforcer{})
	}
	d := v.(*domainEnforcer)
	if sn := d.snap.Load(); sn != nil && z.now().Sub(sn.checked) < z.Recheck {
		return sn.e, nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	now := z.now()
	sn := d.snap.Load()
	if sn != nil && now.Sub(sn.checked) < z.Recheck { // another caller refreshed it meanwhile
		return sn.e, nil
	}
	version, seeded, err := z.version(ctx, domain)
	if err != nil {
		return nil, fmt.Errorf("policy version of %s: %w", domain, err)
	}
	if seeded != defaultsHash(domain) {
		if err := z.seed(ctx, domain); err != nil {
			return nil, fmt.Errorf("seed policies of %s: %w", domain, err)
		}
		if version, _, err = z.version(ctx, domain); err != nil {
			return nil, err
		}
	}
	next := &snapshot{version: version, checked: now}
	if sn != nil && sn.version == version {
		next.e = sn.e
	} else if next.e, err = z.load(domain); err != nil {
		return nil, fmt.Errorf("load policies of %s: %w", domain, err)
	}
	d.snap.Store(next)
	return next.e, nil
}

// Invalidate makes the next check of the domain read its version at once;
// the API calls it after a change so its own process never waits.
func (z *Authorizer) Invalidate(domain string) {
	v, ok := z.domains.Load(domain)
	if !ok {
		return
	}
	d := v.(*domainEnforcer)
	d.mu.Lock()
	defer d.mu.Unlock()
	if sn := d.snap.Load(); sn != nil {
		d.snap.Store(&snapshot{e: sn.e, version: sn.version})
	}
}

func (z *Authorizer) load(domain string) (*casbin.SyncedCachedEnforcer, error) {
	m, err := model.NewModelFromString(ModelText)
	if err != nil {
		return nil, err
	}
	e, err := casbin.NewSyncedCachedEnforcer(m)
	if err != nil {
		return nil, err
	}
	// Its own adapter: casbin records on the adapter whether the last load
	// was filtered, and enforcers of other domains load at the same time.
	e.SetAdapter(z.adapter.ForEnforcer())
	// Auto-save stays off: the enforcer is read-only, changes go through the
	// adapter and reach every process by the version counter.
	e.EnableAutoSave(false)
	if err := e.LoadFilteredPolicy(Filter{Domain: domain}); err != nil {
		return nil, err
	}
	return e, nil
}

func (z *Authorizer) version(ctx context.Context, domain string) (v int64, defaults string, err error) {
	err = z.db.NewRaw("SELECT version, defaults FROM ? WHERE domain = ?", z.versions, domain).Scan(ctx, &v, &defaults)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	return v, defaults, err
}

// defaultRules are the rules a domain starts with.
func defaultRules(domain string) []core.Policy {
	if domain == GlobalDomain {
		return VendorPolicies
	}
	return core.DefaultPolicies
}

// defaultsHash fingerprints the default rules of a domain, so rules added to
// core.DefaultPolicies by a later release reach cities seeded before it.
func defaultsHash(domain string) string {
	if domain == GlobalDomain {
		return vendorDefaults()
	}
	return cityDefaults()
}

var (
	cityDefaults   = sync.OnceValue(func() string { return hashRules(core.DefaultPolicies) })
	vendorDefaults = sync.OnceValue(func() string { return hashRules(VendorPolicies) })
)

func hashRules(rules []core.Policy) string {
	h := sha256.New()
	for _, p := range rules {
		fmt.Fprintf(h, "%s\x00%s\x00%s\n", p.Role, p.Obj, p.Act)
	}
	return hex.EncodeToString(h.Sum(nil)[:12])
}

// seed adds the default rules the domain has never received. A default rule
// that a city admin removed stays removed: only rules absent from the
// previously seeded set are added.
func (z *Authorizer) seed(ctx context.Context, domain string) error {
	return z.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var seededList string
		err := tx.NewRaw("SELECT COALESCE((SELECT seeded FROM ? WHERE domain = ?), '')", z.versions, domain).Scan(ctx, &seededList)
		if err != nil {
			return err
		}
		had := parseSeeded(seededList)
		var rules [][]string
		for _, p := range defaultRules(domain) {
			if !had[seedKey(p)] {
				rules = append(rules, []string{string(p.Role), domain, p.Obj, p.Act})
			}
		}
		for _, r := range rules {
			if _, err := z.adapter.insert(ctx, tx, "p", r); err != nil {
				return err
			}
		}
		if err := z.adapter.bump(ctx, tx, map[string]bool{domain: true}); err != nil {
			return err
		}
		for _, p := range defaultRules(domain) {
			had[seedKey(p)] = true
		}
		_, err = tx.NewRaw("UPDATE ? SET defaults = ?, seeded = ? WHERE domain = ?",
			z.versions, defaultsHash(domain), formatSeeded(had), domain).Exec(ctx)
		return err
	})
}

func seedKey(p core.Policy) string { return string(p.Role) + "," + p.Obj + "," + p.Act }

func parseSeeded(s string) map[string]bool {
	out := map[string]bool{}
	for _, k := range strings.Split(s, "\n") {
		if k != "" {
			out[k] = true
		}
	}
	return out
}

func formatSeeded(m map[string]bool) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n")
}
