package server_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// openAPIFile is the document as it is embedded and served at
// GET /api/openapi.json.
const openAPIFile = "../api/openapi.json"

// muxRoute is one registration of the server's mux (routes.go, httpapi).
type muxRoute struct {
	// pattern is the ServeMux pattern, as registered.
	pattern string
	// documented routes have an operation in the document, at the pattern's
	// path less "{$}".
	documented bool
}

// serverRoutes mirrors the registrations of routes.go and httpapi.
// TestOpenAPIRoutes checks it against the source, and the document against
// it.
var serverRoutes = []muxRoute{
	{pattern: "GET /ws", documented: true},
	{pattern: "GET /healthz", documented: true},
	{pattern: "GET /readyz", documented: true},
	{pattern: "GET /metrics", documented: true},
	{pattern: "GET /api/rooms", documented: true},
	{pattern: "GET /api/rooms/{room}", documented: true},
	{pattern: "GET /api/rooms/{room}/events", documented: true},
	{pattern: "POST /api/rooms/{room}/messages", documented: true},
	{pattern: "GET /api/users", documented: true},
	{pattern: "GET /api/users/{user}", documented: true},
	{pattern: "GET /api/users/{user}/unread", documented: true},
	{pattern: "/api/"}, // the JSON 404 for anything else under /api/: no path of its own
	{pattern: "GET /api/openapi.json", documented: true},
	{pattern: "GET /{$}", documented: true},
	{pattern: "GET /static/"}, // the page's scripts and styles
	{pattern: "GET /ops"},     // the operator page
}

// docOp returns the operation key ("GET /api/rooms/{room}") of a mux pattern.
func docOp(pattern string) string {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = "", pattern
	}
	return method + " " + strings.ReplaceAll(path, "{$}", "")
}

// docOps returns the operations of the document as "METHOD /path".
func docOps(doc *openapi3.T) map[string]*openapi3.Operation {
	out := map[string]*openapi3.Operation{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			out[strings.ToUpper(method)+" "+path] = op
		}
	}
	return out
}

func loadOpenAPI(t *testing.T, data []byte) (*openapi3.T, routers.Router) {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		t.Fatalf("load the document: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("the document is not valid OpenAPI: %v", err)
	}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatalf("route the document: %v", err)
	}
	return doc, router
}

// TestOpenAPIRoutes checks, without a server, that serverRoutes mirrors the
// registrations in the package's source, that the document describes exactly
// the documented routes, that each handler's query parameters (names,
// defaults, bounds) are the document's, that the error codes are those of
// protocol/errors.go, that the files and sections the document points to
// exist, and that no schema closes additionalProperties.
func TestOpenAPIRoutes(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := loadOpenAPI(t, data)
	src := parseServerSource(t)

	listed := map[string]muxRoute{}
	for _, r := range serverRoutes {
		listed[r.pattern] = r
		if _, ok := src.routes[r.pattern]; !ok {
			t.Errorf("serverRoutes lists %q, which the server does not register", r.pattern)
		}
	}
	for p := range src.routes {
		if _, ok := listed[p]; !ok {
			t.Errorf("the server registers %q, which serverRoutes lacks: add it there and to %s", p, openAPIFile)
		}
	}

	ops := docOps(doc)
	want := map[string]bool{}
	for _, r := range serverRoutes {
		if r.documented {
			want[docOp(r.pattern)] = true
		}
	}
	for op := range ops {
		if !want[op] {
			t.Errorf("the document has %s, which is not a route of the server", op)
		}
	}
	for op := range want {
		if ops[op] == nil {
			t.Errorf("the server has %s, which the document lacks", op)
		}
	}

	// The query parameters each handler reads are the document's, with the
	// same default and bounds.
	for _, r := range serverRoutes {
		h, ok := src.routes[r.pattern]
		op := ops[docOp(r.pattern)]
		if !ok || op == nil {
			continue
		}
		read := src.queryParams(h)
		documented := map[string]*openapi3.Parameter{}
		for _, p := range op.Parameters {
			if p.Value.In == openapi3.ParameterInQuery {
				documented[p.Value.Name] = p.Value
			}
		}
		for name, use := range read {
			p := documented[name]
			if p == nil {
				t.Errorf("%s reads ?%s=, which the document lacks", r.pattern, name)
				continue
			}
			checkBounds(t, r.pattern, p, use)
		}
		for name := range documented {
			if _, ok := read[name]; !ok {
				t.Errorf("the document has ?%s= for %s, which the handler does not read", name, r.pattern)
			}
		}
	}

	// The error codes are those of protocol/errors.go.
	var enum []string
	for _, v := range doc.Components.Schemas["ErrorCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	slices.Sort(enum)
	if !slices.Equal(enum, src.codes) {
		t.Errorf("ErrorCode enum %v, protocol/errors.go has %v", enum, src.codes)
	}

	// The files and sections the document points to exist.
	for _, m := range regexp.MustCompile(`([\w.-]+\.md)(?:, section ([A-Z][\w ]*\w))?`).FindAllStringSubmatch(string(data), -1) {
		md, err := os.ReadFile(filepath.Join("..", m[1]))
		if err != nil {
			t.Errorf("the document points to %s, which the repository lacks", m[1])
			continue
		}
		if m[2] != "" && !regexp.MustCompile(`(?m)^#+ `+regexp.QuoteMeta(m[2])+`$`).Match(md) {
			t.Errorf("the document points to section %q of %s, which has no such heading", m[2], m[1])
		}
	}

	// Fields may be added: no object is closed.
	var raw any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	walkJSON(raw, "#", func(at string, v any) {
		if m, ok := v.(map[string]any); ok && m["additionalProperties"] == false {
			t.Errorf("%s closes additionalProperties; answers may gain fields", at)
		}
	})
}

func checkBounds(t *testing.T, pattern string, p *openapi3.Parameter, use paramUse) {
	t.Helper()
	s := p.Schema.Value
	if !use.integer { // a plain string parameter
		if !s.Type.Is(openapi3.TypeString) {
			t.Errorf("%s ?%s=: the handler reads a string, the document says %v", pattern, p.Name, s.Type)
		}
		return
	}
	if !s.Type.Is(openapi3.TypeInteger) {
		t.Errorf("%s ?%s=: the handler reads an integer, the document says %v", pattern, p.Name, s.Type)
		return
	}
	num := func(f *float64) string {
		if f == nil {
			return "none"
		}
		return strconv.FormatInt(int64(*f), 10)
	}
	ptr := func(v *int64) string {
		if v == nil {
			return "none"
		}
		return strconv.FormatInt(*v, 10)
	}
	def := "none"
	if d, ok := s.Default.(float64); ok {
		def = strconv.FormatInt(int64(d), 10)
	}
	if got, want := def, ptr(use.def); got != want {
		t.Errorf("%s ?%s=: default %s in the document, %s in the code", pattern, p.Name, got, want)
	}
	if got, want := num(s.Min), ptr(use.lo); got != want {
		t.Errorf("%s ?%s=: minimum %s in the document, %s in the code", pattern, p.Name, got, want)
	}
	if got, want := num(s.Max), ptr(use.hi); got != want {
		t.Errorf("%s ?%s=: maximum %s in the document, %s in the code", pattern, p.Name, got, want)
	}
}

func walkJSON(v any, at string, f func(string, any)) {
	f(at, v)
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			walkJSON(e, at+"/"+k, f)
		}
	case []any:
		for i, e := range v {
			walkJSON(e, at+"/"+strconv.Itoa(i), f)
		}
	}
}
