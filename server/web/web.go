package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed index.html ops.html static
var files embed.FS

// Page serves the chat web page (GET /).
func Page(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, files, "index.html")
}

// OpsPage serves the read-only operator page (GET /ops).
func OpsPage(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, files, "ops.html")
}

// Static returns the handler of the pages' scripts and styles, to be
// mounted at /static/: it strips that prefix.
func Static() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("web: embedded static missing: " + err.Error())
	}
	return http.StripPrefix("/static/", http.FileServerFS(sub))
}
