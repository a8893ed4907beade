package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// upstream is the loopback test API: GET /agent/integrations responds with
// {"data":[...]} after a configurable delay. It counts every new TCP
// connection (http.Server.ConnState StateNew) and, on its first request,
// attributes each connection by User-Agent to the server under test
// (alfe-mcp/…), the bare-library baseline (alfe-baseline/…), the floor server
// (alfe-floor/…) or the bench's own client.
type upstream struct {
	srv      *http.Server
	ln       net.Listener
	url      string
	body     []byte
	delay    atomic.Int64 // nanoseconds
	newConns atomic.Int64 // every StateNew
	srvConns atomic.Int64 // connections whose first request came from alfe-mcp
	blConns  atomic.Int64 // connections whose first request came from the baseline server
	flrConns atomic.Int64 // connections whose first request came from the floor server
	othConns atomic.Int64 // connections whose first request came from anyone else
	requests atomic.Int64
}

type connKey struct{}

type connInfo struct{ seen atomic.Bool }

func startUpstream(items int) (*upstream, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	list := make([]map[string]any, items)
	for i := range list {
		list[i] = map[string]any{
			"integrationId": fmt.Sprintf("integration-%d", i),
			"status":        "active",
			"version":       "1.0." + fmt.Sprint(i),
			"config":        map[string]any{"defaultBranch": "main", "notify": true, "limit": 10 + i},
			"installedAt":   "2026-01-02T03:04:05Z",
		}
	}
	body, _ := json.Marshal(map[string]any{"data": list})
	u := &upstream{ln: ln, url: "http://" + ln.Addr().String(), body: body}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /agent/integrations", u.integrations)
	u.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       5 * time.Minute,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				u.newConns.Add(1)
			}
		},
		ConnContext: func(ctx context.Context, _ net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, &connInfo{})
		},
	}
	go u.srv.Serve(ln) //nolint:errcheck // ends with Close
	return u, nil
}

func (u *upstream) integrations(w http.ResponseWriter, r *http.Request) {
	u.requests.Add(1)
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok && ci.seen.CompareAndSwap(false, true) {
		switch ua := r.UserAgent(); {
		case strings.HasPrefix(ua, "alfe-mcp"):
			u.srvConns.Add(1)
		case strings.HasPrefix(ua, "alfe-baseline"):
			u.blConns.Add(1)
		case strings.HasPrefix(ua, "alfe-floor"):
			u.flrConns.Add(1)
		default:
			u.othConns.Add(1)
		}
	}
	if d := time.Duration(u.delay.Load()); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	h := w.Header()
	h["Content-Type"] = []string{"application/json"}
	h["Content-Length"] = []string{fmt.Sprint(len(u.body))}
	w.Write(u.body) //nolint:errcheck
}

func (u *upstream) setDelay(d time.Duration) { u.delay.Store(int64(d)) }

func (u *upstream) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	u.srv.Shutdown(ctx) //nolint:errcheck
	u.srv.Close()       //nolint:errcheck
}
