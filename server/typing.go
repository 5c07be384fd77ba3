package server

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/IBM/sarama"
	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/kafka"
	"github.com/chatstate/chatstate/server/protocol"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Typing notices are relayed through a topic of their own (kafka.Names.
// Typing), not chat.events: they are not user actions that change state,
// so they must not be folded, replayed on resume, counted or kept. Each
// server writes its members' notices there and reads every partition from
// the end it found at start, so that a member on any server is told.

// TypingEvery is the least time between two typing notices relayed for one
// user in one room by one server; those in between are dropped.
const TypingEvery = 2 * time.Second

// typingGate remembers when each user last had a typing notice relayed in
// each room. Safe for concurrent use.
type typingGate struct {
	mu   sync.Mutex
	last map[[2]string]time.Time
}

// allow reports whether a notice of user in room may be relayed now, and
// if so counts it.
func (g *typingGate) allow(user, room string, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.last == nil {
		g.last = map[[2]string]time.Time{}
	}
	k := [2]string{user, room}
	if t, ok := g.last[k]; ok && now.Sub(t) < TypingEvery {
		return false
	}
	if len(g.last) > 10000 { // forget what no longer throttles anything
		for k, t := range g.last {
			if now.Sub(t) >= TypingEvery {
				delete(g.last, k)
			}
		}
	}
	g.last[k] = now
	return true
}

// typing relays that the user is typing in a joined room, at most once per
// TypingEvery; it is acked, when it carries a ref, at the room's last
// cursor known here, since it writes no event. c.mu held.
func (c *conn) typing(f *protocol.ClientFrame) error {
	if c.joined(f.Room) == nil {
		return protocol.Errorf(protocol.CodeNotMember, "join room %s before typing in it", f.Room)
	}
	if c.srv.typingGate.allow(c.User(), f.Room, time.Now()) {
		b, err := codec.EncodeTyping(&codec.Typing{V: codec.Version, Room: f.Room, User: c.User(), TS: codec.FormatTime(time.Now())})
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
		defer cancel()
		msg := &kgo.Record{Topic: string(c.srv.kcfg.Names.Typing), Key: []byte(f.Room), Value: b}
		if err := c.srv.prod.send(ctx, msg); err != nil {
			return protocol.Errorf(protocol.CodeUnavailable, "typing not relayed: %v", err)
		}
	}
	if len(f.Ref) > 0 {
		c.EnqueueAlways(protocol.MustJSON(protocol.AckFrame{Op: "ack", Ref: f.Ref, Room: f.Room, Cursor: c.srv.lastCursor(f.Room)}))
	}
	return nil
}

// typingLoop reads the typing topic from its end until ctx is done and
// hands each notice to the room's members on this server but its user.
func (s *Server) typingLoop(ctx context.Context) error {
	topic := string(s.kcfg.Names.Typing)
	ends, err := kafka.EndOffsets(s.typingClient, topic, s.kcfg.Partitions)
	if err != nil {
		s.cfg.Logger.Warn("typing notices are not relayed to this server", "err", err)
		return nil
	}
	r, err := kafka.NewReader(s.typingClient)
	if err != nil {
		return err
	}
	defer r.Close()
	var wg sync.WaitGroup
	for p, end := range ends {
		wg.Go(func() {
			_, err := r.Read(ctx, topic, int32(p), end, kafka.NoEnd, kafka.Handler{
				Record: func(m *sarama.ConsumerMessage) bool {
					if t, err := codec.DecodeTyping(m.Value); err == nil {
						s.hub.Relay(t.Room, t.User, protocol.MustJSON(protocol.TypingFrame{Op: "typing", Room: t.Room, User: t.User}))
					}
					return true
				},
				Skipped: func(from, to int64) {},
				Error:   func(err error) bool { return ctx.Err() == nil },
			})
			if err != nil && !errors.Is(err, context.Canceled) {
				s.cfg.Logger.Warn("typing notices stopped", "partition", p, "err", err)
			}
		})
	}
	wg.Wait()
	return nil
}
