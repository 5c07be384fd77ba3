package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromiumPath finds Debian's chromium, or skips the test when there is none,
// unless CHATSTATE_REQUIRE_BROWSER=1 makes that a failure.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium"
	}
	msg := "browser tests need Chromium: no `chromium` in PATH nor /usr/bin/chromium (Debian: apt-get install -y chromium)"
	if os.Getenv("CHATSTATE_REQUIRE_BROWSER") == "1" {
		t.Fatal(msg + "; CHATSTATE_REQUIRE_BROWSER=1 requires them to run")
	}
	t.Skip(msg + "; skipping")
	return ""
}

// browser is one headless Chromium.
type browser struct {
	ctx context.Context // the browser's chromedp context
}

// startBrowser starts a headless Chromium with a fresh profile; it is closed
// when t ends.
func startBrowser(t *testing.T, path string) *browser {
	t.Helper()
	out := &logBuffer{}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.CombinedOutput(out),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelBrowser := chromedp.NewContext(actx)
	closed := false
	closeAll := func() {
		if closed {
			return
		}
		closed = true
		cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped := make(chan struct{})
		go func() {
			_ = chromedp.Cancel(bctx) // asks the browser to close
			close(stopped)
		}()
		select {
		case <-stopped:
		case <-cctx.Done():
		}
		cancelBrowser()
		cancelAlloc() // kills the process if still there and waits for it
	}
	t.Cleanup(func() {
		closeAll()
		if t.Failed() {
			t.Logf("chromium output (D-Bus noise left out):\n%s", withoutDBus(out.String()))
		}
	})
	// The first Do starts the browser and binds it to bctx, so it must not
	// carry a deadline of its own: a watchdog bounds it instead.
	watchdog := time.AfterFunc(startTimeout, cancelAlloc)
	err := chromedp.Do(bctx)
	watchdog.Stop()
	if err != nil {
		t.Fatalf("start chromium %s: %v\n%s", path, err, out.String())
	}
	return &browser{ctx: bctx}
}

// withoutDBus drops the lines of Chromium's complaints about a missing D-Bus,
// which say nothing on a machine without one.
func withoutDBus(s string) string {
	var keep []string
	for _, line := range strings.Split(s, "\n") {
		if !strings.Contains(line, "dbus") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// page is one tab, in a browser context of its own (its own storage), so
// that two pages are two independent users.
type page struct {
	t    *testing.T
	name string
	ctx  context.Context

	mu      sync.Mutex
	console []string
}

// open opens a tab named name (for logs and screenshots) at url, in a new
// browser context. On failure of t its screenshot and HTML are saved and its
// console is logged.
func (b *browser) open(t *testing.T, name, url string) *page {
	t.Helper()
	return b.openWith(t, name, url, chromedp.WithNewBrowserContext())
}

// openBeside opens a tab like open, in the browser context of other: the
// two tabs share their storage like two tabs of one person's browser.
func (b *browser) openBeside(t *testing.T, other *page, name, url string) *page {
	t.Helper()
	return b.openWith(t, name, url, chromedp.WithExistingBrowserContext(chromedp.FromContext(other.ctx).BrowserContextID))
}

func (b *browser) openWith(t *testing.T, name, url string, opt chromedp.ContextOption) *page {
	t.Helper()
	parent, cancelParent := context.WithTimeout(b.ctx, tabTimeout)
	tctx, cancelTab := chromedp.NewContext(parent, opt)
	t.Cleanup(func() {
		cancelTab()
		cancelParent()
	})
	p := &page{t: t, name: name, ctx: tctx}
	if err := chromedp.Do(tctx); err != nil { // opens the tab
		t.Fatalf("%s: open a tab: %v", name, err)
	}
	console := chromedp.Console(tctx)
	go func() {
		for m, err := range console {
			if err != nil {
				return
			}
			p.mu.Lock()
			p.console = append(p.console, fmt.Sprintf("%s %s", m.Type, m))
			p.mu.Unlock()
		}
	}()
	t.Cleanup(p.onFailure)
	p.do("set the viewport", chromedp.EmulateViewport(1100, 800))
	p.do("load "+url, chromedp.Navigate(url))
	return p
}

// onFailure saves what the page shows when the test failed.
func (p *page) onFailure() {
	t := p.t
	if !t.Failed() {
		return
	}
	p.mu.Lock()
	console := strings.Join(p.console, "\n")
	p.mu.Unlock()
	if console != "" {
		t.Logf("%s: console:\n%s", p.name, console)
	}
	dir := t.ArtifactDir()
	ctx, cancel := context.WithTimeout(p.ctx, 10*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)); err != nil {
		t.Logf("%s: no screenshot: %v", p.name, err)
	} else {
		path := filepath.Join(dir, p.name+".png")
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Logf("%s: write screenshot: %v", p.name, err)
		} else {
			t.Logf("%s: screenshot at %s", p.name, path)
		}
	}
	if html, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML`)); err == nil {
		path := filepath.Join(dir, p.name+".html")
		if err := os.WriteFile(path, []byte(html), 0o644); err == nil {
			t.Logf("%s: HTML at %s", p.name, path)
		}
	}
}

// do runs actions within stepTimeout and fails the test on error.
func (p *page) do(what string, actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s: %s: %v\n%s", p.name, what, err, p.describe())
	}
}

// eval evaluates a JavaScript expression and decodes its JSON value into T.
func eval[T any](p *page, expr string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		p.t.Fatalf("%s: evaluate %s: %v", p.name, expr, err)
	}
	return v
}

// waitJS waits until the JavaScript expression is truthy, polling it in the
// page, for at most timeout.
func (p *page) waitJS(what, expr string, timeout time.Duration) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.ctx, timeout+5*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[chromedp.Void](expr,
		chromedp.WithPollingInterval(50*time.Millisecond),
		chromedp.WithPollingTimeout(timeout)))
	if err != nil {
		p.t.Fatalf("%s: waiting %v for %s: %v\n%s", p.name, timeout, what, err, p.describe())
	}
}

// describe summarises the chat page's state, for failure messages.
func (p *page) describe() string {
	ctx, cancel := context.WithTimeout(p.ctx, 5*time.Second)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`(() => {
		const q = (s) => document.querySelector(s);
		const all = (s) => [...document.querySelectorAll(s)].map((e) => e.textContent);
		return {
			url: location.href,
			status: q('[data-testid=status]')?.textContent,
			title: q('#room-title')?.textContent,
			messages: all('[data-testid=messages] .msg-text'),
			members: all('[data-testid=members] li'),
			error: q('[data-testid=error]') && !q('[data-testid=error]').hidden ? q('[data-testid=error]').textContent.trim() : '',
			input: q('[data-testid=message-input]')?.value?.slice(0, 80),
		};
	})()`))
	if err != nil {
		return fmt.Sprintf("(state unknown: %v)", err)
	}
	var out bytes.Buffer
	if json.Indent(&out, raw, "  ", "  ") != nil {
		return "  " + string(raw)
	}
	return "  " + out.String()
}
