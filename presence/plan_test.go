package presence

import (
	"reflect"
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
)

var t0 = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func held(sessions ...string) []codec.Held {
	out := []codec.Held{}
	for _, s := range sessions {
		out = append(out, codec.Held{Room: "lobby", User: "u-" + s, Session: s})
	}
	return out
}

// inst is an instance row that last beat ago before t0.
func inst(id string, ago time.Duration, h []codec.Held) Instance {
	return Instance{ID: id, Server: ServerOf(Instance{ID: id}), LastSign: t0.Add(-ago), Row: true, Held: h}
}

func retiredInst(id string, ago time.Duration, h []codec.Held) Instance {
	i := inst(id, ago, h)
	i.Retired = true
	return i
}

func orphanInst(id string, h []codec.Held) Instance {
	return Instance{ID: id, Held: h}
}

func TestMake(t *testing.T) {
	ttl := 30 * time.Second
	self := inst("a/self", 0, nil)
	tests := []struct {
		name    string
		settled bool
		insts   []Instance
		orphans map[string]time.Time
		want    []Action
		need    bool
		sweeper bool
	}{
		{name: "a silent instance on an unsettled table: nothing, settle first",
			insts: []Instance{self, inst("b/1", 2*ttl, held("s1"))}, need: true, sweeper: true},
		{name: "a silent instance on a settled table: expire, then retire", settled: true,
			insts:   []Instance{self, inst("b/1", 2*ttl, held("s1", "s2"))},
			want:    []Action{{Instance: "b/1", Server: "b", Expire: held("s1", "s2"), Then: Retire, Why: "silent for longer than the session TTL"}},
			sweeper: true},
		{name: "a live instance: nothing", settled: true,
			insts: []Instance{self, inst("b/1", ttl/2, held("s1"))}, sweeper: true},
		{name: "not the sweeper: a silent instance is left to the sweeper", settled: true,
			insts: []Instance{inst("a/self2", 0, nil), inst("0/live", 0, nil), inst("b/1", 2*ttl, held("s1"))}},
		{name: "an earlier instance of this server id, live: expire and retire on a settled table", settled: true,
			insts:   []Instance{self, inst("a/old", 0, held("s1"))},
			want:    []Action{{Instance: "a/old", Server: "a", Expire: held("s1"), Then: Retire, Why: "an earlier instance of this server"}},
			sweeper: true},
		{name: "an earlier instance, unsettled: settle first, even when not the sweeper",
			insts: []Instance{inst("a/self2", 0, nil), inst("0/live", 0, nil), inst("a/old", 0, held("s1"))}, need: true},
		{name: "a cleanly stopped earlier instance whose leaves are folded: forget, no expire", settled: true,
			insts:   []Instance{self, retiredInst("a/old", 0, held())},
			want:    []Action{{Instance: "a/old", Server: "a", Expire: held(), Then: Forget, Why: "retired and holds nothing"}},
			sweeper: true},
		{name: "a retired instance within the TTL that still holds sessions: wait for its leaves", settled: true,
			insts: []Instance{self, retiredInst("b/1", ttl/2, held("s1"))}, sweeper: true},
		{name: "a retired silent instance that holds sessions: expire, no second retire", settled: true,
			insts:   []Instance{self, retiredInst("b/1", 2*ttl, held("s1"))},
			want:    []Action{{Instance: "b/1", Server: "b", Expire: held("s1"), Then: Nothing, Why: "silent for longer than the session TTL"}},
			sweeper: true},
		{name: "a retired instance that holds nothing is forgotten on any table",
			insts:   []Instance{self, retiredInst("b/1", 2*ttl, held())},
			want:    []Action{{Instance: "b/1", Server: "b", Expire: held(), Then: Forget, Why: "retired and holds nothing"}},
			sweeper: true},
		{name: "an orphan first seen: remembered, nothing done", settled: true,
			insts: []Instance{self, orphanInst("c/1", held("s1"))}, sweeper: true},
		{name: "an orphan seen for longer than the TTL: expired, nothing else", settled: true,
			insts:   []Instance{self, orphanInst("c/1", held("s1"))},
			orphans: map[string]time.Time{"c/1": t0.Add(-2 * ttl)},
			want:    []Action{{Instance: "c/1", Server: "c", Expire: held("s1"), Then: Nothing, Why: "its sessions have no instance row"}},
			sweeper: true},
		{name: "a candidate whose sessions were not read: left alone", settled: true,
			insts: []Instance{self, inst("b/1", 2*ttl, nil)}, sweeper: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := Input{Self: tt.insts[0].ID, ServerID: "a", Now: t0, TTL: ttl, Settled: tt.settled, Instances: tt.insts, Orphans: tt.orphans}
			p := Make(in)
			if !reflect.DeepEqual(p.Actions, tt.want) {
				t.Errorf("actions\n got %+v\nwant %+v", p.Actions, tt.want)
			}
			if p.NeedSettled != tt.need || p.Sweeper != tt.sweeper {
				t.Errorf("need settled %v, sweeper %v; want %v, %v", p.NeedSettled, p.Sweeper, tt.need, tt.sweeper)
			}
		})
	}
}

// TestOrphanBookkeeping: an orphan keeps the time it was first seen across
// plans; one that got its row back, and every orphan of a non-sweeper, is
// dropped.
func TestOrphanBookkeeping(t *testing.T) {
	ttl := 30 * time.Second
	in := Input{Self: "a/self", ServerID: "a", Now: t0, TTL: ttl, Instances: []Instance{inst("a/self", 0, nil), orphanInst("c/1", held("s1"))}}
	p := Make(in)
	if want := map[string]time.Time{"c/1": t0}; !reflect.DeepEqual(p.Orphans, want) {
		t.Fatalf("orphans %v, want %v", p.Orphans, want)
	}
	in.Now, in.Orphans = t0.Add(ttl/2), p.Orphans
	if p = Make(in); !reflect.DeepEqual(p.Orphans, map[string]time.Time{"c/1": t0}) {
		t.Fatalf("orphans %v, want the first sighting kept", p.Orphans)
	}
	in.Instances[1] = inst("c/1", 0, nil)
	in.Orphans = p.Orphans
	if p = Make(in); len(p.Orphans) != 0 {
		t.Fatalf("orphans %v, want none once the row is back", p.Orphans)
	}
	in.Instances = []Instance{inst("a/self", 0, nil), inst("0/live", 0, nil), orphanInst("c/1", held("s1"))}
	in.Orphans = map[string]time.Time{"c/1": t0}
	if p = Make(in); len(p.Orphans) != 0 || p.Sweeper {
		t.Fatalf("orphans %v sweeper %v, want none for a non-sweeper", p.Orphans, p.Sweeper)
	}
}

// TestCandidates names exactly the instances whose sessions a plan needs.
func TestCandidates(t *testing.T) {
	ttl := 30 * time.Second
	in := Input{Self: "a/self", ServerID: "a", Now: t0, TTL: ttl, Instances: []Instance{
		inst("a/self", 0, nil), inst("a/old", 0, nil), inst("b/live", 0, nil),
		inst("b/dead", 2*ttl, nil), retiredInst("b/gone", 0, nil), orphanInst("c/1", nil),
	}}
	if got, want := Candidates(in), []string{"a/old", "b/dead", "b/gone", "c/1"}; !reflect.DeepEqual(got, want) {
		t.Fatalf("candidates %v, want %v", got, want)
	}
	in.Self = "z/self"
	in.ServerID = "z"
	in.Instances[0] = inst("z/self", 0, nil)
	if got, want := Candidates(in), []string(nil); !reflect.DeepEqual(got, want) {
		t.Fatalf("candidates of a non-sweeper %v, want %v", got, want)
	}
}
