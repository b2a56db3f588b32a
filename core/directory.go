package core

import (
	"regexp"
	"strings"
	"time"
)

// phoneRE is the shape of an organization's telephone line as written in
// the directory (a switchboard may have a short number).
var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 ()\-]{5,20}$`)

// Directory codes (categories, their groups, districts, organizations) have
// the shape of SlugPattern.
const codeMsg = SlugRule

// District is an administrative part of a city.
type District struct {
	ID     int64  `bun:"id,pk,autoincrement" json:"id"`
	Code   string `bun:"code,notnull" json:"code"`
	NameRU string `bun:"name_ru,notnull" json:"name_ru"`
	NameEN string `bun:"name_en,notnull" json:"name_en"`
}

// Validate checks a district.
func (d *District) Validate() error {
	f := FieldErrors{}
	codeAndNames(f, &d.Code, &d.NameRU, &d.NameEN)
	return f.Err()
}

// CategoryGroup groups categories in the tree of the consoles and the portal.
type CategoryGroup struct {
	ID       int64  `bun:"id,pk,autoincrement" json:"id"`
	Code     string `bun:"code,notnull" json:"code"`
	NameRU   string `bun:"name_ru,notnull" json:"name_ru"`
	NameEN   string `bun:"name_en,notnull" json:"name_en"`
	Position int    `bun:"position,notnull" json:"position"`
}

// Validate checks a category group.
func (g *CategoryGroup) Validate() error {
	f := FieldErrors{}
	codeAndNames(f, &g.Code, &g.NameRU, &g.NameEN)
	return f.Err()
}

// Category is a kind of request with its deadlines.
type Category struct {
	ID              int64    `bun:"id,pk,autoincrement" json:"id"`
	Code            string   `bun:"code,notnull" json:"code"`
	GroupCode       string   `bun:"group_code,notnull" json:"group"`
	NameRU          string   `bun:"name_ru,notnull" json:"name_ru"`
	NameEN          string   `bun:"name_en,notnull" json:"name_en"`
	Emergency       bool     `bun:"emergency,notnull" json:"emergency"`
	DefaultPriority Priority `bun:"default_priority,notnull" json:"default_priority"`
	// ReactionMinutes and ResolutionMinutes are the SLA of the category.
	ReactionMinutes   int  `bun:"reaction_minutes,notnull" json:"reaction_minutes"`
	ResolutionMinutes int  `bun:"resolution_minutes,notnull" json:"resolution_minutes"`
	WorkingTime       bool `bun:"working_time,notnull" json:"working_time"`
	PhotoRequired     bool `bun:"photo_required,notnull" json:"photo_required"`
	CitizenVisible    bool `bun:"citizen_visible,notnull" json:"citizen_visible"`
	Active            bool `bun:"active,notnull" json:"active"`
	// Utility names the resource a network fault belongs to (power, water …).
	Utility string `bun:"utility,notnull" json:"utility" enum:"utilities"`
}

// Utilities are the resources whose suppliers a network fault goes to.
var Utilities = []string{"power", "water", "heating", "gas", "sewerage"}

// MaxDeadlineMinutes bounds SLA times: 90 days.
const MaxDeadlineMinutes = 90 * 24 * 60

// Validate checks a category and fills defaults.
func (c *Category) Validate() error {
	f := FieldErrors{}
	codeAndNames(f, &c.Code, &c.NameRU, &c.NameEN)
	c.GroupCode = strings.TrimSpace(c.GroupCode)
	if c.GroupCode != "" && !ValidSlug(c.GroupCode) {
		f.Add("group", codeMsg)
	}
	if c.DefaultPriority == "" {
		c.DefaultPriority = PriorityNormal
		if c.Emergency {
			c.DefaultPriority = PriorityEmergency
		}
	}
	if !c.DefaultPriority.Valid() {
		f.Add("default_priority", "error.one_of", "List", strings.Join(Names(Priorities), ", "))
	}
	if c.ReactionMinutes < 1 || c.ReactionMinutes > MaxDeadlineMinutes {
		f.Add("reaction_minutes", "error.minutes_range")
	}
	if c.ResolutionMinutes < 1 || c.ResolutionMinutes > MaxDeadlineMinutes {
		f.Add("resolution_minutes", "error.minutes_range")
	} else if c.ResolutionMinutes < c.ReactionMinutes {
		f.Add("resolution_minutes", "error.resolution_short")
	}
	if c.Emergency && c.ReactionMinutes > int(EmergencyReaction/time.Minute) {
		f.Add("reaction_minutes", "error.emergency_30")
	}
	if c.Utility != "" && !oneOf(c.Utility, Utilities) {
		f.Add("utility", "error.one_of", "List", strings.Join(Utilities, ", "))
	}
	return f.Err()
}

// Organization kinds.
const (
	OrgManagementCompany = "management_company"
	OrgContractor        = "contractor"
	OrgResourceSupplier  = "resource_supplier"
	OrgCityService       = "city_service"
)

// OrgKinds lists the organization kinds.
var OrgKinds = []string{OrgManagementCompany, OrgContractor, OrgResourceSupplier, OrgCityService}

// Organization is a management company, contractor, supplier or city service.
type Organization struct {
	ID      int64  `bun:"id,pk,autoincrement" json:"id"`
	Code    string `bun:"code,notnull" json:"code"`
	Kind    string `bun:"kind,notnull" json:"kind" enum:"org_kinds"`
	NameRU  string `bun:"name_ru,notnull" json:"name_ru"`
	NameEN  string `bun:"name_en,notnull" json:"name_en"`
	Phone   string `bun:"phone,notnull" json:"phone"`
	Email   string `bun:"email,notnull" json:"email"`
	Utility string `bun:"utility,notnull" json:"utility" enum:"utilities"`
	Active  bool   `bun:"active,notnull" json:"active"`
	// Districts and Categories it serves, by code.
	Districts  []string `bun:"-" json:"districts"`
	Categories []string `bun:"-" json:"categories"`
}

// Validate checks an organization.
func (o *Organization) Validate() error {
	f := FieldErrors{}
	codeAndNames(f, &o.Code, &o.NameRU, &o.NameEN)
	o.Phone, o.Email = strings.TrimSpace(o.Phone), strings.TrimSpace(o.Email)
	if !oneOf(o.Kind, OrgKinds) {
		f.Add("kind", "error.one_of", "List", strings.Join(OrgKinds, ", "))
	}
	if o.Kind == OrgResourceSupplier && !oneOf(o.Utility, Utilities) {
		f.Add("utility", "error.supplier_utility", "List", strings.Join(Utilities, ", "))
	}
	if o.Kind != OrgResourceSupplier && o.Utility != "" {
		f.Add("utility", "error.utility_only_supplier")
	}
	if o.Phone != "" && !phoneRE.MatchString(o.Phone) {
		f.Add("phone", "error.not_phone")
	}
	if o.Email != "" && !strings.Contains(o.Email, "@") {
		f.Add("email", "error.not_email")
	}
	for _, d := range o.Districts {
		if !ValidSlug(d) {
			f.Add("districts", "error.not_district_code", "Code", d)
		}
	}
	for _, c := range o.Categories {
		if !ValidSlug(c) {
			f.Add("categories", "error.not_category_code", "Code", c)
		}
	}
	return f.Err()
}

// Building is one apartment building of the city's registry.
type Building struct {
	ID                  int64  `bun:"id,pk,autoincrement" json:"id"`
	RegistryID          string `bun:"registry_id,notnull" json:"registry_id"`
	AddressRU           string `bun:"address_ru,notnull" json:"address_ru"`
	AddressEN           string `bun:"address_en,notnull" json:"address_en"`
	DistrictID          int64  `bun:"district_id,notnull" json:"-"`
	ManagementCompanyID *int64 `bun:"management_company_id" json:"-"`
	Apartments          int    `bun:"apartments,notnull" json:"apartments"`
	// Lat and Lon are the building's point (WGS84 degrees), both nil when
	// unknown.
	Lat        *float64  `bun:"lat" json:"lat"`
	Lon        *float64  `bun:"lon" json:"lon"`
	CreatedAt  time.Time `bun:"created_at,notnull" json:"-"`
	SearchText string    `bun:"search_text,notnull" json:"-"`

	// By code, for the API and CSV.
	District          string `bun:"district_code,scanonly" json:"district"`
	ManagementCompany string `bun:"management_company_code,scanonly" json:"management_company"`
}

// Coord returns a coordinate as a building holds it.
func Coord(v float64) *float64 { return &v }

// Point returns the building's coordinates; ok is false when they are
// unknown.
func (b *Building) Point() (lat, lon float64, ok bool) {
	if b.Lat == nil || b.Lon == nil {
		return 0, 0, false
	}
	return *b.Lat, *b.Lon, true
}

// Key returns the code that names a district.
func (d *District) Key() string { return d.Code }

// Key returns the code that names a category group.
func (g *CategoryGroup) Key() string { return g.Code }

// Key returns the code that names a category.
func (c *Category) Key() string { return c.Code }

// Key returns the code that names an organization.
func (o *Organization) Key() string { return o.Code }

// BuildingQuery selects buildings for the registry list and address search.
type BuildingQuery struct {
	Text     string
	District string
	Limit    int
	AfterID  int64
	// RegistryID, when set, selects the building of that registry id
	// (exactly); IDs, when set, only the buildings of those ids.
	RegistryID string
	IDs        []int64
}

// Index sets the lower-cased text that address search matches; Go folds
// Cyrillic, which SQLite's lower() does not.
func (b *Building) Index() {
	b.SearchText = strings.ToLower(b.RegistryID + " " + b.AddressRU + " " + b.AddressEN)
}

// Validate checks a building's own fields; the store checks the codes.
func (b *Building) Validate() error {
	f := FieldErrors{}
	b.RegistryID, b.AddressRU, b.AddressEN = strings.TrimSpace(b.RegistryID), strings.TrimSpace(b.AddressRU), strings.TrimSpace(b.AddressEN)
	b.District, b.ManagementCompany = strings.TrimSpace(b.District), strings.TrimSpace(b.ManagementCompany)
	if b.RegistryID == "" {
		f.Add("registry_id", "error.required")
	}
	checkLen(f, "registry_id", b.RegistryID, MaxShortText)
	if b.AddressRU == "" {
		f.Add("address_ru", "error.required")
	}
	checkLen(f, "address_ru", b.AddressRU, MaxAddress)
	checkLen(f, "address_en", b.AddressEN, MaxAddress)
	if b.District == "" {
		f.Add("district", "error.required")
	}
	if b.Apartments < 0 || b.Apartments > 5000 {
		f.Add("apartments", "error.apartments_range")
	}
	if (b.Lat == nil) != (b.Lon == nil) {
		f.Add("lat", "error.give_both_coords")
	}
	if b.Lat != nil && !(*b.Lat >= -90 && *b.Lat <= 90) { // written so that NaN is refused too
		f.Add("lat", "error.lat_range")
	}
	if b.Lon != nil && !(*b.Lon >= -180 && *b.Lon <= 180) {
		f.Add("lon", "error.lon_range")
	}
	return f.Err()
}

// codeAndNames trims and checks what every coded directory entry has: a
// code of the slug shape and a name in both languages.
func codeAndNames(f FieldErrors, code, ru, en *string) {
	*code, *ru, *en = strings.TrimSpace(*code), strings.TrimSpace(*ru), strings.TrimSpace(*en)
	if !ValidSlug(*code) {
		f.Add("code", codeMsg)
	}
	names(f, *ru, *en)
}

func names(f FieldErrors, ru, en string) {
	if ru == "" {
		f.Add("name_ru", "error.required")
	}
	if en == "" {
		f.Add("name_en", "error.required")
	}
	checkLen(f, "name_ru", ru, 200)
	checkLen(f, "name_en", en, 200)
}

func oneOf(s string, list []string) bool {
	for _, x := range list {
		if s == x {
			return true
		}
	}
	return false
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

// StarterGroups are the category groups of a new city.
var StarterGroups = []CategoryGroup{
	{Code: "utilities", NameRU: "Коммунальные услуги", NameEN: "Utilities", Position: 1},
	{Code: "building", NameRU: "Дом и подъезд", NameEN: "Building and entrance", Position: 2},
	{Code: "territory", NameRU: "Двор и улица", NameEN: "Yard and street", Position: 3},
	{Code: "wishes", NameRU: "Пожелания", NameEN: "Wishes", Position: 4},
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
