package server_test

import (
	"testing"
	"time"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server"
)

// TestForgedInviteTellsNobody writes, as another producer would, the
// events of a private room that no session of the server joined, so that
// the server keeps no copy of it: alice's join (she owns the room), her
// settings making it private, an invite of bob by mallory, who may not
// invite to it, and then alice's own invite of bob. bob, connected to the
// server in no room, is told alice's invitation and not mallory's, and may
// then join.
func TestForgedInviteTellsNobody(t *testing.T) {
	t.Parallel()
	s := newStack(t, server.Config{})
	bob := s.dial("bob")
	writeVault(t, s.kcfg, "mallory", "alice")

	bob.Expect("invited", frame{"room": "vault", "by": "alice"})
	bob.Send(frame{"op": "join", "room": "vault", "ref": 1})
	bob.Expect("snapshot", frame{"ref": 1, "room": "vault", "private": true})
}

// TestInviteToldWhenTheRoomCannotBeRead: where the room's row at the
// invite cannot be read in time (here no processor folds the room and every
// read of the log is given a nanosecond), the server tells the invited user
// unchecked rather than lose the invitation, even one the rules would have
// refused: mallory's invite to alice's private room reaches bob.
func TestInviteToldWhenTheRoomCannotBeRead(t *testing.T) {
	t.Parallel()
	kcfg, dir := testenv.Kafka(t, 4), t.TempDir()
	// No processor: the stop's wait for them to fold the leaves (bounded
	// by WriteTimeout) ends at its bound.
	_, srv, _ := startServer(t, kcfg, dir, server.Config{ServerID: "s1", ReadTimeout: time.Nanosecond, WriteTimeout: 2 * time.Second})
	bob := testenv.Dial(t, srv.URL, "bob")
	writeVault(t, kcfg, "mallory")

	bob.Expect("invited", frame{"room": "vault", "by": "mallory"})
}

// writeVault writes, as another producer would, alice's join of the room
// vault (she owns it), her settings making it private, and an invite of bob
// by each of inviters in turn.
func writeVault(t *testing.T, kcfg kafka.Config, inviters ...string) {
	t.Helper()
	write := func(e codec.Event) { produce(t, kcfg, string(kcfg.Names.Events), e.Room, &e) }
	join := codec.NewEvent(codec.Join, "vault", "alice")
	join.Session, join.Server = codec.NewID(), "s0"
	write(join)
	private := true
	settings := codec.NewEvent(codec.Settings, "vault", "alice")
	settings.Private = &private
	write(settings)
	for _, by := range inviters {
		invite := codec.NewEvent(codec.Invite, "vault", by)
		invite.Target = "bob"
		write(invite)
	}
}
