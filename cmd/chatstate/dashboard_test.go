package main_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v4"

	"github.com/chatstate/chatstate/internal/testenv"
)

// The deploy files whose PromQL must name only what chatstate exports.
const (
	dashboardFile = "../../deploy/grafana/dashboards/chatstate.json"
	alertsFile    = "../../deploy/prometheus/alerts.yml"
)

var (
	// Removed before names are read: strings, label matchers (and the
	// Grafana variables in them), ranges and subqueries, and the label
	// lists of aggregations and vector matching.
	promStrings    = regexp.MustCompile(`"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|` + "`[^`]*`")
	promMatchers   = regexp.MustCompile(`\{[^}]*\}`)
	promRanges     = regexp.MustCompile(`\[[^\]]*\]`)
	promLabelLists = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promIdent      = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*`)
	// Grafana's label_values(metric, label): the metric is the first
	// argument, the label is no metric.
	labelValues = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,`)
)

// promKeywords are the words of PromQL that are neither functions nor
// metrics.
var promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "offset": true, "bool": true,
	"inf": true, "nan": true, "by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true}

// promMetrics returns the metric names a PromQL expression selects, sorted,
// once each: the identifiers that are not functions or aggregations (a
// parenthesis follows), keywords, labels or durations.
func promMetrics(expr string) []string {
	if m := labelValues.FindStringSubmatch(expr); m != nil {
		return []string{m[1]}
	}
	for _, re := range []*regexp.Regexp{promStrings, promMatchers, promRanges, promLabelLists} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, loc := range promIdent.FindAllStringIndex(expr, -1) {
		name, before, after := expr[loc[0]:loc[1]], byte(' '), strings.TrimLeft(expr[loc[1]:], " \t\n")
		if loc[0] > 0 {
			before = expr[loc[0]-1]
		}
		// A duration (offset 10m), a number's exponent, or a variable.
		if before >= '0' && before <= '9' || before == '.' || before == '$' {
			continue
		}
		if promKeywords[strings.ToLower(name)] || strings.HasPrefix(after, "(") {
			continue
		}
		if !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return names
}

// exported returns the names of the samples of a /metrics text: for a
// histogram its _bucket, _sum and _count series, the names PromQL selects.
func exported(text string) map[string]bool {
	names := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.IndexAny(line, "{ "); i > 0 {
			names[line[:i]] = true
		}
	}
	return names
}

// missing returns, sorted, the names of used (name → where) that are not
// exported and not Prometheus' own (up), each with where it is used.
func missing(used map[string][]string, exported map[string]bool) []string {
	var out []string
	for name, where := range used {
		if name != "up" && !exported[name] {
			out = append(out, fmt.Sprintf("%s (%s)", name, strings.Join(where, ", ")))
		}
	}
	sort.Strings(out)
	return out
}

// grafanaPanel is what the check reads of a dashboard's panel: a collapsed
// row holds its panels.
type grafanaPanel struct {
	Title   string
	Targets []struct{ Expr string }
	Panels  []grafanaPanel
}

// deployMetrics returns the metric names the dashboard's queries and
// variables and the alerting rules' expressions use, each with where.
func deployMetrics(t *testing.T) map[string][]string {
	t.Helper()
	used := map[string][]string{}
	add := func(where, expr string) {
		for _, name := range promMetrics(expr) {
			used[name] = append(used[name], where)
		}
	}
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels     []grafanaPanel
		Templating struct {
			List []struct{ Name, Definition string }
		}
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	var walk func([]grafanaPanel)
	walk = func(panels []grafanaPanel) {
		for _, p := range panels {
			for _, target := range p.Targets {
				add("panel "+p.Title, target.Expr)
			}
			walk(p.Panels)
		}
	}
	walk(dash.Panels)
	for _, v := range dash.Templating.List {
		add("variable "+v.Name, v.Definition)
	}
	if b, err = os.ReadFile(alertsFile); err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct{ Alert, Expr string }
		}
	}
	if err := yaml.Unmarshal(b, &rules); err != nil {
		t.Fatalf("%s: %v", alertsFile, err)
	}
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			add("alert "+r.Alert, r.Expr)
		}
	}
	if len(used) < 10 {
		t.Fatalf("only %d metrics found in the deploy files: %v", len(used), used)
	}
	return used
}

func TestPromMetrics(t *testing.T) {
	for expr, want := range map[string]string{
		`histogram_quantile(0.99, sum by (le) (rate(chatstate_delivery_seconds_bucket{job="$job"}[$__rate_interval])))`:                           "[chatstate_delivery_seconds_bucket]",
		`max by (job) (chatstate_dead_letters) - max by (job) (chatstate_dead_letters offset 10m) > 0`:                                            "[chatstate_dead_letters]",
		`increase(chatstate_presence_sweeps_total[2m]) == 0 and on (job, instance) up == 1`:                                                       "[chatstate_presence_sweeps_total up]",
		`sum by (code) (rate(chatstate_request_errors_total{code=~"rate_limited|x"}[5m:1m])) / ignoring(code) group_left sum(x_total) > bool 1e3`: "[chatstate_request_errors_total x_total]",
		`label_values(chatstate_ready, job)`: "[chatstate_ready]",
	} {
		if got := fmt.Sprint(promMetrics(expr)); got != want {
			t.Errorf("promMetrics(%s) = %s, want %s", expr, got, want)
		}
	}
	// A name that is not exported is reported with where it is used; a
	// histogram's base name is no series, and up is Prometheus' own.
	text := "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\nchatstate_ready 1\n"
	used := map[string][]string{"chatstate_ready": {"a"}, "h_bucket": {"b"}, "h": {"c"}, "chatstate_nope_total": {"d", "e"}, "up": {"f"}}
	if got := fmt.Sprint(missing(used, exported(text))); got != "[chatstate_nope_total (d, e) h (c)]" {
		t.Fatalf("missing = %s", got)
	}
}

// TestDeployMetricsAreExported runs chatstate dev, makes it observe what
// the dashboard and the alerts chart (a join, a send and its delivery, an
// HTTP error), and checks that every metric they name is on its /metrics.
func TestDeployMetricsAreExported(t *testing.T) {
	used := deployMetrics(t)
	d := startDev(t, t.TempDir())
	alice := testenv.Dial(t, d.url, "alice")
	alice.Send(testenv.Frame{"op": "join", "room": "meter"})
	alice.Expect("snapshot", testenv.Frame{})
	alice.ExpectEvent("meter", "join", "alice")
	alice.Send(testenv.Frame{"op": "send", "room": "meter", "text": "hi", "ref": 1})
	alice.AckAndEcho(1)
	// An error counted by code: the labelled counter shows once it has one.
	resp, err := http.Get(d.url + "/api/rooms/bad%20name")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("bad room name: %d, want 400", resp.StatusCode)
	}
	// The Kafka-side gauges are read in the background: wait for them.
	testenv.WaitFor(t, 60*time.Second, func() error {
		resp, err := http.Get(d.url + "/metrics")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		if m := missing(used, exported(string(b))); len(m) > 0 {
			return fmt.Errorf("the deploy files use metrics chatstate does not export: %s", strings.Join(m, "; "))
		}
		return nil
	})
}
