package web_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/opencity/opencity/cmd/opencity/server/servertest"
	"github.com/opencity/opencity/core/web/webtest"
)

// cspWatch collects, for the browser's tab, every Content-Security-Policy
// violation (the document's securitypolicyviolation events and the
// console's security messages) and every uncaught script error.
type cspWatch struct {
	mu   sync.Mutex
	seen []string
}

func (w *cspWatch) add(s string) {
	w.mu.Lock()
	w.seen = append(w.seen, s)
	w.mu.Unlock()
}

func (w *cspWatch) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.seen
	w.seen = nil
	return out
}

const cspRecorder = `window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') + ' at ' + e.sourceFile + ':' + e.lineNumber));`

func watchCSP(t *testing.T, b *webtest.Browser) *cspWatch {
	t.Helper()
	w := &cspWatch{}
	if err := chromedp.Listen(b.Ctx, func(ev any) {
		switch e := ev.(type) {
		case *log.EventEntryAdded:
			if e.Entry.Source == log.EntrySourceSecurity || strings.Contains(e.Entry.Text, "Content Security Policy") {
				w.add("console: " + e.Entry.Text)
			}
		case *runtime.EventExceptionThrown:
			w.add("script error: " + e.ExceptionDetails.Text)
		}
	}); err != nil {
		t.Fatal(err)
	}
	b.Run("record CSP violations", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: cspRecorder})
		return err
	}))
	return w
}

// check reads the violations of the page open in the tab.
func (w *cspWatch) check(t *testing.T, b *webtest.Browser, where string) {
	t.Helper()
	recorded := webtest.Value(b, "violations of "+where, chromedp.Evaluate[[]string](`window.__csp || []`))
	for _, v := range append(recorded, w.take()...) {
		t.Errorf("%s: %s", where, v)
	}
}

// TestBrowserNoCSPViolations opens the main pages of every audience in
// chromium under the server's Content-Security-Policy and fails on any
// violation or script error: the portal, login, the desk and call form, a
// request page, the office, the city admin console, the vendor console and
// the signup.
func TestBrowserNoCSPViolations(t *testing.T) {
	s := servertest.Start(t, "sqlite")
	number := s.Submit("kazan", s.Login("kazan", "citizen"), "Лифт не работает")
	b := webtest.Start(t)
	w := watchCSP(t, b)
	base := s.URL() + "/t/kazan"
	visit := func(paths ...string) {
		t.Helper()
		for _, p := range paths {
			b.Navigate(p)
			w.check(t, b, p)
		}
	}
	visit(base+"/", base+"/login", s.URL()+"/signup", s.URL()+"/signup?lang=en")
	b.LogIn(base, "dispatcher")
	w.check(t, b, "dispatcher's landing")
	visit(base+"/desk/", base+"/desk/call", base+"/requests/"+number)
	b.LogOut()
	b.LogIn(base, "operator")
	visit(base + "/office/")
	b.LogOut()
	b.LogIn(base, "admin")
	visit(base+"/admin/", base+"/admin/settings", base+"/admin/routing", base+"/admin/buildings", base+"/admin/users",
		base+"/hq/", base+"/hq/map", base+"/hq/hotspots", base+"/hq/summary", base+"/statistics", base+"/hq/trends")
	if n := webtest.Value(b, "the trend chart", chromedp.Evaluate[int](`document.querySelectorAll('svg path[stroke]').length`)); n == 0 {
		t.Error("the trend chart has no stroked lines")
	}
	b.LogOut()
	b.Navigate(s.URL() + "/admin/login")
	b.Submit(`main form button[type=submit]`, "login", "vendor", "password", "demo")
	w.check(t, b, "vendor console")
	visit(s.URL()+"/admin/", s.URL()+"/admin/cities/kazan")
}
