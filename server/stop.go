package server

import (
	"context"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/internal/routines"
)

// goodbye ends every session: leaves written, then close 1001, then, once
// the owed loop has ended (owedDone), whatever is still owed is written,
// within WriteTimeout; only if all of it was, the instance is retired.
func (s *Server) goodbye(owedDone <-chan struct{}) {
	s.mu.Lock()
	s.shutdown = true
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	s.cfg.Logger.Info("closing connections for shutdown", "connections", len(conns))
	var closing routines.Group
	for _, c := range conns {
		closing.Go(func() {
			c.cleanup()
			c.Close(1001, "server shutting down")
			<-c.WriterDone()
		})
	}
	closing.Wait()
	<-owedDone
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.WriteTimeout)
	defer cancel()
	if err := poll(ctx, func() error { return s.writeOwed(ctx) }); err != nil {
		// Not retired: the sessions whose leaves are lost expire as a
		// silent instance's do, or at once when this id starts again.
		s.cfg.Logger.Warn("stopping with leaves not written", "leaves", s.owed.pending(), "err", err)
		return
	}
	// Clean goodbye: the sessions are left; nobody needs to expire them.
	if err := s.heartbeat(ctx, codec.Retire, s.instance, s.cfg.ServerID); err != nil {
		s.cfg.Logger.Warn("could not retire this instance", "err", err)
		return
	}
	// Then wait, boundedly, until the processors have folded the leaves and
	// the retire into the servers table: a process that stops its
	// processors next (dev), or a successor under the same id, then finds
	// the table true rather than sessions to expire.
	if err := s.settle(ctx, false); err != nil {
		s.cfg.Logger.Warn("stopping before the processors folded this instance's leaves", "reason", err)
	}
}

// release closes the Kafka clients and drops the lock of the state
// directory.
func (s *Server) release() {
	if s.prod != nil {
		_ = s.prod.close()
	}
	if s.readClient != nil {
		_ = s.readClient.Close()
	}
	if s.typingClient != nil {
		_ = s.typingClient.Close()
	}
	if s.viewConsumer != nil { // the views have returned from Run, or never ran
		_ = s.viewConsumer.Close()
	}
	_ = s.client.Close()
	s.lock.Release()
}
