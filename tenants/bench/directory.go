package bench

import (
	"context"
	"fmt"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/store"
	"github.com/uptrace/bun"
)

// benchDistricts are Kazan's districts.
var benchDistricts = []core.District{
	{Code: "aviastroitelny", NameRU: "Авиастроительный", NameEN: "Aviastroitelny"},
	{Code: "vakhitovsky", NameRU: "Вахитовский", NameEN: "Vakhitovsky"},
	{Code: "kirovsky", NameRU: "Кировский", NameEN: "Kirovsky"},
	{Code: "moskovsky", NameRU: "Московский", NameEN: "Moskovsky"},
	{Code: "novo-savinovsky", NameRU: "Ново-Савиновский", NameEN: "Novo-Savinovsky"},
	{Code: "privolzhsky", NameRU: "Приволжский", NameEN: "Privolzhsky"},
	{Code: "sovetsky", NameRU: "Советский", NameEN: "Sovetsky"},
}

// Load-driving accounts the generated city gets.
const (
	DispatcherLogin = "bench-dispatcher"
	AnalystLogin    = "bench-analyst"
	Dispatchers     = 14 // call-centre desks
	Citizens        = 500
)

// DirectoryData is the generated city's directory at Open Kazan's scale:
// 6 management companies per district (42), 5 resource suppliers, 20
// contractors, 2 city services, the buildings registry, the dispatchers of
// 14 call-centre desks, an operator per organization, citizens and the
// accounts the load driver logs in with. Every user has passwordHash.
func DirectoryData(buildings int, passwordHash string) store.SeedData {
	d := store.SeedData{Districts: benchDistricts}
	org := func(code, kind, utility, ru, en string, districts ...string) {
		d.Organizations = append(d.Organizations, store.SeedOrganization{
			Organization: core.Organization{Code: code, Kind: kind, Utility: utility, NameRU: ru, NameEN: en, Active: true,
				Phone: "+7 843 555-00-00", Email: code + "@bench.example.org"},
			Districts: districts,
		})
	}
	var all []string
	for _, dist := range benchDistricts {
		all = append(all, dist.Code)
		for i := 1; i <= 6; i++ {
			code := fmt.Sprintf("uk-%s-%d", dist.Code, i)
			org(code, core.OrgManagementCompany, "", "УК "+dist.NameRU+fmt.Sprintf(" №%d", i),
				dist.NameEN+fmt.Sprintf(" management company %d", i), dist.Code)
		}
	}
	for _, u := range core.Utilities {
		org("supplier-"+u, core.OrgResourceSupplier, u, "Ресурсоснабжающая организация: "+u, "Resource supplier: "+u, all...)
	}
	for i := 1; i <= 20; i++ {
		org(fmt.Sprintf("contractor-%02d", i), core.OrgContractor, "", fmt.Sprintf("Подрядчик №%d", i),
			fmt.Sprintf("Contractor %d", i), benchDistricts[i%len(benchDistricts)].Code)
	}
	org("emergency-service", core.OrgCityService, "", "Аварийная служба", "Emergency service", all...)
	org("city-improvement", core.OrgCityService, "", "Управление благоустройства", "City improvement office", all...)
	for i := 0; i < buildings; i++ {
		dist := benchDistricts[i%len(benchDistricts)]
		street := streets[(i/len(benchDistricts))%len(streets)]
		house := i/(len(benchDistricts)*len(streets)) + 1
		d.Buildings = append(d.Buildings, store.SeedBuilding{
			Building: core.Building{RegistryID: fmt.Sprintf("B%06d", i+1),
				AddressRU: fmt.Sprintf("ул. %s, д. %d", street, house), AddressEN: fmt.Sprintf("%s St, %d", street, house),
				Apartments: 20 + (i*37)%180, Lat: core.Coord(55.75 + float64(i%100)/1000), Lon: core.Coord(49.1 + float64(i%97)/1000)},
			District: dist.Code, ManagementCompany: fmt.Sprintf("uk-%s-%d", dist.Code, i%6+1),
		})
	}
	user := func(login, name string, role core.Role, org string) {
		d.Users = append(d.Users, store.SeedUser{User: core.User{Login: login, Name: name, Email: login + "@bench.example.org",
			Phone: "+7 900 000-00-00", PasswordHash: passwordHash, Role: role, Active: true}, Organization: org})
	}
	user(DispatcherLogin, "Load driver (dispatcher)", core.RoleDispatcher, "")
	user(AnalystLogin, "Load driver (analyst)", core.RoleAnalyst, "")
	for i := 1; i <= Dispatchers; i++ {
		user(fmt.Sprintf("dispatcher-%02d", i), fmt.Sprintf("Диспетчер %d", i), core.RoleDispatcher, "")
	}
	for _, o := range d.Organizations {
		user("op-"+o.Code, "Оператор "+o.Code, core.RoleOrgOperator, o.Code)
	}
	for i := 1; i <= Citizens; i++ {
		user(fmt.Sprintf("citizen-%04d", i), fmt.Sprintf("Житель %d", i), core.RoleCitizen, "")
	}
	return d
}

var streets = []string{"Баумана", "Пушкина", "Декабристов", "Чистопольская", "Ямашева", "Победы", "Кремлёвская",
	"Гвардейская", "Фатыха Амирхана", "Адоратского", "Сибирский тракт", "Восстания", "Тукая", "Горького",
	"Островского", "Карла Маркса", "Даурская", "Юлиуса Фучика", "Ершова", "Николая Ершова"}

// city is what the generator reads back from a seeded city.
type city struct {
	categories map[string]core.Category
	dir        *core.Directory
	rules      []core.RoutingRule
	orgByID    map[int64]core.Organization
	buildings  []core.Building
	dispatcher []int64 // dispatchers' user ids
	citizens   []int64
	operators  map[int64]int64 // organization id → its operator's user id
	contractor []int64         // contractors and city services, for what routing leaves to triage
	cal        *core.Calendar  // the working calendar, in the city's time zone
}

// readCity loads what the generator needs from the city's store.
func readCity(ctx context.Context, st *store.Store) (*city, error) {
	c := &city{categories: map[string]core.Category{}, orgByID: map[int64]core.Organization{}, operators: map[int64]int64{}}
	cats, err := st.Categories(ctx, true)
	if err != nil {
		return nil, err
	}
	for _, k := range cats {
		c.categories[k.Code] = k
	}
	for _, s := range CategoryMix {
		if _, ok := c.categories[s.Code]; !ok {
			return nil, fmt.Errorf("the city has no category %q", s.Code)
		}
	}
	if c.dir, err = st.Directory(ctx, true); err != nil {
		return nil, err
	}
	if c.rules, err = st.RoutingRules(ctx); err != nil {
		return nil, err
	}
	c.buildings = c.dir.Buildings
	if len(c.buildings) == 0 {
		return nil, fmt.Errorf("the city has no buildings")
	}
	for _, o := range c.dir.Organizations {
		c.orgByID[o.ID] = o
		if o.Active && (o.Kind == core.OrgContractor || o.Kind == core.OrgCityService) {
			c.contractor = append(c.contractor, o.ID)
		}
	}
	var users []core.User
	err = st.Scope().RunInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		return tx.NewSelect().Model(&users).Where("active").Order("id").Scan(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		switch {
		case u.Role == core.RoleDispatcher:
			c.dispatcher = append(c.dispatcher, u.ID)
		case u.Role == core.RoleCitizen:
			c.citizens = append(c.citizens, u.ID)
		case u.OrganizationID != nil:
			if _, ok := c.operators[*u.OrganizationID]; !ok {
				c.operators[*u.OrganizationID] = u.ID
			}
		}
	}
	if len(c.dispatcher) == 0 || len(c.citizens) == 0 || len(c.contractor) == 0 {
		return nil, fmt.Errorf("the city needs dispatchers, citizens and contractors (seed it with DirectoryData)")
	}
	return c, nil
}
