package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
)

// listETag returns the entity tag of a list answer, a strong one: a hash of
// the log's epoch, the table's version and the query as the handler parsed
// it (query), so that two answers with the same tag have the same body and
// different queries have different tags. It reads the version before the
// rows are read (see views.Table.Version), so a tag is never newer than the
// body it comes with. When the table cannot say its version the answer
// goes without a tag, as it did before tags, and If-None-Match is ignored.
func (a *API) listETag(version func() (string, error), query ...string) listTag {
	v, err := version()
	if err != nil {
		return listTag{}
	}
	h := sha256.New()
	for _, s := range append([]string{a.cfg.Epoch, v}, query...) {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return listTag{tag: `"` + hex.EncodeToString(h.Sum(nil)[:16]) + `"`, tagged: true}
}

// notModified reports whether the request's If-None-Match matches tag, by
// the weak comparison of RFC 9110 section 13.1.2: "*", or a listed tag
// equal to tag once W/ is set aside. An absent or malformed header does not
// match.
func notModified(r *http.Request, tag string) bool {
	for _, line := range r.Header.Values("If-None-Match") {
		for t := range strings.SplitSeq(line, ",") {
			t = strings.TrimSpace(t)
			if t == "*" || strings.TrimPrefix(t, "W/") == tag {
				return true
			}
		}
	}
	return false
}

// listTag is the entity tag of one list answer; see listETag.
type listTag struct {
	tag    string
	tagged bool
}

// unchanged answers 304 Not Modified, with no body, when the request's
// If-None-Match matches the tag, and reports whether it did; the caller
// then has nothing more to do, not even to read the rows.
func (t listTag) unchanged(w http.ResponseWriter, r *http.Request) bool {
	if !t.tagged || !notModified(r, t.tag) {
		return false
	}
	t.headers(w)
	w.WriteHeader(http.StatusNotModified)
	return true
}

// write answers 200 with the list v and its tag.
func (t listTag) write(w http.ResponseWriter, v any) {
	if t.tagged {
		t.headers(w)
	}
	WriteJSON(w, http.StatusOK, v)
}

// headers sets the tag and Cache-Control: no-cache, so that a cache asks
// again each time (with the tag) rather than serving a list it guessed was
// fresh.
func (t listTag) headers(w http.ResponseWriter) {
	w.Header().Set("ETag", t.tag)
	w.Header().Set("Cache-Control", "no-cache")
}
