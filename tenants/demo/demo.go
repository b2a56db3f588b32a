// Package demo seeds the demo cities — Kazan, Nizhnekamsk and Nizhny
// Novgorod with their real districts, plausible organizations and buildings —
// and the demo accounts. It runs only in demo mode: the embedded default or
// `opencity seed --demo`.
package demo

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/opencity/opencity/tenants"
)

//go:embed *.json
var files embed.FS

// Password is the password of every demo account.
const Password = "demo"

// Slugs are the demo cities, in seeding order.
var Slugs = []string{"kazan", "nizhnekamsk", "nizhny-novgorod"}

// Account is a demo login.
type Account struct {
	City  string // "" for the vendor
	Login string
	Role  string
}

// Accounts lists the demo logins per city, as printed at start.
var Accounts = []Account{
	{"", "vendor", tenants.RoleVendorAdmin},
	{"*", "admin", string(core.RoleCityAdmin)},
	{"*", "dispatcher", string(core.RoleDispatcher)},
	{"*", "operator", string(core.RoleOrgOperator)},
	{"*", "analyst", string(core.RoleAnalyst)},
	{"*", "citizen", string(core.RoleCitizen)},
}

type cityFile struct {
	Slug      string `json:"slug"`
	NameRU    string `json:"name_ru"`
	NameEN    string `json:"name_en"`
	Locale    string `json:"locale"`
	Timezone  string `json:"timezone"`
	Districts []struct {
		Code   string `json:"code"`
		NameRU string `json:"name_ru"`
		NameEN string `json:"name_en"`
	} `json:"districts"`
	Organizations []struct {
		Code      string   `json:"code"`
		Kind      string   `json:"kind"`
		NameRU    string   `json:"name_ru"`
		NameEN    string   `json:"name_en"`
		Phone     string   `json:"phone"`
		Email     string   `json:"email"`
		Utility   string   `json:"utility"`
		Districts []string `json:"districts"`
	} `json:"organizations"`
	Buildings []struct {
		RegistryID        string   `json:"registry_id"`
		AddressRU         string   `json:"address_ru"`
		AddressEN         string   `json:"address_en"`
		District          string   `json:"district"`
		ManagementCompany string   `json:"management_company"`
		Apartments        int      `json:"apartments"`
		Lat               *float64 `json:"lat"`
		Lon               *float64 `json:"lon"`
	} `json:"buildings"`
}

func load(slug string) (*cityFile, error) {
	b, err := files.ReadFile(slug + ".json")
	if err != nil {
		return nil, err
	}
	f := new(cityFile)
	if err := json.Unmarshal(b, f); err != nil {
		return nil, fmt.Errorf("demo data %s: %w", slug, err)
	}
	return f, nil
}

// seedData turns a city file into directory data plus the demo users.
func (f *cityFile) seedData(hash string) store.SeedData {
	var d store.SeedData
	for _, x := range f.Districts {
		d.Districts = append(d.Districts, core.District{Code: x.Code, NameRU: x.NameRU, NameEN: x.NameEN})
	}
	operatorOrg := ""
	for _, o := range f.Organizations {
		if operatorOrg == "" && o.Kind == core.OrgManagementCompany {
			operatorOrg = o.Code
		}
		d.Organizations = append(d.Organizations, store.SeedOrganization{
			Organization: core.Organization{Code: o.Code, Kind: o.Kind, NameRU: o.NameRU, NameEN: o.NameEN,
				Phone: o.Phone, Email: o.Email, Utility: o.Utility, Active: true},
			Districts: o.Districts,
		})
	}
	for _, x := range f.Buildings {
		d.Buildings = append(d.Buildings, store.SeedBuilding{
			Building: core.Building{RegistryID: x.RegistryID, AddressRU: x.AddressRU, AddressEN: x.AddressEN,
				Apartments: x.Apartments, Lat: x.Lat, Lon: x.Lon},
			District: x.District, ManagementCompany: x.ManagementCompany,
		})
	}
	user := func(login, name string, role core.Role, org string) store.SeedUser {
		return store.SeedUser{User: core.User{Login: login, Name: name, Email: login + "@" + f.Slug + ".example.org",
			Phone: "+7 900 000-00-00", PasswordHash: hash, Role: role, Active: true}, Organization: org}
	}
	d.Users = []store.SeedUser{
		user("dispatcher", "Диспетчер (демо)", core.RoleDispatcher, ""),
		user("operator", "Оператор УК (демо)", core.RoleOrgOperator, operatorOrg),
		user("analyst", "Аналитик (демо)", core.RoleAnalyst, ""),
		user("citizen", "Житель (демо)", core.RoleCitizen, ""),
	}
	return d
}

// Backend is what seeding needs from the control plane.
type Backend interface {
	tenants.Registrar
	tenants.Provisioner
	tenants.CityStorage
	EnsureVendorUser(ctx context.Context, login, name, passwordHash string) error
}

// Seed provisions the demo cities that are missing, fills their directories
// and creates the demo accounts. It is idempotent.
func Seed(ctx context.Context, b Backend) error {
	hash, err := core.HashPassword(Password)
	if err != nil {
		return err
	}
	if err := b.EnsureVendorUser(ctx, "vendor", "Vendor super-admin (demo)", hash); err != nil {
		return err
	}
	for _, slug := range Slugs {
		f, err := load(slug)
		if err != nil {
			return err
		}
		if _, err := b.Registry().Get(ctx, slug); core.ErrorCode(err) == core.ENOTFOUND {
			_, err = b.Provision(ctx, tenants.NewTenant{Slug: slug, Name: f.NameRU, Locale: f.Locale, Timezone: f.Timezone, Demo: true},
				tenants.Admin{Login: "admin", Name: "Администратор (демо)", Email: "admin@" + slug + ".example.org", PasswordHash: hash})
			if err != nil {
				return fmt.Errorf("provision %s: %w", slug, err)
			}
		} else if err != nil {
			return err
		}
		st, err := b.Store(slug)
		if err != nil {
			return err
		}
		if err := st.Seed(ctx, f.seedData(hash)); err != nil {
			return fmt.Errorf("seed %s: %w", slug, err)
		}
	}
	return nil
}
