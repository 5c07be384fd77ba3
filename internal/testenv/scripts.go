package testenv

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// runScript runs the repository's scripts/name with args and returns its
// combined output.
func runScript(name string, args ...string) ([]byte, error) {
	root, err := repoRoot()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join(root, "scripts", name), args...)
	cmd.Dir = root
	return cmd.CombinedOutput()
}

// repoRoot is the nearest directory above the working directory (a test's
// package) that holds go.mod.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
