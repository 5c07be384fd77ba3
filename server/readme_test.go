package server_test

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// readmeBullet returns the text of the README's bullet that begins with
// head, its lines joined by spaces, or fails.
func readmeBullet(t *testing.T, readme, head string) string {
	t.Helper()
	var out []string
	for _, line := range strings.Split(readme, "\n") {
		switch {
		case strings.HasPrefix(line, "- "+head):
			out = []string{line}
		case out != nil && strings.HasPrefix(line, "  "):
			out = append(out, strings.TrimSpace(line))
		case out != nil:
			return strings.Join(out, " ")
		}
	}
	if out == nil {
		t.Fatalf("README.md has no bullet beginning %q", head)
	}
	return strings.Join(out, " ")
}

// TestREADMEMatchesTheAPI checks what the README's Protocol section says of
// the HTTP API against the OpenAPI document, which TestOpenAPIRoutes and
// TestOpenAPIResponses hold to the server: the bounds of limit, the
// document's path, the 405 answer, and the fields of a snapshot.
func TestREADMEMatchesTheAPI(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	data, err := os.ReadFile(openAPIFile)
	if err != nil {
		t.Fatal(err)
	}
	doc, _ := loadOpenAPI(t, data)

	limitRE := regexp.MustCompile("`limit` \\(default ([0-9]+), at most ([0-9]+)\\)")
	for _, path := range []string{"/api/rooms", "/api/rooms/{room}/events", "/api/users"} {
		bullet := readmeBullet(t, readme, "**`GET "+path+"`**")
		m := limitRE.FindStringSubmatch(bullet)
		if m == nil {
			t.Errorf("README, GET %s: no \"`limit` (default D, at most M)\" in %q", path, bullet)
			continue
		}
		s := doc.Paths.Find(path).Get.Parameters.GetByInAndName(openapi3.ParameterInQuery, "limit").Schema.Value
		def, hi := strconv.Itoa(int(s.Default.(float64))), strconv.Itoa(int(*s.Max))
		if m[1] != def || m[2] != hi {
			t.Errorf("README, GET %s: limit default %s, at most %s; the document says default %s, at most %s", path, m[1], m[2], def, hi)
		}
	}

	// The lists' ETag and 304, as the document has them.
	polling := readmeBullet(t, readme, "**Polling the lists**")
	for _, path := range []string{"/api/rooms", "/api/users"} {
		op := doc.Paths.Find(path).Get
		if op.Responses.Status(304) == nil || op.Parameters.GetByInAndName(openapi3.ParameterInHeader, "If-None-Match") == nil ||
			op.Responses.Status(200).Value.Headers["ETag"] == nil {
			t.Errorf("the document lacks the ETag, If-None-Match or 304 of GET %s", path)
		}
		if !strings.Contains(polling, "`GET "+path+"`") {
			t.Errorf("README, Polling the lists: GET %s is not named in %q", path, polling)
		}
	}
	for _, w := range []string{"`ETag`", "`If-None-Match`", "`304 Not Modified` with no body", "`Cache-Control: no-cache`"} {
		if !strings.Contains(polling, w) {
			t.Errorf("README, Polling the lists: no %s in %q", w, polling)
		}
	}

	if !strings.Contains(readmeBullet(t, readme, "**`GET /api/openapi.json`**"), "OpenAPI 3 document") {
		t.Errorf("README: the bullet of GET /api/openapi.json does not say it is the OpenAPI 3 document")
	}

	// The code of a 405 under /api/ is the document's.
	enum := doc.Components.Responses["MethodNotAllowed"].Value.Content.Get("application/json").Schema.Value.AllOf[1].Value.
		Properties["error"].Value.Properties["code"].Value.Enum
	httpErrors := readmeBullet(t, readme, "**HTTP errors**")
	want := "is 405 with `Allow`"
	if len(enum) != 1 || !strings.Contains(httpErrors, want) || !strings.Contains(httpErrors, `{"error": {"code": "`+enum[0].(string)+`",`) {
		t.Errorf("README, HTTP errors: want %q and the code %v of the document's 405 in %q", want, enum, httpErrors)
	}

	// A snapshot's messages is a count; its history is events.
	for _, line := range strings.Split(readme, "\n") {
		if strings.Contains(line, "`snapshot {room, cursor, epoch, members, messages, events,") {
			for _, w := range []string{"`messages` is the room's message count", "the history is in `events`"} {
				if !strings.Contains(line, w) {
					t.Errorf("README: the snapshot row lacks %q: %s", w, line)
				}
			}
			return
		}
	}
	t.Errorf("README: no row of the snapshot frame")
}
