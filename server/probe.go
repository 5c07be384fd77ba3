package server

import (
	"context"
	"fmt"
	"net"
	"time"
)

// probeKafka checks every second whether any bootstrap broker accepts a TCP
// connection, and records the answer for readiness. A view notices an
// outage only when it next reads; the probe names the cause at once.
func (s *Server) probeKafka(ctx context.Context) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		var last error
		for _, addr := range s.kcfg.Brokers {
			c, err := net.DialTimeout("tcp", addr, time.Second)
			if err == nil {
				c.Close()
				last = nil
				break
			}
			last = err
		}
		was := s.kafkaDown.Load().(string)
		if last != nil {
			down := fmt.Sprintf("kafka not reachable: %v", last)
			s.kafkaDown.Store(down)
			if was == "" {
				s.cfg.Logger.Warn("kafka lost", "brokers", s.kcfg.Brokers, "err", last)
			}
		} else {
			s.kafkaDown.Store("")
			if was != "" {
				s.cfg.Logger.Info("kafka back", "brokers", s.kcfg.Brokers)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
