package web

import (
	"embed"
	"io/fs"
	"net/http"

	jsclient "github.com/chatstate/chatstate/clients/js"
)

//go:embed index.html ops.html static
var files embed.FS

// ClientPrefix is where Static serves the chatstate-client module
// (clients/js), the one packaged for npm: the chat page imports it from
// there rather than keeping a copy of its own.
const ClientPrefix = "/static/chatstate-client/"

// Page serves the chat web page (GET /).
func Page(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, files, "index.html")
}

// OpsPage serves the read-only operator page (GET /ops).
func OpsPage(w http.ResponseWriter, r *http.Request) {
	http.ServeFileFS(w, r, files, "ops.html")
}

// Static returns the handler of the pages' scripts and styles, to be
// mounted at /static/: it strips that prefix, and serves the client module
// under ClientPrefix.
func Static() http.Handler {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic("web: embedded static missing: " + err.Error())
	}
	mux := http.NewServeMux()
	mux.Handle(ClientPrefix, http.StripPrefix(ClientPrefix, http.FileServerFS(jsclient.FS)))
	mux.Handle("/static/", http.StripPrefix("/static/", http.FileServerFS(sub)))
	return mux
}
