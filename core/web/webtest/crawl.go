package webtest

import (
	"html"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

var (
	hrefAttr   = regexp.MustCompile(`href="([^"]+)"`)
	formAction = regexp.MustCompile(`<form method="post" action="([^"]+)"`)
)

// Crawl follows, as u, the links under prefix from start on the server at
// base (up to 120 pages; login pages and language switches left out) and
// returns the pages found (GET, each answering 200) and, sorted, the paths
// under prefix their forms post to. A linked page that does not answer 200
// fails the test.
func Crawl(t testing.TB, u *Session, base, start, prefix string) (pages, forms []string) {
	t.Helper()
	seen := map[string]bool{start: true}
	formSeen := map[string]bool{}
	queue := []string{start}
	for len(queue) > 0 && len(seen) < 120 {
		p := queue[0]
		queue = queue[1:]
		status, _, body := u.Get(t, base, p)
		if status != http.StatusOK {
			t.Errorf("%s: %s answers %d", u.Name, p, status)
			continue
		}
		pages = append(pages, p)
		for _, m := range hrefAttr.FindAllStringSubmatch(body, -1) {
			link := html.UnescapeString(m[1])
			link, _, _ = strings.Cut(link, "#")
			if !strings.HasPrefix(link, prefix) || strings.Contains(link, "/login") || strings.Contains(link, "lang=") || seen[link] {
				continue
			}
			seen[link] = true
			queue = append(queue, link)
		}
		for _, m := range formAction.FindAllStringSubmatch(body, -1) {
			if a := html.UnescapeString(m[1]); strings.HasPrefix(a, prefix) && !formSeen[a] {
				formSeen[a] = true
				forms = append(forms, a)
			}
		}
	}
	sort.Strings(forms)
	return pages, forms
}

// PageForms are the paths the post forms of a page submit to, each once,
// in the page's order; the header's logout form is left out.
func PageForms(body string) []string {
	var out []string
	for _, m := range formAction.FindAllStringSubmatch(body, -1) {
		if a := html.UnescapeString(m[1]); !strings.HasSuffix(a, "/logout") && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}
