package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/lovoo/goka"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/processors"
	"github.com/chatstate/chatstate/server"
)

// Timeouts of the harness. Every wait in a scenario is bounded by one of them.
const (
	startTimeout = 60 * time.Second // the stack, the browser, a tab
	stepTimeout  = 20 * time.Second // one action or one condition in a page
	tabTimeout   = 3 * time.Minute  // everything a tab does
)

// ------------------------------------------------------------------ logs

// logBuffer keeps the last logs of the stack, shown when a test fails. It is
// written from goroutines that may outlive a test, so it never calls t.Log.
type logBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const logKeep = 256 << 10

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if len(b.buf) > 2*logKeep {
		b.buf = append([]byte(nil), b.buf[len(b.buf)-logKeep:]...)
	}
	return len(p), nil
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	s := b.buf
	if len(s) > logKeep {
		s = s[len(s)-logKeep:]
	}
	return string(s)
}

// ------------------------------------------------------------------ stack

// stack is the embedded broker, both processors and one server behind a
// loopback HTTP listener.
type stack struct {
	url  string // http://127.0.0.1:PORT
	logs *logBuffer
}

// startStack starts a stack that stops when t ends.
func startStack(t *testing.T) *stack {
	t.Helper()
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo}))
	gokaLogger := log.New(logs, "goka ", log.LstdFlags)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs of the stack (last %d KiB):\n%s", logKeep>>10, logs.String())
		}
	})

	kcfg := testenv.Kafka(t, 4)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir, gokaLogger)

	srv, err := server.New(server.Config{ServerID: "e2e", Logger: logger, GokaLogger: gokaLogger}, kcfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server: %v", err)
		}
		hs.Close()
	})
	testenv.WaitFor(t, startTimeout, func() error {
		if !srv.Ready() {
			return errors.New("server not ready")
		}
		return nil
	})
	return &stack{url: hs.URL, logs: logs}
}

// runProcessors runs the rooms and users processors until t ends.
func runProcessors(t *testing.T, kcfg kafka.Config, dir string, logger goka.Logger) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	makers := []func(kafka.Config, string, ...goka.ProcessorOption) (*goka.Processor, error){processors.NewRooms, processors.NewUsers}
	done := make(chan error, len(makers))
	for _, mk := range makers {
		p, err := mk(kcfg, dir, goka.WithLogger(logger))
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		go func() { done <- p.Run(ctx) }()
	}
	t.Cleanup(func() {
		cancel()
		for range makers {
			if err := <-done; err != nil {
				t.Errorf("processor: %v", err)
			}
		}
	})
}

// ------------------------------------------------------------------ browser

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

// wsFrame is one WebSocket text frame of a page, in either direction.
type wsFrame struct {
	Sent bool
	Data string
}

// recordWebSocket records the page's WebSocket frames from now on, in the
// order the browser reports them; the func returned gives those so far.
func (p *page) recordWebSocket() func() []wsFrame {
	p.t.Helper()
	var mu sync.Mutex
	var frames []wsFrame
	err := chromedp.Listen(p.ctx, func(ev any) {
		var f wsFrame
		switch ev := ev.(type) {
		case *network.EventWebSocketFrameSent:
			f = wsFrame{Sent: true, Data: string(ev.Response.PayloadData)}
		case *network.EventWebSocketFrameReceived:
			f = wsFrame{Data: string(ev.Response.PayloadData)}
		default:
			return
		}
		mu.Lock()
		frames = append(frames, f)
		mu.Unlock()
	})
	if err != nil {
		p.t.Fatalf("%s: listen: %v", p.name, err)
	}
	ctx, cancel := context.WithTimeout(p.ctx, stepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		p.t.Fatalf("%s: enable network events: %v", p.name, err)
	}
	return func() []wsFrame {
		mu.Lock()
		defer mu.Unlock()
		return append([]wsFrame(nil), frames...)
	}
}

// ------------------------------------------------------------------ proxy

// proxy is a TCP proxy between the browser and the server that a test can
// cut, like a network outage, and restore: cutting closes every connection
// through it and refuses new ones until restored.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// startProxy listens on a loopback port and forwards to target (host:port).
func startProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

// URL is the proxy's http:// address.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

func (p *proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Go(func() { p.serve(c) })
	}
}

func (p *proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *proxy) serve(in net.Conn) {
	defer in.Close()
	if !p.track(in) {
		return
	}
	out, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		return
	}
	defer out.Close()
	if !p.track(out) {
		return
	}
	done := make(chan struct{}, 2)
	pipe := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		// Either side ending ends both.
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go pipe(out, in)
	go pipe(in, out)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, in)
	delete(p.conns, out)
	p.mu.Unlock()
}

// Cut closes every connection through the proxy and refuses new ones.
func (p *proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

// Restore lets connections through again.
func (p *proxy) Restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}
