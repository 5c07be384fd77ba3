package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/gorilla/websocket"

	"github.com/chatstate/chatstate/auth"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// openAPIFile is the document as it is embedded and served at
// GET /api/openapi.json.
const openAPIFile = "web/openapi.json"

// muxRoute is one registration of routes() in http_api.go.
type muxRoute struct {
	// pattern is the ServeMux pattern, as registered.
	pattern string
	// documented routes have an operation in the document, at the pattern's
	// path less "{$}".
	documented bool
}

// serverRoutes mirrors routes() in http_api.go. TestOpenAPIRoutes checks it
// against the source, and the document against it.
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
// errors.go, and that no schema closes additionalProperties.
func TestOpenAPIRoutes(t *testing.T) {
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

	// The error codes are those of errors.go.
	var enum []string
	for _, v := range doc.Components.Schemas["ErrorCode"].Value.Enum {
		enum = append(enum, v.(string))
	}
	slices.Sort(enum)
	if !slices.Equal(enum, src.codes) {
		t.Errorf("ErrorCode enum %v, errors.go has %v", enum, src.codes)
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

// serverSource is what the tests read from the package's non-test source.
type serverSource struct {
	routes  map[string]ast.Expr      // mux pattern → handler expression
	funcs   map[string]*ast.FuncDecl // "name" or "Type.name"
	methods map[string][]string      // method name → receiver types
	codes   []string                 // the values of the Code* constants, sorted
}

// paramUse is one query parameter a handler reads: with intParam or
// int64Param (integer; def, lo and hi as the literals passed, hi for
// intParam only; a default that is not a literal, such as ?at='s, means the
// parameter has none), or as a plain string.
type paramUse struct {
	def, lo, hi *int64
	integer     bool
}

func parseServerSource(t *testing.T) *serverSource {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	src := &serverSource{routes: map[string]ast.Expr{}, funcs: map[string]*ast.FuncDecl{}, methods: map[string][]string{}}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				key := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) == 1 {
					typ := d.Recv.List[0].Type
					if st, ok := typ.(*ast.StarExpr); ok {
						typ = st.X
					}
					if id, ok := typ.(*ast.Ident); ok {
						key = id.Name + "." + d.Name.Name
						src.methods[d.Name.Name] = append(src.methods[d.Name.Name], id.Name)
					}
				}
				src.funcs[key] = d
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for i, n := range vs.Names {
						if !strings.HasPrefix(n.Name, "Code") || i >= len(vs.Values) {
							continue
						}
						if v, ok := stringLit(vs.Values[i]); ok {
							src.codes = append(src.codes, v)
						}
					}
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) != 2 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "HandleFunc" && sel.Sel.Name != "Handle") {
				return true
			}
			if p, ok := stringLit(call.Args[0]); ok {
				if _, dup := src.routes[p]; dup {
					t.Errorf("pattern %q is registered twice", p)
				}
				src.routes[p] = call.Args[1]
			}
			return true
		})
	}
	slices.Sort(src.codes)
	if len(src.routes) == 0 || len(src.codes) == 0 {
		t.Fatalf("found %d routes and %d error codes in the source", len(src.routes), len(src.codes))
	}
	return src
}

func stringLit(e ast.Expr) (string, bool) {
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(b.Value)
	return s, err == nil
}

func intLit(e ast.Expr) *int64 {
	neg := false
	if u, ok := e.(*ast.UnaryExpr); ok && u.Op == token.SUB {
		neg, e = true, u.X
	}
	b, ok := e.(*ast.BasicLit)
	if !ok || b.Kind != token.INT {
		return nil
	}
	v, err := strconv.ParseInt(b.Value, 0, 64)
	if err != nil {
		return nil
	}
	if neg {
		v = -v
	}
	return &v
}

// method returns the declaration of a method by name, preferring Server's.
func (src *serverSource) method(name string) *ast.FuncDecl {
	types := src.methods[name]
	if slices.Contains(types, "Server") {
		return src.funcs["Server."+name]
	}
	if len(types) == 1 {
		return src.funcs[types[0]+"."+name]
	}
	return nil
}

// handlerBody returns the code a handler expression runs: a function
// literal, a function or method named, or the function or method a wrapper
// call such as s.ready_(s.listRooms) is given.
func (src *serverSource) handlerBody(e ast.Expr) ast.Node {
	switch e := e.(type) {
	case *ast.FuncLit:
		return e.Body
	case *ast.Ident:
		if d := src.funcs[e.Name]; d != nil {
			return d.Body
		}
	case *ast.SelectorExpr:
		if d := src.method(e.Sel.Name); d != nil {
			return d.Body
		}
	case *ast.CallExpr:
		for i := len(e.Args) - 1; i >= 0; i-- {
			if b := src.handlerBody(e.Args[i]); b != nil {
				return b
			}
		}
		return src.handlerBody(e.Fun)
	}
	return nil
}

// queryParams returns the query parameters a handler reads: through
// intParam and int64Param, or r.URL.Query().Get/Has, directly or in the
// Server methods it calls.
func (src *serverSource) queryParams(handler ast.Expr) map[string]paramUse {
	out := map[string]paramUse{}
	seen := map[ast.Node]bool{}
	isQuery := func(e ast.Expr) bool { // r.URL.Query()
		c, ok := e.(*ast.CallExpr)
		if !ok || len(c.Args) != 0 {
			return false
		}
		s, ok := c.Fun.(*ast.SelectorExpr)
		return ok && s.Sel.Name == "Query"
	}
	var visit func(body ast.Node)
	visit = func(body ast.Node) {
		if body == nil || seen[body] {
			return
		}
		seen[body] = true
		vars := map[string]bool{} // q := r.URL.Query()
		ast.Inspect(body, func(n ast.Node) bool {
			if a, ok := n.(*ast.AssignStmt); ok && len(a.Lhs) == len(a.Rhs) {
				for i, rhs := range a.Rhs {
					if id, ok := a.Lhs[i].(*ast.Ident); ok && isQuery(rhs) {
						vars[id.Name] = true
					}
				}
			}
			return true
		})
		ast.Inspect(body, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			switch fn := call.Fun.(type) {
			case *ast.Ident:
				if (fn.Name == "intParam" && len(call.Args) == 5) || (fn.Name == "int64Param" && len(call.Args) == 4) {
					if name, ok := stringLit(call.Args[1]); ok {
						u := paramUse{def: intLit(call.Args[2]), lo: intLit(call.Args[3]), integer: true}
						if len(call.Args) == 5 {
							u.hi = intLit(call.Args[4])
						}
						out[name] = u
					}
				}
			case *ast.SelectorExpr:
				if fn.Sel.Name == "Get" || fn.Sel.Name == "Has" {
					id, isVar := fn.X.(*ast.Ident)
					if (isQuery(fn.X) || (isVar && vars[id.Name])) && len(call.Args) == 1 {
						if name, ok := stringLit(call.Args[0]); ok {
							if _, known := out[name]; !known {
								out[name] = paramUse{}
							}
						}
					}
				}
				// Follow s.method(...) into the Server's own methods.
				if _, ok := fn.X.(*ast.Ident); ok && slices.Contains(src.methods[fn.Sel.Name], "Server") {
					visit(src.funcs["Server."+fn.Sel.Name].Body)
				}
			}
			return true
		})
	}
	visit(src.handlerBody(handler))
	return out
}

// apiChecker drives requests at one server and validates each exchange
// against the document.
type apiChecker struct {
	base   string
	doc    *openapi3.T
	router routers.Router
	seen   map[string]bool // operations exercised, as "METHOD /path"
}

// apiCall is one request and the status it must get.
type apiCall struct {
	method, target string // target: path and query
	header         map[string]string
	body           string
	status         int
	// docRejects: the document's request rules must refuse the request too,
	// because the server refuses it for a reason the document states.
	docRejects bool
}

func (k apiCall) String() string { return k.method + " " + k.target }

func (k apiCall) request(base string) *http.Request {
	req, err := http.NewRequest(k.method, base+k.target, strings.NewReader(k.body))
	if err != nil {
		panic(err)
	}
	for h, v := range k.header {
		req.Header.Set(h, v)
	}
	return req
}

var jsonBody = map[string]string{"Content-Type": "application/json"}

func bearer(key string) map[string]string {
	return map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + key}
}

// bearerPresent checks the form of the security scheme; whether the key is
// right is the server's business.
func bearerPresent(_ context.Context, in *openapi3filter.AuthenticationInput) error {
	v, ok := strings.CutPrefix(in.RequestValidationInput.Request.Header.Get("Authorization"), "Bearer ")
	if !ok || v == "" {
		return in.NewError(fmt.Errorf("no bearer token"))
	}
	return nil
}

// do sends k, checks the status and validates the exchange; it returns the
// response body.
func (c *apiChecker) do(t *testing.T, k apiCall) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(k.request(c.base))
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("%v: %v", k, err)
	}
	if resp.StatusCode != k.status {
		t.Errorf("%v: status %d, want %d: %s", k, resp.StatusCode, k.status, body)
	}
	c.check(t, k, resp.StatusCode, resp.Header, body)
	return body
}

// check validates a request and its answer against the document: the
// request must be valid when the server accepted it and invalid when
// k.docRejects, and the answer must have a documented status, content type
// and body.
func (c *apiChecker) check(t *testing.T, k apiCall, status int, header http.Header, body []byte) {
	t.Helper()
	in, reqErr, err := c.validateRequest(k)
	if err != nil {
		t.Errorf("%v: %v", k, err)
		return
	}
	if status < 300 && reqErr != nil {
		t.Errorf("%v: the server answered %d, but the document refuses the request: %v", k, status, reqErr)
	}
	if k.docRejects && reqErr == nil {
		t.Errorf("%v: the server answered %d, but the document accepts the request", k, status)
	}
	if err := validateResponse(in, status, header, body); err != nil {
		t.Errorf("%v: answer %d %s does not match the document: %v", k, status, body, err)
	}
}

func (c *apiChecker) validateRequest(k apiCall) (in *openapi3filter.RequestValidationInput, reqErr, err error) {
	req := k.request(c.base)
	route, params, err := c.router.FindRoute(req)
	if err != nil {
		return nil, nil, fmt.Errorf("not an operation of the document: %w", err)
	}
	c.seen[strings.ToUpper(route.Method)+" "+route.Path] = true
	in = &openapi3filter.RequestValidationInput{
		Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: bearerPresent, SkipSettingDefaults: true, MultiError: true},
	}
	return in, openapi3filter.ValidateRequest(context.Background(), in), nil
}

func validateResponse(in *openapi3filter.RequestValidationInput, status int, header http.Header, body []byte) error {
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: status, Header: header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	out.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(context.Background(), out)
}

// dialWS opens /ws with the query and headers and validates the handshake's
// answer; it returns the connection when the upgrade succeeded.
func (c *apiChecker) dialWS(t *testing.T, query string, header http.Header, status int) *websocket.Conn {
	t.Helper()
	k := apiCall{method: "GET", target: "/ws?" + query, status: status}
	ws, resp, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(c.base, "http")+k.target, header)
	if resp == nil {
		t.Fatalf("dial %v: %v", k, err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		t.Errorf("dial %v: status %d, want %d: %v %s", k, resp.StatusCode, status, err, body)
	}
	c.check(t, k, resp.StatusCode, resp.Header, body)
	return ws
}

func init() {
	openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.PlainBodyDecoder)
}

// TestOpenAPIResponses drives real requests at a running stack, every
// documented operation at least once, and validates each request and answer
// against the document served at /api/openapi.json.
func TestOpenAPIResponses(t *testing.T) {
	s := newStack(t, server.Config{APIKey: "k3y"})
	base := s.http.URL

	resp, err := http.Get(base + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	served, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /api/openapi.json: %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	var head struct {
		OpenAPI string `json:"openapi"`
	}
	if err := json.Unmarshal(served, &head); err != nil || !strings.HasPrefix(head.OpenAPI, "3.") {
		t.Fatalf("the served document is not OpenAPI 3 JSON: openapi %q, %v", head.OpenAPI, err)
	}
	if file, err := os.ReadFile(openAPIFile); err != nil || !bytes.Equal(file, served) {
		t.Errorf("the served document differs from %s (%v)", openAPIFile, err)
	}
	doc, router := loadOpenAPI(t, served)
	c := &apiChecker{base: base, doc: doc, router: router, seen: map[string]bool{}}

	// State to read back: alice present in news, bot's messages in it.
	c.dialWS(t, "user=carol", nil, 101).Close()
	alice := testenv.Dial(t, base, "alice")
	alice.Send(map[string]any{"op": "join", "room": "news"})
	alice.Expect("snapshot", testenv.Frame{"room": "news"})
	for i := range 3 {
		c.do(t, apiCall{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"),
			body: fmt.Sprintf(`{"user":"bot","text":"  news %d "}`, i), status: 200})
	}
	testenv.WaitFor(t, 20*time.Second, func() error {
		var room struct {
			Messages int
			Members  []struct{ User string }
		}
		var user struct{ Sessions int }
		if getJSON(t, base+"/api/rooms/news", &room); room.Messages != 3 || len(room.Members) != 1 {
			return fmt.Errorf("room news: %+v", room)
		}
		if getJSON(t, base+"/api/users/alice", &user); user.Sessions != 1 {
			return fmt.Errorf("user alice: %+v", user)
		}
		if getJSON(t, base+"/api/users/bot", &user); user.Sessions != 0 {
			return fmt.Errorf("user bot: %+v", user)
		}
		return nil
	})

	long := strings.Repeat("y", 4097)
	for _, k := range []apiCall{
		{method: "GET", target: "/api/rooms", status: 200},
		{method: "GET", target: "/api/rooms?prefix=ne&limit=1", status: 200},
		{method: "GET", target: "/api/rooms?prefix=zz", status: 200},
		{method: "GET", target: "/api/rooms?limit=abc", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/news", status: 200},
		{method: "GET", target: "/api/rooms/never", status: 404},
		{method: "GET", target: "/api/rooms/bad%20name", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/-x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/news/events", status: 200},
		{method: "GET", target: "/api/rooms/news/events?after=-1&limit=2", status: 200},
		{method: "GET", target: "/api/rooms/never/events", status: 200},
		{method: "GET", target: "/api/rooms/news/events?after=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/_x/events", status: 400, docRejects: true},
		{method: "GET", target: "/api/users", status: 200},
		{method: "GET", target: "/api/users?prefix=al&limit=5&online=true", status: 200},
		{method: "GET", target: "/api/users?limit=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/users/alice", status: 200},
		{method: "GET", target: "/api/users/bot", status: 200},
		{method: "GET", target: "/api/users/nobody", status: 404},
		{method: "GET", target: "/api/users/a%2Fb", status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hello"}`, status: 200},
		{method: "POST", target: "/api/rooms/fresh/messages", header: bearer("k3y"), body: `{"user":"bot","text":"first","extra":1}`, status: 200},
		// As of a cursor: fresh's message is the first record of its
		// partition, which never shares.
		{method: "GET", target: "/api/rooms/news?at=1", status: 200},
		{method: "GET", target: "/api/rooms/never?at=0", status: 404},
		{method: "GET", target: "/api/rooms/news?at=1000000", status: 404},
		{method: "GET", target: "/api/rooms/news?at=x", status: 400, docRejects: true},
		{method: "GET", target: "/api/rooms/-x?at=0", status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: jsonBody, body: `{"user":"bot","text":"hi"}`, status: 401, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("nope"), body: `{"user":"bot","text":"hi"}`, status: 401},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `hi`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"-x","text":"hi"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":""}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"   "}`, status: 400},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":5}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/-x/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hi"}`, status: 400, docRejects: true},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"` + long + `"}`, status: 413},
		{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"` + strings.Repeat(long, 17) + `"}`, status: 413},
		{method: "GET", target: "/healthz", status: 200},
		{method: "GET", target: "/readyz", status: 200},
		{method: "GET", target: "/metrics", status: 200},
		{method: "GET", target: "/", status: 200},
		{method: "GET", target: "/api/openapi.json", status: 200},
		{method: "GET", target: "/ws?user=alice", status: 400}, // no upgrade headers
		{method: "GET", target: "/ws", status: 400},
		{method: "GET", target: "/ws?user=-x", status: 400, docRejects: true},
	} {
		c.do(t, k)
	}
	c.dialWS(t, "user=carol", http.Header{"Origin": {"http://elsewhere.example"}}, 403)

	// The events answer carries the join (with a session) and the messages
	// (with their trimmed text).
	var page struct {
		Events []struct {
			Event map[string]any `json:"event"`
		} `json:"events"`
	}
	if err := json.Unmarshal(c.do(t, apiCall{method: "GET", target: "/api/rooms/news/events", status: 200}), &page); err != nil {
		t.Fatal(err)
	}
	types := map[any]int{}
	for _, e := range page.Events {
		types[e.Event["type"]]++
		if e.Event["type"] == "message" && e.Event["text"] == "" {
			t.Errorf("message without text: %v", e.Event)
		}
	}
	if types["join"] < 1 || types["message"] < 3 {
		t.Errorf("events of news: %v", page)
	}

	// The document's bounds and enums are the server's: each bound is
	// accepted and one past it refused, by both.
	for path, item := range doc.Paths.Map() {
		op := item.Get
		if op == nil || path == "/ws" {
			continue
		}
		target := strings.NewReplacer("{room}", "news", "{user}", "alice").Replace(path)
		for _, p := range op.Parameters {
			p := p.Value
			if p.In != openapi3.ParameterInQuery {
				continue
			}
			sch := p.Schema.Value
			probe := func(v string, status int) {
				c.do(t, apiCall{method: "GET", target: target + "?" + p.Name + "=" + v, status: status, docRejects: status == 400})
			}
			if sch.Min != nil {
				probe(strconv.FormatInt(int64(*sch.Min), 10), 200)
				probe(strconv.FormatInt(int64(*sch.Min)-1, 10), 400)
			}
			if sch.Max != nil {
				probe(strconv.FormatInt(int64(*sch.Max), 10), 200)
				probe(strconv.FormatInt(int64(*sch.Max)+1, 10), 400)
			}
			for _, v := range sch.Enum {
				probe(fmt.Sprint(v), 200)
			}
			if len(sch.Enum) > 0 {
				probe("maybe", 400)
			}
		}
	}

	// A second server on the same log, with an auth secret and no API key.
	_, hs2, _ := startServer(t, s.kcfg, t.TempDir(), server.Config{ServerID: "s2", AuthSecret: "s3cret"})
	c2 := &apiChecker{base: hs2.URL, doc: doc, router: router, seen: c.seen}
	c2.do(t, apiCall{method: "POST", target: "/api/rooms/news/messages", header: bearer("k3y"), body: `{"user":"bot","text":"hi"}`, status: 403})
	c2.do(t, apiCall{method: "GET", target: "/ws?user=alice", status: 401})
	c2.do(t, apiCall{method: "GET", target: "/ws?token=not.a.jwt", status: 401})
	tok, err := auth.Mint("s3cret", "dave", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	c2.dialWS(t, "token="+tok, nil, 101).Close()

	for op := range docOps(doc) {
		if !c.seen[op] {
			t.Errorf("no request exercised %s", op)
		}
	}

	// The validation can fail: answers that break the document are refused.
	t.Run("negative", func(t *testing.T) {
		room := c.do(t, apiCall{method: "GET", target: "/api/rooms/news", status: 200})
		var m map[string]any
		if err := json.Unmarshal(room, &m); err != nil {
			t.Fatal(err)
		}
		mutate := func(f func(map[string]any)) []byte {
			cp := map[string]any{}
			for k, v := range m {
				cp[k] = v
			}
			f(cp)
			b, _ := json.Marshal(cp)
			return b
		}
		hdr := http.Header{"Content-Type": {"application/json"}}
		for _, tc := range []struct {
			name, target string
			status       int
			header       http.Header
			body         []byte
		}{
			{"wrong type", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["messages"] = "3" })},
			{"missing field", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { delete(r, "cursor") })},
			{"bad member", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["members"] = []any{map[string]any{"user": "x"}} })},
			{"bad timestamp", "/api/rooms/news", 200, hdr, mutate(func(r map[string]any) { r["updated"] = "yesterday" })},
			{"undocumented status", "/api/rooms/news", 418, hdr, room},
			{"wrong content type", "/api/rooms/news", 200, http.Header{"Content-Type": {"text/plain"}}, room},
			{"code of another status", "/api/rooms/never", 404, hdr, []byte(`{"error":{"code":"bad_request","message":"x"}}`)},
			{"unknown code", "/api/rooms/-x", 400, hdr, []byte(`{"error":{"code":"oops","message":"x"}}`)},
			{"bad event", "/api/rooms/news/events", 200, hdr, []byte(`{"events":[{"cursor":1,"event":{"id":"a","type":"shout","room":"news","user":"bot","ts":"2024-05-01T12:00:00.000Z"}}],"next":1,"truncated":false}`)},
			{"ready without epoch", "/readyz", 200, hdr, []byte(`{"status":"ready"}`)},
		} {
			in, _, err := c.validateRequest(apiCall{method: "GET", target: tc.target})
			if err != nil {
				t.Fatal(err)
			}
			if err := validateResponse(in, tc.status, tc.header, tc.body); err == nil {
				t.Errorf("%s: %d %s passed validation", tc.name, tc.status, tc.body)
			}
		}
	})
}
