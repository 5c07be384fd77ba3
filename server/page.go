package server

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed web
var webFiles embed.FS

// servePage serves the chat web page.
func servePage(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, webFiles, "web/index.html")
}

// serveOpsPage serves the read-only operator page.
func serveOpsPage(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, webFiles, "web/ops.html")
}

// staticFiles serves the page's scripts and styles under /static/.
func staticFiles() http.Handler {
	sub, err := fs.Sub(webFiles, "web/static")
	if err != nil {
		panic("server: embedded web/static missing: " + err.Error())
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}

// serveOpenAPI serves the OpenAPI 3 document of the HTTP API.
func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	http.ServeFileFS(w, r, webFiles, "web/openapi.json")
}
