package server_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

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

// sourceDirs are the folders of the server's source: the package and the
// packages of its protocol and HTTP API.
var sourceDirs = []string{".", "protocol", "httpapi"}

// handlerTypes are the receiver types of the handlers' methods: the
// server's and the HTTP API's.
var handlerTypes = []string{"Server", "API"}

func parseServerSource(t *testing.T) *serverSource {
	t.Helper()
	var files []string
	for _, dir := range sourceDirs {
		matches, err := filepath.Glob(filepath.Join(dir, "*.go"))
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, matches...)
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

// method returns the declaration of a method by name, preferring those of
// handlerTypes.
func (src *serverSource) method(name string) *ast.FuncDecl {
	types := src.methods[name]
	for _, h := range handlerTypes {
		if slices.Contains(types, h) {
			return src.funcs[h+"."+name]
		}
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
// handlers' methods it calls.
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
				// Follow s.method(...) into the handlers' own methods.
				if _, ok := fn.X.(*ast.Ident); ok {
					for _, h := range handlerTypes {
						if slices.Contains(src.methods[fn.Sel.Name], h) {
							visit(src.funcs[h+"."+fn.Sel.Name].Body)
						}
					}
				}
			}
			return true
		})
	}
	visit(src.handlerBody(handler))
	return out
}
