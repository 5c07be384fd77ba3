package server

import (
	"context"
	"net/http"

	"github.com/chatstate/chatstate/codec"
	"github.com/chatstate/chatstate/server/httpapi"
	"github.com/chatstate/chatstate/server/web"
)

// routes builds the server's mux: /ws, the HTTP API, /metrics and the
// pages.
func (s *Server) routes() {
	m := http.NewServeMux()
	m.HandleFunc("GET /ws", s.serveWS)
	m.Handle("GET /metrics", s.metrics.Handler())
	httpapi.Register(m, httpapi.Config{
		ServerID: s.cfg.ServerID, APIKey: s.cfg.APIKey, MaxFrameBytes: s.cfg.MaxFrameBytes,
		ReadTimeout: s.cfg.ReadTimeout, WriteTimeout: s.cfg.WriteTimeout, Epoch: s.epoch,
		Rooms: s.rooms, Users: s.users, Reader: s.reader,
		Ready: s.Ready, NotReady: s.notReadyReason,
		Room: func(ctx context.Context, name string) (*codec.RoomState, error) {
			_, last := s.hub.Seen(name)
			return s.roomAt(ctx, name, last)
		},
		Peek:   s.peekRoom,
		Write:  s.write,
		Errors: s.metrics.Errors, Sends: s.metrics.Sends, Acks: s.metrics.Acks,
	})
	m.HandleFunc("GET /{$}", web.Page)
	m.HandleFunc("GET /ops", web.OpsPage)
	m.Handle("GET /static/", web.Static())
	s.mux = m
}
