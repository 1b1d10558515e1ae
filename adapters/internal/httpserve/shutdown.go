// Package httpserve holds what the embedded peers' HTTP servers share.
package httpserve

import (
	"net"
	"net/http"
	"sync"
)

// unusedConns tracks connections that have not sent a request yet, so that
// Shutdown can close them. http.Server.Shutdown otherwise waits up to 5 s for
// such a connection, and Go's own client transport routinely leaves one
// behind (a spare dial it never used), which would stall every Close.
type unusedConns struct {
	mu    sync.Mutex
	conns map[net.Conn]struct{}
}

// CloseUnusedOnShutdown makes srv.Shutdown close connections that never
// sent a request instead of waiting for them.
func CloseUnusedOnShutdown(srv *http.Server) {
	u := &unusedConns{conns: make(map[net.Conn]struct{})}
	srv.ConnState = u.track
	srv.RegisterOnShutdown(u.closeAll) // runs after the listeners are closed
}

func (u *unusedConns) track(c net.Conn, state http.ConnState) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if state == http.StateNew {
		u.conns[c] = struct{}{}
	} else {
		delete(u.conns, c)
	}
}

func (u *unusedConns) closeAll() {
	u.mu.Lock()
	defer u.mu.Unlock()
	for c := range u.conns {
		_ = c.Close()
	}
}
