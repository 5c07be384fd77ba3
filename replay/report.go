package replay

import (
	"sort"
	"sync/atomic"
	"time"
)

// Options configure Verify.
type Options struct {
	// Progress, if not nil, is kept up to date while Verify runs.
	Progress *Progress
	// Wait is the pause between checks of whether the users processors have
	// caught up, and Retries how many checks are made. Zero values: 250 ms
	// and 40.
	Wait    time.Duration
	Retries int
}

// Progress tells how far Verify has come; safe to read while it runs.
type Progress struct {
	phase atomic.Value // string
	// Done and Total count the records of the current phase.
	Done, Total atomic.Int64
}

// Phase names what Verify is doing.
func (p *Progress) Phase() string {
	s, _ := p.phase.Load().(string)
	return s
}

func (p *Progress) begin(phase string, total int64) {
	p.Done.Store(0)
	p.Total.Store(total)
	p.phase.Store(phase)
}

// Report is the outcome of Verify.
type Report struct {
	// Records is the number of records of the events topic read.
	Records int64 `json:"records"`
	// Rooms and Users are the numbers of table rows compared.
	Rooms int `json:"rooms"`
	Users int `json:"users"`
	// Differences lists every difference, sorted by table, key and field.
	Differences []Difference `json:"differences"`
	// Unverifiable are the rooms whose early events retention deleted, and
	// PartialUsers the users compared without those rooms; both sorted.
	Unverifiable []string `json:"unverifiable"`
	PartialUsers []string `json:"partial_users"`
	// Truncated maps each partition of the events topic that no longer
	// starts at offset 0 to its first retained offset.
	Truncated map[int32]int64 `json:"truncated"`
	// Unprocessed counts the events the rooms processors had not committed
	// when Verify began; rooms are compared at the cursor of their rows.
	Unprocessed int64 `json:"unprocessed"`
	// Notes say what could not be checked, in words.
	Notes []string `json:"notes"`
}

// OK reports whether the tables agree with the log.
func (r *Report) OK() bool { return len(r.Differences) == 0 }

// finish fills in the summary fields and sorts the differences.
func (v *verifier) finish() {
	r := v.rep
	r.Unverifiable = sortedKeys(v.unverifiable)
	for p, s := range v.f.start {
		if s > 0 {
			r.Truncated[int32(p)] = s
		}
		r.Unprocessed += v.f.end[p] - max(v.committed[p], s)
	}
	for _, pf := range v.f.parts {
		r.Records += pf.records
	}
	if r.Differences == nil {
		r.Differences = []Difference{}
	}
	if r.Notes == nil {
		r.Notes = []string{}
	}
	sort.Slice(r.Differences, func(i, j int) bool {
		a, b := r.Differences[i], r.Differences[j]
		if a.Table != b.Table {
			return a.Table < b.Table
		}
		if a.Key != b.Key {
			return a.Key < b.Key
		}
		return a.Field < b.Field
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
