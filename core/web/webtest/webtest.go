// Package webtest drives Debian's headless chromium with chromedp for the
// browser tests of the pages: one browser per test, tabs reused, and
// screenshots saved where the test log says.
package webtest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser: $OPENCITY_CHROMIUM, then chromium or
// chromium-browser on PATH.
func ChromiumPath() string {
	if p := os.Getenv("OPENCITY_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// Browser is one headless chromium with one tab.
type Browser struct {
	// Ctx runs chromedp actions in the tab.
	Ctx     context.Context
	t       testing.TB
	shots   string
	counter atomic.Int32
	cancel  func()
}

// Start launches headless chromium for the test (closed by t.Cleanup).
// Without chromium the test fails loudly with how to install it.
func Start(t testing.TB) *Browser {
	t.Helper()
	bin := ChromiumPath()
	if bin == "" {
		t.Fatal("chromium is not installed: run `apt-get install -y chromium fonts-dejavu-core` (or set OPENCITY_CHROMIUM)")
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(bin),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx, chromedp.WithErrorf(func(f string, a ...any) {
		if !strings.Contains(f, "unhandled") {
			t.Logf("chromedp: "+f, a...)
		}
	}))
	b := &Browser{Ctx: ctx, t: t, cancel: func() { cancelCtx(); cancelAlloc() }}
	if err := chromedp.Do(ctx); err != nil {
		b.cancel()
		t.Fatalf("start chromium (%s): %v — is it installed? apt-get install -y chromium", bin, err)
	}
	t.Cleanup(b.cancel)
	b.shots = os.Getenv("OPENCITY_SCREENSHOTS")
	if b.shots == "" {
		b.shots = filepath.Join(t.TempDir(), "screenshots")
	} else {
		b.shots = filepath.Join(b.shots, safeName(t.Name()))
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots of %s go to %s", t.Name(), b.shots)
	return b
}

// Run runs actions with a deadline, failing the test with step on error.
func (b *Browser) Run(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
}

// Value runs one action that yields a value (an evaluated script, an
// attribute), failing the test with step on error.
func Value[T any](b *Browser, step string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v", step, err)
	}
	return v
}

// Screenshot saves a full-page PNG named after name and logs its path.
func (b *Browser) Screenshot(name string) string {
	b.t.Helper()
	png := Value(b, "screenshot "+name, chromedp.FullScreenshot(100)) // quality 100 is PNG
	n := b.counter.Add(1)
	p := filepath.Join(b.shots, fmt.Sprintf("%02d-%s.png", n, safeName(name)))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
	return p
}

// Viewport resizes the tab, e.g. 820×1180 for a tablet held upright.
func (b *Browser) Viewport(width, height int64) {
	b.t.Helper()
	b.Run("viewport", chromedp.EmulateViewport(width, height))
}

// Text is the visible text of the first node matching sel.
func (b *Browser) Text(sel string) string {
	b.t.Helper()
	return Value(b, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// Attr is the value of the attribute name of the first node matching sel
// ("" when the node lacks it).
func (b *Browser) Attr(sel, name string) string {
	b.t.Helper()
	return Value(b, name+" of "+sel, chromedp.AttributeValue(chromedp.CSS(sel), name)).Value
}

// Location is the current URL of the tab.
func (b *Browser) Location() string {
	b.t.Helper()
	return Value(b, "location", chromedp.Location())
}

// Navigate opens url and waits for the body.
func (b *Browser) Navigate(url string) {
	b.t.Helper()
	b.Run("open "+url, chromedp.Navigate(url), chromedp.WaitReady(chromedp.CSS("body")))
}

// Submit fills the named fields and clicks the button matching button,
// waiting for the page the form leads to. Fields are name, value pairs (a
// name with CSS punctuation is a selector, e.g. "#invite [name=role]"); a
// checkbox is ticked by the value "on" and cleared by "off", and a file
// input gets the file at the path given.
func (b *Browser) Submit(button string, fields ...string) {
	b.t.Helper()
	var acts []chromedp.Action[chromedp.Void]
	for i := 0; i+1 < len(fields); i += 2 {
		sel := fmt.Sprintf(`[name=%q]`, fields[i])
		if strings.ContainsAny(fields[i], " #[.>") { // a CSS selector, for pages with several forms
			sel = fields[i]
		}
		v := fields[i+1]
		kind := Value(b, "field "+fields[i], chromedp.AttributeValue(chromedp.CSS(sel), "type")).Value
		switch {
		case kind == "checkbox":
			acts = append(acts, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
				_, err := chromedp.Evaluate[bool](fmt.Sprintf(`document.querySelector(%q).checked = %t`, sel, v == "on"))(ctx, t)
				return err
			}))
		case kind == "file":
			acts = append(acts, chromedp.SetUploadFiles(chromedp.CSS(sel), []string{v}))
		case v == "":
			acts = append(acts, chromedp.Clear(chromedp.CSS(sel)))
		default:
			acts = append(acts, chromedp.SetValue(chromedp.CSS(sel), v))
		}
	}
	b.Run("fill the form of "+button, acts...)
	b.Click(button)
}

// LogIn logs a demo account (password "demo") in through the login page
// of base (a city's /t/<slug> or the vendor console's root).
func (b *Browser) LogIn(base, login string) {
	b.t.Helper()
	b.Navigate(base + "/login")
	b.Submit(`main form button[type=submit]`, "login", login, "password", "demo")
}

// LogOut ends the session through the page header's logout button.
func (b *Browser) LogOut() {
	b.t.Helper()
	b.Click(`form.who button[type=submit]`)
}

// Click clicks the element matching sel and waits for the page it leads to.
func (b *Browser) Click(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

// HTML is the outer HTML of the document, for assertions on content.
func (b *Browser) HTML() string {
	b.t.Helper()
	return Value(b, "html", chromedp.OuterHTML(chromedp.CSS("html")))
}

var unsafeChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func safeName(s string) string { return strings.Trim(unsafeChars.ReplaceAllString(s, "_"), "_") }
