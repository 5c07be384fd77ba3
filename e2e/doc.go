// Package e2e holds the browser tests of chatstate: Go tests that drive a real
// headless Chromium through the DevTools protocol (github.com/chromedp/chromedp)
// against the chat page at GET / and the operator page at GET /ops, served by a
// real server on the embedded broker with the three processors running. Two
// tests run a module alone in the browser, with the static files served as
// they are: TestClientModule the WebSocket client (the chatstate-client module
// of clients/js) against a scripted socket,
// TestRoomListPollerSkipsUnchangedLists the room list's poller (http.js)
// against a scripted fetch.
//
// TestWebSocketIsNotCompressed needs no browser: it dials the same stack
// with a client that offers permessage-deflate and checks that the server
// never negotiates it, since its WebSocket framing writes uncompressed
// frames only.
//
// The package has no code outside its tests. The tests look for Debian's
// chromium (exec.LookPath("chromium"), then /usr/bin/chromium) and skip with
// a message when it is missing, unless CHATSTATE_REQUIRE_BROWSER=1, which CI
// sets: then a missing browser fails the run. They never download a browser.
//
// A failing scenario writes a screenshot and the HTML of each of its pages to
// the test's artifact directory (a temporary directory, kept under the output
// directory with go test -artifacts) and logs the path.
package e2e
