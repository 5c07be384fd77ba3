package e2e

import (
	"net/http"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/server/web"
)

// staticDir holds the pages' scripts and styles, embedded into the server and
// served under /static/; clientDir the chatstate-client module, served under
// /static/chatstate-client/ (web.ClientPrefix).
const (
	staticDir = "../server/web/static"
	clientDir = "../clients/js/src"
)

// sourceOf returns the file behind a path under /static/.
func sourceOf(name string) string {
	if rest, ok := strings.CutPrefix("/static/"+name, web.ClientPrefix); ok {
		return filepath.Join(clientDir, filepath.FromSlash(rest))
	}
	return filepath.Join(staticDir, filepath.FromSlash(name))
}

// Both pages load every one of their modules: each page marks its <html>
// with data-ready once its entry module ran to its end, no page reports an
// error in its console (a module that fails to load, such as a 404, a syntax
// error or the import of a name a module does not export, stops its page and
// shows there), every script of the static directory and of the client module
// is loaded by a page, and each is served with a JavaScript content type,
// which module scripts need.
func TestModulesLoad(t *testing.T) {
	e := newEnv(t)
	var paths []string
	for dir, prefix := range map[string]string{staticDir: "/static/", clientDir: web.ClientPrefix} {
		scripts, err := filepath.Glob(filepath.Join(dir, "*.js"))
		if err != nil || len(scripts) == 0 {
			t.Fatalf("no scripts in %s: %v", dir, err)
		}
		for _, f := range scripts {
			paths = append(paths, prefix+filepath.Base(f))
		}
	}

	chat := e.browser.open(t, "chat", e.url+"/?user=alice&room=modules")
	chat.waitJS("the chat page ready", `document.documentElement.dataset.ready === 'chat'`, stepTimeout)
	chat.waitJoined("alice", "modules")
	ops := e.browser.open(t, "ops", e.url+"/ops")
	ops.waitJS("the operator page ready", `document.documentElement.dataset.ready === 'ops'`, stepTimeout)
	ops.waitJS("the operator page refreshed", `document.querySelector('[data-testid=ops-ready]').textContent === 'ready'`, stepTimeout)

	const jsLoaded = `performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.js'))`
	loaded := map[string]bool{}
	for _, p := range []*page{chat, ops} {
		for _, path := range eval[[]string](p, jsLoaded) {
			loaded[path] = true
		}
		// The entry script is in the document, not among the resources of
		// every browser: count it as well.
		for _, path := range eval[[]string](p, `[...document.querySelectorAll('script[src]')].map((s) => new URL(s.src).pathname)`) {
			loaded[path] = true
		}
		p.mu.Lock()
		console := slices.Clone(p.console)
		p.mu.Unlock()
		for _, line := range console {
			if strings.HasPrefix(line, "error ") || strings.HasPrefix(line, "exception ") {
				t.Errorf("%s: the console reports %s", p.name, line)
			}
		}
	}
	for _, path := range paths {
		if !loaded[path] {
			t.Errorf("%s is loaded by neither page", path)
		}
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
			t.Errorf("GET %s: %d %q, want 200 with a JavaScript content type", path, resp.StatusCode, ct)
		}
	}
}

var (
	importRE  = regexp.MustCompile(`(?m)^\s*(?:import|export)\s[^;]*?\bfrom\s+'\./([A-Za-z0-9._/-]+\.js)'`)
	entryRE   = regexp.MustCompile(`<script type="module" src="/static/([A-Za-z0-9._-]+\.js)"></script>`)
	preloadRE = regexp.MustCompile(`<link rel="modulepreload" href="/static/([A-Za-z0-9._/-]+\.js)">`)
)

// Each page names, as modulepreload links, exactly the modules its entry
// module imports (directly or not), so that the browser fetches them at once
// rather than one level of imports after the other; the client module's
// files (chatstate-client/…) count as well. No browser needed.
func TestModulePreloads(t *testing.T) {
	for _, html := range []string{"index.html", "ops.html"} {
		raw, err := os.ReadFile(filepath.Join(staticDir, "..", html))
		if err != nil {
			t.Fatal(err)
		}
		entries := entryRE.FindAllStringSubmatch(string(raw), -1)
		if len(entries) != 1 {
			t.Fatalf("%s: %d module scripts, want one entry module", html, len(entries))
		}
		graph := map[string]bool{}
		var visit func(name string)
		visit = func(name string) {
			src, err := os.ReadFile(sourceOf(name))
			if err != nil {
				t.Fatalf("%s: %v", html, err)
			}
			for _, m := range importRE.FindAllStringSubmatch(string(src), -1) {
				// An import is relative to the module that makes it.
				dep := path.Join(path.Dir(name), m[1])
				if !graph[dep] {
					graph[dep] = true
					visit(dep)
				}
			}
		}
		visit(entries[0][1])
		var want, got []string
		for name := range graph {
			want = append(want, name)
		}
		for _, m := range preloadRE.FindAllStringSubmatch(string(raw), -1) {
			got = append(got, m[1])
		}
		sort.Strings(want)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s: modulepreload links %q, want the imports of %s: %q", html, got, entries[0][1], want)
		}
	}
}
