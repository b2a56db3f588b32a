package core_test

import (
	"testing"

	"github.com/opencity/opencity/core"
	"github.com/opencity/opencity/core/i18n"
)

// A routing reason names the organization by its code and is read with the
// organization's name in the reader's language, also inside the messages
// it nests; an unknown code stays as it is.
func TestMessagesShowDirectoryNames(t *testing.T) {
	dir := &core.Directory{
		Organizations: []core.Organization{{ID: 7, Code: "uk-aviastroitel", NameRU: "УК «Авиастроительная»", NameEN: "Aviastroitel MC"}},
		Categories:    []core.Category{{Code: "lift", NameRU: "Лифт", NameEN: ""}},
		Districts:     []core.District{{Code: "sovetsky", NameRU: "Советский", NameEN: "Sovetsky"}},
	}
	reason := core.M("event.route", "Reason", core.M("route.rule_org", "Rule", 1, "Name", i18n.Code("rule.starter.management_company"),
		"Why", core.M("route.why.management_company"), "Org", "uk-aviastroitel"), "Source", i18n.Code("route.source.rules"))
	for lang, want := range map[string]string{
		"ru": "правило 1 «Неисправности в доме: управляющая компания»: управляющая компания дома УК «Авиастроительная» [правила]",
		"en": "rule 1 «Faults inside a building: the management company»: the building's management company Aviastroitel MC [rules]",
	} {
		if got := i18n.Embedded().TextNamed(lang, reason.Code, reason.Args, dir.Namer(lang)); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if n, _ := dir.Name(core.RefCategory, "lift", "en"); n != "Лифт" {
		t.Errorf("a category without an English name reads %q in English", n)
	}
	if n, _ := dir.Name(core.RefDistrict, "sovetsky", "en"); n != "Sovetsky" {
		t.Errorf("district in English: %q", n)
	}
	if _, ok := dir.Name(core.RefOrganization, "gone", "ru"); ok {
		t.Error("an unknown code has a name")
	}
	miss := core.M("route.miss.no_utility", "Category", "lift")
	if got := i18n.Embedded().TextNamed("ru", miss.Code, miss.Args, dir.Namer("ru")); got != "у категории Лифт не указан ресурс" {
		t.Errorf("category in a reason: %q", got)
	}
}
