package main_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSecondProcessOnADataDirRefused runs a second `chatstate dev`, then a
// `chatstate broker`, on the --data-dir of a running `chatstate dev`, with
// ports of their own: each exits 1 at once with one line naming the
// directory and its holder, having written nothing in it, and the first
// keeps serving: what it acknowledged after them is there when it starts
// again. The data dir was used before (a restart), so that kfake's
// snapshots are among the files compared.
func TestSecondProcessOnADataDirRefused(t *testing.T) {
	const key = "k3y-for-the-data-dir-test"
	data := t.TempDir()
	d := startDev(t, data, "--api-key", key)
	postMessage(t, d.url, key, "shared", "before the restart")
	d.stop(t)
	d = startDev(t, data, "--api-key", key)

	kafkaDir := filepath.Join(data, "kafka")
	before := kafkaFiles(t, kafkaDir)
	if !slices.ContainsFunc(keys(before), func(p string) bool { return strings.HasSuffix(p, "snapshot.json") }) ||
		before["topics.json"] == nil || before["groups.log"] == nil {
		t.Fatalf("the data dir lacks the files to compare: %v", keys(before))
	}
	tops := dirNames(t, data)
	states := dirNames(t, filepath.Join(data, "state"))

	for _, second := range []struct {
		name string
		args []string
	}{
		{"second dev", []string{"dev", "--data-dir", data, "--broker-addr", freeAddr(t), "--http", freeAddr(t), "--server-id", "other", "--api-key", key}},
		{"second broker", []string{"broker", "--data-dir", data, "--broker-addr", freeAddr(t)}},
	} {
		w := startWorker(t, second.name, second.args...)
		select {
		case <-w.done:
		case <-time.After(30 * time.Second):
			t.Fatalf("the %s was not refused within 30s", second.name)
		}
		want := fmt.Sprintf("chatstate: data directory in use: %s is used by another process (process %d): "+
			"a --data-dir serves one chatstate dev or chatstate broker at a time\n", kafkaDir, d.cmd.Process.Pid)
		if code := w.cmd.ProcessState.ExitCode(); code != 1 || w.log.String() != want {
			t.Errorf("%s: exit %d, output %q\nwant exit 1, %q", second.name, code, w.log, want)
		}
		compareKafkaFiles(t, second.name, before, kafkaFiles(t, kafkaDir))
		if got := dirNames(t, data); !slices.Equal(got, tops) {
			t.Errorf("after the %s the data dir holds %v, before %v", second.name, got, tops)
		}
		if got := dirNames(t, filepath.Join(data, "state")); !slices.Equal(got, states) {
			t.Errorf("after the %s the state dir holds %v, before %v", second.name, got, states)
		}
		if err := readyz(d.url); err != nil {
			t.Fatalf("the first process after the %s: %v", second.name, err)
		}
	}

	postMessage(t, d.url, key, "shared", "after the refusals")
	d.stop(t)
	d = startDev(t, data, "--api-key", key)
	if texts, _ := roomMessages(t, d.url, "shared"); fmt.Sprint(texts) != "[before the restart after the refusals]" {
		t.Errorf("the room holds %q after a restart, want both messages", texts)
	}
	d.stop(t)
}

// postMessage posts text by a bot to room over the HTTP API and expects it
// acknowledged.
func postMessage(t *testing.T, base, key, room, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"user": "bot", "text": text})
	req, _ := http.NewRequest("POST", base+"/api/rooms/"+room+"/messages", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var posted struct{ Cursor *int64 }
	if err := json.NewDecoder(resp.Body).Decode(&posted); err != nil || resp.StatusCode != 200 || posted.Cursor == nil {
		t.Fatalf("post %q to %s: %d %v", text, room, resp.StatusCode, err)
	}
}

// kafkaFile is what kafkaFiles keeps of a file of the broker's data dir.
type kafkaFile struct {
	info    fs.FileInfo
	content []byte
}

// kafkaFiles reads the files of the broker's data dir that stay put while a
// broker runs: its state files (JSON, at the top and the partitions'
// snapshots, written at topic changes and at its close), the group and
// producer logs, which a running broker only appends to, and the lock.
// The partitions' segments are left out: a running broker appends to them,
// rolls and deletes them.
func kafkaFiles(t *testing.T, dir string) map[string]*kafkaFile {
	t.Helper()
	out := map[string]*kafkaFile{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		if !strings.HasSuffix(rel, ".json") && rel != "groups.log" && rel != "pids.log" && rel != "lock" {
			return nil
		}
		f := &kafkaFile{}
		if f.info, err = os.Stat(path); err != nil {
			return err
		}
		if f.content, err = os.ReadFile(path); err != nil {
			return err
		}
		out[rel] = f
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// compareKafkaFiles fails the test unless every file of before is still
// there, the same file: a state file or the lock unchanged, modification
// time included; a log no shorter, what it held first left as it was
// (the running broker may append).
func compareKafkaFiles(t *testing.T, who string, before, after map[string]*kafkaFile) {
	t.Helper()
	for _, rel := range keys(before) {
		b, a := before[rel], after[rel]
		switch {
		case a == nil:
			t.Errorf("after the %s %s is gone", who, rel)
		case !os.SameFile(a.info, b.info):
			t.Errorf("after the %s %s is another file", who, rel)
		case strings.HasSuffix(rel, ".log"):
			if !bytes.HasPrefix(a.content, b.content) {
				t.Errorf("after the %s %s was rewritten", who, rel)
			}
		case !bytes.Equal(a.content, b.content) || !a.info.ModTime().Equal(b.info.ModTime()):
			t.Errorf("after the %s %s changed: %s at %v, before %s at %v", who, rel,
				a.content, a.info.ModTime(), b.content, b.info.ModTime())
		}
	}
	for _, rel := range keys(after) {
		if before[rel] == nil {
			t.Errorf("after the %s there is a new %s", who, rel)
		}
	}
}

// dirNames lists the names in dir.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// keys returns m's keys in order.
func keys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
