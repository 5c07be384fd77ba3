package main

import (
	"fmt"
	"net"
	"net/http"
	"net/http/pprof"
)

// startDebug serves Go's pprof handlers on addr, for profiling a running
// process; nothing when addr is empty. The listener lives as long as the
// process. The command line is not served (/debug/pprof/cmdline answers
// 404): it holds the secrets given as flags. The profiles still show the
// program's insides, so the address must not be reachable from outside.
func startDebug(addr string) error {
	if addr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "not served: the command line holds secrets", http.StatusNotFound)
	})
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	go func() { _ = http.Serve(ln, mux) }()
	logger.Info("pprof listening", "addr", ln.Addr().String())
	return nil
}
