package server_test

import (
	"testing"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/testenv"
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
	p := testenv.Producer(t, s.kcfg.Brokers, s.kcfg.Sarama("test-forger"))
	write := func(e codec.Event) {
		t.Helper()
		b, err := codec.EventCodec{}.Encode(&e)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := p.SendMessage(&sarama.ProducerMessage{Topic: string(s.kcfg.Names.Events),
			Key: sarama.StringEncoder(e.Room), Value: sarama.ByteEncoder(b)}); err != nil {
			t.Fatal(err)
		}
	}
	join := codec.NewEvent(codec.Join, "vault", "alice")
	join.Session, join.Server = codec.NewID(), "s1"
	write(join)
	private := true
	settings := codec.NewEvent(codec.Settings, "vault", "alice")
	settings.Private = &private
	write(settings)
	forged := codec.NewEvent(codec.Invite, "vault", "mallory")
	forged.Target = "bob"
	write(forged)
	invite := codec.NewEvent(codec.Invite, "vault", "alice")
	invite.Target = "bob"
	write(invite)

	bob.Expect("invited", frame{"room": "vault", "by": "alice"})
	bob.Send(frame{"op": "join", "room": "vault", "ref": 1})
	bob.Expect("snapshot", frame{"ref": 1, "room": "vault", "private": true})
}
