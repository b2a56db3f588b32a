package core

import (
	"regexp"
	"time"
)

// CodeRE is the shape of directory codes (categories, districts, organizations).
var CodeRE = regexp.MustCompile(`^[a-z][a-z0-9-]{1,39}$`)

// District is an administrative part of a city.
type District struct {
	ID     int64  `bun:"id,pk,autoincrement"`
	Code   string `bun:"code,notnull"`
	NameRU string `bun:"name_ru,notnull"`
	NameEN string `bun:"name_en,notnull"`
}

// Category is a kind of request with its deadlines.
type Category struct {
	ID              int64    `bun:"id,pk,autoincrement"`
	Code            string   `bun:"code,notnull"`
	GroupCode       string   `bun:"group_code,notnull"`
	NameRU          string   `bun:"name_ru,notnull"`
	NameEN          string   `bun:"name_en,notnull"`
	Emergency       bool     `bun:"emergency,notnull"`
	DefaultPriority Priority `bun:"default_priority,notnull"`
	// ReactionMinutes and ResolutionMinutes are the SLA of the category.
	ReactionMinutes   int  `bun:"reaction_minutes,notnull"`
	ResolutionMinutes int  `bun:"resolution_minutes,notnull"`
	WorkingTime       bool `bun:"working_time,notnull"`
	PhotoRequired     bool `bun:"photo_required,notnull"`
	CitizenVisible    bool `bun:"citizen_visible,notnull"`
	Active            bool `bun:"active,notnull"`
	// Utility names the resource a network fault belongs to (power, water …).
	Utility string `bun:"utility,notnull"`
}

// Organization kinds.
const (
	OrgManagementCompany = "management_company"
	OrgContractor        = "contractor"
	OrgResourceSupplier  = "resource_supplier"
	OrgCityService       = "city_service"
)

// Organization is a management company, contractor, supplier or city service.
type Organization struct {
	ID      int64  `bun:"id,pk,autoincrement"`
	Code    string `bun:"code,notnull"`
	Kind    string `bun:"kind,notnull"`
	NameRU  string `bun:"name_ru,notnull"`
	NameEN  string `bun:"name_en,notnull"`
	Phone   string `bun:"phone,notnull"`
	Email   string `bun:"email,notnull"`
	Utility string `bun:"utility,notnull"`
	Active  bool   `bun:"active,notnull"`
}

// Building is one apartment building of the city's registry.
type Building struct {
	ID                  int64     `bun:"id,pk,autoincrement"`
	RegistryID          string    `bun:"registry_id,notnull"`
	AddressRU           string    `bun:"address_ru,notnull"`
	AddressEN           string    `bun:"address_en,notnull"`
	DistrictID          int64     `bun:"district_id,notnull"`
	ManagementCompanyID *int64    `bun:"management_company_id"`
	Apartments          int       `bun:"apartments,notnull"`
	Lat                 float64   `bun:"lat,notnull"`
	Lon                 float64   `bun:"lon,notnull"`
	CreatedAt           time.Time `bun:"created_at,notnull"`
}

// StarterCategory is one of the categories every new city starts with.
type StarterCategory struct {
	Code, Group, NameRU, NameEN string
	Emergency                   bool
	Priority                    Priority
	ReactionMinutes             int
	ResolutionMinutes           int
	WorkingTime                 bool
	Utility                     string
}

// StarterCategories are the defaults a provisioned city gets: the most
// frequent kinds of requests of Open Kazan with the standard deadlines
// (emergencies answered in 30 minutes, everything resolved within 24 hours,
// wishes reviewed weekly).
var StarterCategories = []StarterCategory{
	{"power-supply", "utilities", "Электроснабжение", "Power supply", true, PriorityEmergency, 30, 24 * 60, false, "power"},
	{"water-network-fault", "utilities", "Авария водопроводной сети", "Water-supply network fault", true, PriorityEmergency, 30, 24 * 60, false, "water"},
	{"heating", "utilities", "Отопление", "Heating", true, PriorityEmergency, 30, 24 * 60, false, "heating"},
	{"hot-water", "utilities", "Горячее водоснабжение", "Hot water", false, PriorityNormal, 120, 24 * 60, false, "heating"},
	{"sewerage", "utilities", "Канализация", "Sewerage", true, PriorityEmergency, 30, 24 * 60, false, "sewerage"},
	{"lift", "building", "Лифт", "Lift", true, PriorityEmergency, 30, 24 * 60, false, ""},
	{"roof-leak", "building", "Протечка кровли", "Roof leak", false, PriorityNormal, 120, 24 * 60, false, ""},
	{"entrance-cleaning", "building", "Уборка подъезда", "Entrance cleaning", false, PriorityNormal, 240, 24 * 60, true, ""},
	{"yard-improvement", "territory", "Благоустройство придомовой территории", "Improvement of adjacent territory", false, PriorityNormal, 240, 24 * 60, true, ""},
	{"waste-removal", "territory", "Вывоз мусора", "Waste removal", false, PriorityNormal, 240, 24 * 60, false, ""},
	{"street-lighting", "territory", "Уличное освещение", "Street lighting", false, PriorityNormal, 240, 24 * 60, false, "power"},
	{"wishes", "wishes", "Пожелания и предложения", "Wishes and suggestions", false, PriorityPlanned, 7 * 24 * 60, 7 * 24 * 60, false, ""},
}
