package main

import (
	"testing"
)

func TestStormRoomsSpread(t *testing.T) {
	for _, tc := range []struct {
		name              string
		clients, k, rooms int
	}{
		{"bench", 5000, 3, 1500},
		{"small", 20, 3, 6},
		{"k equals rooms", 10, 3, 3},
		{"uneven", 101, 4, 37},
	} {
		t.Run(tc.name, func(t *testing.T) {
			members := make([]int, tc.rooms)
			for i := range tc.clients {
				seen := map[int]bool{}
				for j := range tc.k {
					r := stormRoom(i, j, tc.k, tc.rooms)
					if r < 0 || r >= tc.rooms || seen[r] {
						t.Fatalf("client %d: room %d (j %d) out of range or twice", i, r, j)
					}
					seen[r] = true
					members[r]++
				}
			}
			lo, hi := members[0], members[0]
			for _, m := range members {
				lo, hi = min(lo, m), max(hi, m)
			}
			if hi-lo > tc.k {
				t.Fatalf("members per room from %d to %d", lo, hi)
			}
		})
	}
}

// A client accounts for each message of its rooms once: a second receipt
// is a duplicate, a message of another room is foreign, and what never
// came of the acknowledged messages is missing.
func TestStormAccounting(t *testing.T) {
	led := newStormLedger(3, 2) // ids 0..5, room id%3
	for id := range led.acked {
		led.acked[id] = id != 4 // message 4 (room 1) was never acknowledged
	}
	c := &stormClient{rooms: []int{0, 1}, seen: make([]uint64, 1)}
	for _, tc := range []struct {
		j, id int
		want  bool
	}{
		{0, 0, true}, {0, 0, false}, {1, 1, true}, {0, 1, false}, {1, 2, false}, {1, 4, true}, {0, 9, false},
	} {
		if got := c.receive(led, tc.j, tc.id); got != tc.want {
			t.Fatalf("receive(room index %d, id %d) = %v, want %v", tc.j, tc.id, got, tc.want)
		}
	}
	if c.dups != 1 || c.foreign != 3 {
		t.Fatalf("dups %d, foreign %d; want 1 and 3", c.dups, c.foreign)
	}
	// Of rooms 0 and 1, ids 0, 1, 3 are acknowledged (4 was not): 3 is missing.
	if got := c.missing(led); got != 1 {
		t.Fatalf("missing %d, want 1", got)
	}
}

func TestStormVerdict(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    stormReport
		want string
	}{
		{"clean", stormReport{Published: 3, Acked: 3}, "ok: every room resumed, no delivery lost, duplicated or out of order"},
		{"lost and duplicated", stormReport{Published: 3, Acked: 3, Lost: 2, Duplicated: 1}, "2 deliveries lost, 1 deliveries duplicated"},
		{"failed resumes", stormReport{Published: 3, Acked: 2, StormFailed: 1, StormNotResumed: 4, StormStale: 5},
			"1 clients did not reconnect and resume, 1 messages not acknowledged, 4 resumes not honoured (resumed false), 5 resumed events at or below the cursor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.r.verdict()
			if tc.r.Verdict != tc.want || tc.r.OK != (tc.name == "clean") {
				t.Fatalf("verdict %q (ok %v), want %q", tc.r.Verdict, tc.r.OK, tc.want)
			}
		})
	}
}

func TestStormFrames(t *testing.T) {
	frame := []byte(`{"op":"event","room":"bench-x-r5","cursor":12,"event":{"room":"bench-x-r5","text":"cb|x|7|1|xx"}}`)
	if got := string(eventRoom(frame)); got != "bench-x-r5" {
		t.Fatalf("eventRoom = %q", got)
	}
	for _, tc := range []struct {
		text string
		id   int
		ok   bool
	}{
		{"cb|x|7|123|xxx", 7, true}, {"cb|y|7|123|xxx", 0, false}, {"cb|x|7", 0, false}, {"hello", 0, false}, {"cb|x||1", 0, false},
	} {
		if id, ok := benchID(tc.text, payloadHeader("x")); id != tc.id || ok != tc.ok {
			t.Fatalf("benchID(%q) = %d, %v; want %d, %v", tc.text, id, ok, tc.id, tc.ok)
		}
	}
}
