package main_test

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/IBM/sarama"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
)

// readme is README.md at the repository's root.
const readme = "../../README.md"

// readmeCommands returns the commands of README.md's code blocks: each line
// of a block, less a "$ " prompt, with the lines that a trailing backslash
// continues, as the shell reads them.
func readmeCommands(t *testing.T) [][]string {
	t.Helper()
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	var blocks [][]string
	var block []string
	in, cont := false, false
	for _, line := range strings.Split(string(raw), "\n") {
		switch {
		case strings.HasPrefix(line, "```"):
			if in {
				blocks = append(blocks, block)
			}
			in, block, cont = !in, nil, false
		case !in:
		case cont:
			block[len(block)-1] += "\n" + line
			cont = strings.HasSuffix(line, `\`)
		default:
			block = append(block, strings.TrimPrefix(line, "$ "))
			cont = strings.HasSuffix(line, `\`)
		}
	}
	return blocks
}

// readmeCommand returns the one command of the README that match accepts,
// with the command after it in its block ("" if none).
func readmeCommand(t *testing.T, what string, match func(string) bool) (cmd, next string) {
	t.Helper()
	found := 0
	for _, block := range readmeCommands(t) {
		for i, c := range block {
			if match(c) {
				found++
				cmd, next = c, ""
				if i+1 < len(block) {
					next = block[i+1]
				}
			}
		}
	}
	if found != 1 {
		t.Fatalf("README.md has %d commands %s, want one", found, what)
	}
	return cmd, next
}

// replaceIn replaces old by new in cmd, which must hold old.
func replaceIn(t *testing.T, cmd, old, new string) string {
	t.Helper()
	if !strings.Contains(cmd, old) {
		t.Fatalf("the README's command does not name %s: %s", old, cmd)
	}
	return strings.ReplaceAll(cmd, old, new)
}

// shell runs cmd with sh in the repository's root and returns its output.
func shell(t *testing.T, cmd string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Dir = "../.."
	out, err := c.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	return string(out)
}

// needTool skips the test when the program is missing, unless the variable
// env is 1, which makes that a failure.
func needTool(t *testing.T, name, env string) {
	t.Helper()
	if _, err := exec.LookPath(name); err == nil {
		return
	}
	msg := fmt.Sprintf("the README's %s command needs %s (Debian: apt-get install -y %s)", name, name, name)
	if env != "" && os.Getenv(env) == "1" {
		t.Fatal(msg + "; " + env + "=1 requires it")
	}
	t.Skip(msg + "; skipping")
}

// TestREADMECommands runs the README's commands as written, only the
// addresses changed to free ones: the binary built as the README says, its
// `dev` with an API key, the curl that posts a message and the kcat that
// produces an event (the kcat part skips without kcat, unless
// CHATSTATE_REQUIRE_KCAT=1). Both messages reach the room's state and a
// member's socket, nothing goes to the dead letters, dev runs the processors
// the README says, and the binary stops cleanly on SIGTERM.
func TestREADMECommands(t *testing.T) {
	build, run := readmeCommand(t, "that build the binary", func(c string) bool { return strings.HasPrefix(c, "go build ") })
	if build != "go build -o chatstate ./cmd/chatstate" || run != "./chatstate dev" {
		t.Fatalf("README: the build is %q then %q, want go build -o chatstate ./cmd/chatstate then ./chatstate dev", build, run)
	}
	binary := filepath.Join(t.TempDir(), "chatstate")
	shell(t, replaceIn(t, build, "-o chatstate", "-o "+binary))

	devCmd, _ := readmeCommand(t, "that start dev with an API key", func(c string) bool {
		return strings.HasPrefix(c, "go run ./cmd/chatstate dev --api-key ")
	})
	args := strings.Fields(strings.TrimPrefix(devCmd, "go run ./cmd/chatstate "))
	broker, httpAddr := freeAddr(t), freeAddr(t)
	args = append(args, "--data-dir", t.TempDir(), "--broker-addr", broker, "--http", httpAddr)
	d := startBinary(t, binary, httpAddr, args...)

	carol := testenv.Dial(t, d.url, "carol")
	carol.Send(testenv.Frame{"op": "join", "room": "lobby"})
	carol.Expect("snapshot", testenv.Frame{"room": "lobby"})
	carol.ExpectEvent("lobby", "join", "carol")
	messages := 0
	waitMessages := func() {
		t.Helper()
		testenv.WaitFor(t, 30*time.Second, func() error {
			var room struct{ Messages int }
			if err := fetchJSON(d.url+"/api/rooms/lobby", &room); err != nil || room.Messages != messages {
				return fmt.Errorf("room lobby: %+v %v, want %d messages", room, err, messages)
			}
			return nil
		})
	}

	t.Run("curl", func(t *testing.T) {
		needTool(t, "curl", "")
		cmd, _ := readmeCommand(t, "that post with curl", func(c string) bool { return strings.HasPrefix(c, "curl ") })
		out := shell(t, replaceIn(t, cmd, "localhost:8080", httpAddr))
		if !regexp.MustCompile(`^\{"cursor":[0-9]+\}\n$`).MatchString(out) {
			t.Fatalf("curl answered %q, want {\"cursor\":N}", out)
		}
		carol.T = t
		_, ev := carol.ExpectEvent("lobby", "message", "bot")
		if ev["text"] != "hello over HTTP" {
			t.Errorf("the posted event %v", ev)
		}
		messages++
		waitMessages()
	})

	t.Run("kcat", func(t *testing.T) {
		needTool(t, "kcat", "CHATSTATE_REQUIRE_KCAT")
		cmd, _ := readmeCommand(t, "that produce with kcat", func(c string) bool { return strings.Contains(c, "| kcat ") })
		shell(t, replaceIn(t, cmd, "127.0.0.1:9092", broker))
		carol.T = t
		_, ev := carol.ExpectEvent("lobby", "message", "alice")
		if ev["text"] != "hello from kcat" || ev["id"] != "kcat-1" || ev["ts"] != "2024-05-01T12:00:00.000Z" {
			t.Errorf("the produced event %v", ev)
		}
		messages++
		waitMessages()
	})
	carol.T = t

	client := testenv.KafkaClient(t, []string{broker}, sarama.NewConfig())
	parts, err := client.Partitions("chat.deadletter")
	if err != nil {
		t.Fatal(err)
	}
	ends, err := kafka.EndOffsets(client, "chat.deadletter", len(parts))
	if err != nil || slices.ContainsFunc(ends, func(n int64) bool { return n != 0 }) {
		t.Errorf("chat.deadletter end offsets %v %v, want none written; reasons: %q", ends, err, deadLetterReasons(t, client, ends))
	}

	checkDevGroups(t, client)
	d.stop(t)
}

// deadLetterReasons returns the reasons of the dead letters below ends.
func deadLetterReasons(t *testing.T, client sarama.Client, ends []int64) []string {
	t.Helper()
	consumer, err := sarama.NewConsumerFromClient(client)
	if err != nil {
		return []string{err.Error()}
	}
	defer consumer.Close()
	var out []string
	for p, end := range ends {
		if end == 0 {
			continue
		}
		pc, err := consumer.ConsumePartition("chat.deadletter", int32(p), sarama.OffsetOldest)
		if err != nil {
			return append(out, err.Error())
		}
		for m := range pc.Messages() {
			for _, h := range m.Headers {
				if string(h.Key) == codec.HeaderReason {
					out = append(out, string(h.Value))
				}
			}
			if m.Offset+1 >= end {
				break
			}
		}
		pc.Close()
	}
	return out
}

// checkDevGroups checks that the README's row of `chatstate dev` names the
// processors that the running dev has, by their consumer groups.
func checkDevGroups(t *testing.T, client sarama.Client) {
	t.Helper()
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `chatstate dev` \\|.*$").FindString(string(raw))
	m := regexp.MustCompile(`the (\w+) processors \(([^)]*)\)`).FindStringSubmatch(row)
	if m == nil {
		t.Fatalf("README: the row of chatstate dev does not say \"the N processors (...)\": %s", row)
	}
	named := strings.Split(m[2], ", ")
	slices.Sort(named)
	words := map[int]string{1: "one", 2: "two", 3: "three", 4: "four", 5: "five"}
	if m[1] != words[len(named)] {
		t.Errorf("README: dev runs %q processors, and names %d: %s", m[1], len(named), row)
	}

	admin, err := sarama.NewClusterAdminFromClient(client)
	if err != nil {
		t.Fatal(err)
	}
	var groups []string // those of dev's prefix, less the prefix
	testenv.WaitFor(t, 30*time.Second, func() error {
		all, err := admin.ListConsumerGroups()
		groups = nil
		for g := range all {
			if name, ok := strings.CutPrefix(g, kafka.DefaultPrefix+"-"); ok {
				groups = append(groups, name)
			}
		}
		slices.Sort(groups)
		if err != nil || !slices.Equal(groups, named) {
			return fmt.Errorf("dev's consumer groups are %v (%v); the README names %v", groups, err, named)
		}
		return nil
	})
}

// startBinary runs the chatstate binary at path with args, the last of them
// making it serve HTTP on httpAddr, and waits until it is ready.
func startBinary(t *testing.T, path, httpAddr string, args ...string) *proc {
	t.Helper()
	p := &proc{url: "http://" + httpAddr, log: &testenv.SyncBuffer{}}
	p.cmd = exec.Command(path, args...)
	p.cmd.Stdout, p.cmd.Stderr = p.log, p.log
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Signal(syscall.SIGKILL)
			_ = p.cmd.Wait()
		}
		if t.Failed() {
			t.Logf("chatstate %s output:\n%s", args[0], p.log)
		}
	})
	testenv.WaitFor(t, 60*time.Second, func() error {
		resp, err := http.Get(p.url + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	return p
}

// TestReliabilityTableNamesItsTests: every test the README's reliability
// table names exists, as a test function of the package the row names
// before it (fuzz targets anywhere), so that a renamed or deleted test
// cannot leave a row that no test backs.
func TestReliabilityTableNamesItsTests(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(readme)
	if err != nil {
		t.Fatal(err)
	}
	_, section, _ := strings.Cut(string(raw), "\n## Reliability\n")
	section, _, _ = strings.Cut(section, "\n## ")
	funcs := map[string]string{} // package dir → the text of its test files
	testsOf := func(dir string) string {
		if s, ok := funcs[dir]; ok {
			return s
		}
		files, _ := filepath.Glob(filepath.Join("../..", dir, "*_test.go"))
		var b strings.Builder
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			b.Write(data)
		}
		funcs[dir] = b.String()
		return funcs[dir]
	}
	word := regexp.MustCompile("`([a-z/]+)`|\\b((?:Test|Fuzz)[A-Za-z0-9_]+)")
	rows := 0
	for _, line := range strings.Split(section, "\n") {
		cells := strings.Split(line, "|")
		if len(cells) != 5 || strings.TrimSpace(cells[3]) == "test" || strings.HasPrefix(strings.TrimSpace(cells[3]), "---") {
			continue
		}
		rows++
		pkg, named := "", 0
		for _, m := range word.FindAllStringSubmatch(cells[3], -1) {
			switch name := m[2]; {
			case m[1] != "":
				pkg = m[1]
			case strings.HasPrefix(name, "Fuzz"):
				named++
				if !strings.Contains(allTests(t), "func "+name+"(f *testing.F)") {
					t.Errorf("README reliability row %q: no fuzz target %s", strings.TrimSpace(cells[1]), name)
				}
			case pkg == "":
				t.Errorf("README reliability row %q: %s without a package before it", strings.TrimSpace(cells[1]), name)
			default:
				named++
				if !strings.Contains(testsOf(pkg), "func "+name+"(t *testing.T)") {
					t.Errorf("README reliability row %q: package %s has no test %s", strings.TrimSpace(cells[1]), pkg, name)
				}
			}
		}
		if named == 0 {
			t.Errorf("README reliability row %q names no test", strings.TrimSpace(cells[1]))
		}
	}
	if rows < 30 {
		t.Fatalf("README: %d rows in the reliability table, want the whole table (30 or more)", rows)
	}
}

// allTests returns the text of every test file of the repository.
func allTests(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	err := filepath.WalkDir("../..", func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() || !strings.HasSuffix(path, "_test.go") {
			return err
		}
		data, err := os.ReadFile(path)
		b.Write(data)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}
