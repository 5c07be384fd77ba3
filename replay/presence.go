package replay

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/chatstate/chatstate/codec"
)

// checkPresence checks that the users table has applied every presence
// record derived from an event the rooms processors had committed when
// Verify began. Those records were in the presence topic before the end
// Verify read from it then, so once the users processors have committed that
// end, the users table read afterwards must hold them. Only the records the
// snapshot of the users table lacks are checked again; Verify waits for the
// users processors a bounded time and otherwise says it could not check.
func (v *verifier) checkPresence(ctx context.Context) error {
	behind := map[userRoom]int64{}
	for _, pf := range v.f.parts {
		maps.Copy(behind, pf.behind) // a room lives in one partition: no overlap
	}
	if len(behind) == 0 {
		return nil
	}
	rows := v.userRows
	if !v.usersCaughtUp(v.usersCommitted) {
		v.o.Progress.begin("waiting for the users processors", 0)
		caught := false
		for i := 0; i < v.o.Retries && !caught; i++ {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(v.o.Wait):
			}
			q, err := v.c.committed(string(v.n.UsersGroup), string(v.n.Presence))
			if err != nil {
				return err
			}
			caught = v.usersCaughtUp(q)
		}
		if !caught {
			v.rep.Notes = append(v.rep.Notes, fmt.Sprintf(
				"the users processors did not catch up with %s within %v: whether the users table has applied every presence record was not checked",
				v.n.Presence, time.Duration(v.o.Retries)*v.o.Wait))
			return nil
		}
		changed, err := v.users.update(ctx, v.c, v.o.Progress)
		if err != nil {
			return err
		}
		rows = maps.Clone(v.userRows)
		for k := range changed {
			delete(rows, k)
			if raw := v.users.get(k); raw != nil {
				if x, err := (codec.UserCodec{}).Decode(raw); err == nil {
					rows[k] = codec.AsUser(x)
				} else if !v.bad["users/"+k] {
					v.bad["users/"+k] = true
					v.diff(Difference{Table: "users", Key: k, Field: "row", InTable: js(string(raw)), InLog: js("a row that decodes: " + err.Error())})
				}
			}
		}
	}
	reported := map[string]bool{}
	for _, d := range v.rep.Differences {
		reported[d.Table+"\x00"+d.Key+"\x00"+d.Field] = true
	}
	for k, want := range behind {
		if v.skipUserRoom(k.room) || v.bad["users/"+k.user] {
			continue
		}
		applied, has := int64(-1), "none"
		if row := rows[k.user]; row != nil && row.Rooms[k.room] != nil {
			applied = row.Rooms[k.room].Applied
			has = js(applied)
		}
		field := "rooms." + k.room + ".applied"
		if applied >= want || reported["users\x00"+k.user+"\x00"+field] {
			continue
		}
		v.diff(Difference{Table: "users", Key: k.user, Field: field, InTable: has,
			InLog: fmt.Sprintf("at least %d, derived from an event the rooms processors committed", want)})
	}
	return nil
}

// usersCaughtUp reports whether the users group has committed, on every
// partition of the presence topic, the end Verify read before.
func (v *verifier) usersCaughtUp(committed []int64) bool {
	for p, end := range v.presEnd {
		if end > v.presStart[p] && committed[p] < end {
			return false
		}
	}
	return true
}
