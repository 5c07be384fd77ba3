package presence

import (
	"sort"
	"strings"
	"time"
)

// kind is an instance's place in a plan.
type kind int

const (
	self     kind = iota
	live          // beat within the TTL, not retired
	previous      // an earlier instance of this server id
	dead          // silent for longer than the TTL
	retired       // said goodbye, or was retired, within the TTL
	orphan        // bucket rows but no instance row
)

func classify(in Input, inst Instance) kind {
	switch {
	case inst.ID == in.Self:
		return self
	case !inst.Row:
		return orphan
	case ServerOf(inst) == in.ServerID:
		return previous
	case inst.LastSign.Before(in.Now.Add(-in.TTL)):
		return dead
	case inst.Retired:
		return retired
	}
	return live
}

// ServerOf returns the server id of an instance: the one it beat with, or,
// for an instance that never beat, its id up to the last '/'.
func ServerOf(inst Instance) string {
	if inst.Server != "" {
		return inst.Server
	}
	if i := strings.LastIndexByte(inst.ID, '/'); i > 0 {
		return inst.ID[:i]
	}
	return inst.ID
}

// sweeper reports whether Self is the live instance with the smallest id.
func sweeper(in Input) bool {
	for _, inst := range in.Instances {
		if classify(in, inst) == live && inst.ID < in.Self {
			return false
		}
	}
	return true
}

// Candidates returns the ids of the instances whose sessions Make needs
// (Instance.Held must be filled in for them), sorted.
func Candidates(in Input) []string {
	sweeps := sweeper(in)
	var ids []string
	for _, inst := range in.Instances {
		switch classify(in, inst) {
		case previous:
			ids = append(ids, inst.ID)
		case dead, retired, orphan:
			if sweeps {
				ids = append(ids, inst.ID)
			}
		}
	}
	sort.Strings(ids)
	return ids
}

// Make returns the plan for in. Instances named by Candidates whose Held is
// nil (not read) are left alone this time.
func Make(in Input) Plan {
	p := Plan{Sweeper: sweeper(in), Orphans: map[string]time.Time{}}
	insts := append([]Instance(nil), in.Instances...)
	sort.Slice(insts, func(i, j int) bool { return insts[i].ID < insts[j].ID })
	for _, inst := range insts {
		k := classify(in, inst)
		if k == orphan && p.Sweeper {
			since, ok := in.Orphans[inst.ID]
			if !ok {
				since = in.Now
			}
			p.Orphans[inst.ID] = since
			if in.Now.Sub(since) <= in.TTL {
				continue
			}
		}
		if inst.Held == nil || k == self || k == live || (k != previous && !p.Sweeper) {
			continue
		}
		a := Action{Instance: inst.ID, Server: ServerOf(inst), Expire: inst.Held}
		switch {
		case len(inst.Held) == 0 && inst.Retired:
			// Safe on any table: the processors pass a forget over once
			// a late join has taken the row back.
			a.Then, a.Why = Forget, "retired and holds nothing"
			p.Actions = append(p.Actions, a)
			continue
		case k == retired:
			continue // it said goodbye; its leaves are on their way
		case k == orphan:
			a.Why = "its sessions have no instance row"
		case k == previous:
			a.Why = "an earlier instance of this server"
		case k == dead:
			a.Why = "silent for longer than the session TTL"
		}
		if !inst.Retired {
			a.Then = Retire
		}
		if k == orphan {
			a.Then = Nothing
			if len(a.Expire) == 0 {
				continue
			}
		}
		if !in.Settled {
			p.NeedSettled = true
			continue
		}
		p.Actions = append(p.Actions, a)
	}
	return p
}
