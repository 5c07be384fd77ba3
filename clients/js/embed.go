// Package jsclient embeds the chatstate-client module (src/), so that the
// server serves the very module that is packaged for npm: the chat page
// loads it from there instead of keeping a copy of its own. This file is not
// part of the npm package (see "files" in package.json).
package jsclient

import (
	"embed"
	"io/fs"
)

//go:embed src/*.js
var files embed.FS

// FS holds the module's files (index.js and what it imports) at its root.
var FS fs.FS = mustSub(files, "src")

func mustSub(f fs.FS, dir string) fs.FS {
	sub, err := fs.Sub(f, dir)
	if err != nil {
		panic("jsclient: " + err.Error())
	}
	return sub
}
