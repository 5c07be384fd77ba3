package server_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/server"
)

// TestStateDirectoryLocked: a second server of the same id and state
// directory is refused until the first has run and returned.
func TestStateDirectoryLocked(t *testing.T) {
	t.Parallel()
	kcfg := testenv.Kafka(t, 2)
	dir := t.TempDir()
	runProcessors(t, kcfg, dir)
	_, _, stop := startServer(t, kcfg, dir, server.Config{ServerID: "one"})
	_, err := server.New(server.Config{ServerID: "one"}, kcfg, dir)
	if !errors.Is(err, server.ErrStateInUse) || !strings.Contains(err.Error(), filepath.Join(dir, "server-one")+" is used by another server of the same id (process ") {
		t.Fatalf("second New: %v", err)
	}
	// Another id has its own directory.
	startServer(t, kcfg, dir, server.Config{ServerID: "two"})
	stop()
	startServer(t, kcfg, dir, server.Config{ServerID: "one"})
}
