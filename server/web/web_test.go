package web

import (
	"io"
	"net/http"
	"net/http/httptest"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var (
	linkRe   = regexp.MustCompile(`<(?:script type="module" src|link rel="(?:modulepreload|stylesheet)" href)="(/static/[^"]+)"`)
	preRe    = regexp.MustCompile(`<link rel="modulepreload" href="/static/([^"]+)"`)
	entryRe  = regexp.MustCompile(`<script type="module" src="/static/([^"]+)"`)
	importRe = regexp.MustCompile(`(?m)^\s*(?:import|export)\b[^'"]*?from\s+'\./([^']+)'|^\s*import\s+'\./([^']+)'`)
)

// TestPagesServeTheirWholeModuleGraph serves both pages over a real HTTP
// server and walks each page's module graph from its entry script (the
// client module under ClientPrefix included): every file it links or
// imports is served with its type, and the page preloads
// exactly the modules the graph holds besides the entry, so the browser
// fetches them in one round and no preload is stale.
func TestPagesServeTheirWholeModuleGraph(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", Page)
	mux.HandleFunc("GET /ops", OpsPage)
	mux.Handle("GET /static/", Static())
	srv := httptest.NewServer(mux)
	defer srv.Close()
	get := func(path string) (string, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		return string(b), resp.Header.Get("Content-Type")
	}
	for _, page := range []string{"/", "/ops"} {
		html, typ := get(page)
		if !strings.HasPrefix(typ, "text/html") {
			t.Errorf("%s: type %q", page, typ)
		}
		for _, m := range linkRe.FindAllStringSubmatch(html, -1) {
			_, typ := get(m[1])
			want := map[bool]string{true: "text/javascript", false: "text/css"}[strings.HasSuffix(m[1], ".js")]
			if !strings.HasPrefix(typ, want) {
				t.Errorf("%s: %s served as %q, want %s", page, m[1], typ, want)
			}
		}
		entry := entryRe.FindStringSubmatch(html)
		if entry == nil {
			t.Fatalf("%s: no entry module", page)
		}
		graph := map[string]bool{}
		queue := []string{entry[1]}
		for len(queue) > 0 {
			f := queue[0]
			queue = queue[1:]
			if graph[f] {
				continue
			}
			graph[f] = true
			src, _ := get("/static/" + f)
			for _, m := range importRe.FindAllStringSubmatch(src, -1) {
				// An import is relative to the module that makes it.
				queue = append(queue, path.Join(path.Dir(f), m[1]+m[2]))
			}
		}
		delete(graph, entry[1])
		var want, got []string
		for f := range graph {
			want = append(want, f)
		}
		for _, m := range preRe.FindAllStringSubmatch(html, -1) {
			got = append(got, m[1])
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s preloads %v, its modules are %v", page, got, want)
		}
	}
}

// TestStaticRefusesWhatIsNotThere answers 404 for a file outside the assets.
func TestStaticRefusesWhatIsNotThere(t *testing.T) {
	srv := httptest.NewServer(Static())
	defer srv.Close()
	for _, p := range []string{
		"/static/nosuch.js", "/static/../web.go", "/static/../index.html",
		// The client module's directory holds its Go file and tests too.
		ClientPrefix + "nosuch.js", ClientPrefix + "../embed.go", ClientPrefix + "embed.go",
		ClientPrefix + "../package.json", ClientPrefix + "../test/harness.js",
	} {
		resp, err := http.Get(srv.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, resp.StatusCode)
		}
	}
}
