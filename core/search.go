package core

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Search is a parsed search of requests: what one search box may name. A
// request matches when its number is Number, or its applicant's phone is
// Phone, or its search document (SearchDocument) holds every one of Words:
// a word matches a document word it begins (Words are stemmed, so
// "Копылова" finds "Копылову"), a number matches only itself.
type Search struct {
	Number string   // the text as a request number
	Phone  string   // E.164, when the text is a phone number
	Words  []string // folded and stemmed words, each a prefix to match
}

// Empty reports whether the search names nothing.
func (s Search) Empty() bool { return s.Number == "" && s.Phone == "" && len(s.Words) == 0 }

// MaxSearch bounds the text of a search, in characters.
const MaxSearch = 200

// maxSearchWords bounds the words of one search.
const maxSearchWords = 12

// requestNumberRE is the shape of a request number, 2026-000123.
var requestNumberRE = regexp.MustCompile(`^[0-9]{4}-[0-9]{1,12}$`)

// ParseSearch reads what someone typed in a search box: a request number,
// a phone number written any way (ParsePhone in region), or words of a
// caller's name, an address or a description, in any order and case, with
// ё and е alike and Russian address abbreviations read as the words they
// stand for.
func ParseSearch(text, region string) Search {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > MaxSearch {
		text = string([]rune(text)[:MaxSearch])
	}
	var s Search
	if requestNumberRE.MatchString(text) {
		s.Number = text
	}
	if p, ok := ParsePhone(text, region); ok {
		s.Phone = p
		return s
	}
	words := foldWords(text)
	kept := words[:0:0]
	for _, w := range words {
		if !addressKind[w] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		kept = words // only "ул. д." was typed: look for those then
	}
	seen := map[string]bool{}
	for _, w := range kept {
		w = stem(w)
		if !seen[w] && len(s.Words) < maxSearchWords {
			seen[w] = true
			s.Words = append(s.Words, w)
		}
	}
	return s
}

// SearchDocument is the text a request is found by: its applicant's name,
// address and description, folded as searches are (lower case, ё as е,
// address abbreviations written out, one space between words).
func SearchDocument(r *Request) string {
	return strings.Join(foldWords(r.ApplicantName+" "+r.Address+" "+r.Description), " ")
}

// Digits reports whether w is all digits: such a word matches only itself.
func Digits(w string) bool {
	for _, r := range w {
		if r < '0' || r > '9' {
			return false
		}
	}
	return w != ""
}

// hyphenated are the abbreviations written with a hyphen, taken before the
// text is cut into words.
var hyphenated = strings.NewReplacer("б-р", " бульвар ", "пр-т", " проспект ", "пр-кт", " проспект ",
	"пр-д", " проезд ", "ш-се", " шоссе ")

// abbreviations are the standard Russian address abbreviations and the
// words they stand for (the abbreviations of ГОСТ Р 51582 and of the
// Federal Information Address System, as post offices and registries
// write them).
var abbreviations = map[string]string{
	"ул": "улица", "пр": "проспект", "просп": "проспект", "пркт": "проспект", "д": "дом", "корп": "корпус",
	"к": "корпус", "стр": "строение", "пер": "переулок", "ш": "шоссе", "наб": "набережная", "пл": "площадь",
	"бул": "бульвар", "туп": "тупик", "мкр": "микрорайон", "мкрн": "микрорайон",
	"кв": "квартира", "под": "подъезд", "пос": "поселок", "пгт": "поселок", "ст": "станция",
	"тер": "территория", "влд": "владение", "вл": "владение", "лит": "литера", "эт": "этаж",
}

// addressKind are the words that name a kind of address part, not the
// place: a search drops them, so "ул. Копылова" finds "Копылова, 5" and
// "д. 5" finds "5".
var addressKind = map[string]bool{
	"улица": true, "проспект": true, "дом": true, "корпус": true, "строение": true, "переулок": true,
	"шоссе": true, "набережная": true, "площадь": true, "бульвар": true, "проезд": true, "тупик": true,
	"микрорайон": true, "квартира": true, "подъезд": true, "поселок": true, "владение": true, "литера": true,
}

// foldWords cuts text into lower-case words of letters and digits, ё as
// е, with abbreviations written out.
func foldWords(text string) []string {
	text = strings.ToLower(text)
	text = strings.NewReplacer("ё", "е").Replace(text)
	text = hyphenated.Replace(text)
	words := strings.FieldsFunc(text, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
	for i, w := range words {
		if full, ok := abbreviations[w]; ok {
			words[i] = full
		}
	}
	return words
}

// endings are the Russian inflections a search word drops, the longest
// first, so that a word in one case finds it in any other.
var endings = []string{"иями", "ями", "ами", "ого", "его", "ому", "ему", "ыми", "ими", "ой", "ей", "ий", "ый", "ая",
	"яя", "ое", "ее", "ую", "юю", "ах", "ях", "ом", "ем", "ов", "ев", "ам", "ям", "ы", "и", "а", "я", "у", "ю",
	"е", "о", "ь"}

// stem drops a Russian inflection from a search word of five letters or
// more, keeping at least four.
func stem(w string) string {
	n := utf8.RuneCountInString(w)
	if n < 5 || Digits(w) {
		return w
	}
	for _, e := range endings {
		if strings.HasSuffix(w, e) && n-utf8.RuneCountInString(e) >= 4 {
			return strings.TrimSuffix(w, e)
		}
	}
	return w
}
