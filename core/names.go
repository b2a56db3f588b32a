package core

// LocalName is a directory entry's name in lang: the English name on
// English pages when there is one, else the Russian name (every entry has
// one, see Validate).
func LocalName(ru, en, lang string) string {
	if lang == "en" && en != "" {
		return en
	}
	if ru == "" {
		return en
	}
	return ru
}

// Name kinds: what a code in a message argument names. A message argument
// named after a kind (RefArgs) carries a code of that kind and is shown as
// the entry's name in the reader's language.
const (
	RefOrganization = "organization"
	RefCategory     = "category"
	RefGroup        = "group"
	RefDistrict     = "district"
)

// RefArgs maps the message arguments that carry a directory code to the
// kind of entry they name: {{.Org}} in "route.rule_org" is an organization's
// code, stored as a code so a renamed organization shows its current name.
var RefArgs = map[string]string{
	"Org":      RefOrganization,
	"Category": RefCategory,
	"Group":    RefGroup,
	"District": RefDistrict,
}

// Name is the name in lang of the directory entry of kind with code; ok is
// false when the directory has no such entry (a deleted one).
func (d *Directory) Name(kind, code, lang string) (name string, ok bool) {
	if d == nil || code == "" {
		return "", false
	}
	switch kind {
	case RefOrganization:
		for i := range d.Organizations {
			if o := &d.Organizations[i]; o.Code == code {
				return LocalName(o.NameRU, o.NameEN, lang), true
			}
		}
	case RefCategory:
		for i := range d.Categories {
			if c := &d.Categories[i]; c.Code == code {
				return LocalName(c.NameRU, c.NameEN, lang), true
			}
		}
	case RefGroup:
		for i := range d.Groups {
			if g := &d.Groups[i]; g.Code == code {
				return LocalName(g.NameRU, g.NameEN, lang), true
			}
		}
	case RefDistrict:
		for i := range d.Districts {
			if x := &d.Districts[i]; x.Code == code {
				return LocalName(x.NameRU, x.NameEN, lang), true
			}
		}
	}
	return "", false
}

// Namer renders the directory codes that message arguments carry (RefArgs)
// as names in lang, for i18n.Catalog.TextNamed.
func (d *Directory) Namer(lang string) func(arg, value string) (string, bool) {
	return func(arg, value string) (string, bool) {
		kind, ok := RefArgs[arg]
		if !ok {
			return "", false
		}
		return d.Name(kind, value, lang)
	}
}
