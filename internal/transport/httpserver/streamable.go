package httpserver

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// MCPPath is the endpoint of the streamable HTTP transport.
const MCPPath = "/mcp"

// streamableTransport serves the streamable HTTP transport with mcp-go's
// StreamableHTTPServer. Every POST carries its own key to the tool handlers
// (WithHTTPContextFunc runs on each POST), in both protocol eras: a legacy
// session does not remember a key, and a modern (2026-07-28) request has no
// session at all. Stateful sessions are bound to the key that opened them.
type streamableTransport struct {
	mcp         *server.StreamableHTTPServer
	keys        keyPolicy
	stateless   bool
	sessions    *sessionTable // nil when stateless
	h           *Handler
	maxInflight int
	calls       atomic.Int64 // requests in flight other than listening streams
	cancels     *sessionCancellations
	logger      *slog.Logger
	// deliveries are the transport.Deliveries of the live legacy sessions,
	// by id: a notification of a session's call may go out on the POST of
	// the call or on the session's GET stream.
	deliveries sync.Map
}

func newStreamableTransport(srv *server.MCPServer, keys keyPolicy, stateless bool, h *Handler, limits Limits, logger *slog.Logger) *streamableTransport {
	t := &streamableTransport{keys: keys, stateless: stateless, h: h, maxInflight: limits.MaxInflightPerSession,
		cancels: newSessionCancellations(), logger: logger}
	// A request from the server reaches a legacy client on the stream of
	// its POST, and the client's response, a POST of its own, comes back
	// to the session waiting for it only through a session id: not when
	// stateless (see transport.Capabilities).
	can := transport.Capabilities{ServerRequests: !stateless, InputRequiredResults: true}
	opts := []server.StreamableHTTPOption{
		server.WithHTTPContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			return transport.WithCapabilities(keys.contextFunc(ctx, r), can)
		}),
		server.WithStreamableHTTPLogger(logger),
		server.WithEndpointPath(MCPPath),
		// A ping on every idle listening stream (see Limits).
		server.WithHeartbeatInterval(limits.KeepAliveInterval),
	}
	if stateless {
		opts = append(opts, server.WithStateLess(true))
	} else {
		// Session ids are the table's: only those of live sessions are
		// valid, and a session idle for SessionIdleTimeout is swept by
		// mcp-go, which frees its state and unregisters it; the table
		// forgets it from the unregister hook.
		t.sessions = newSessionTable(limits.MaxSessions, limits.MaxSessionsPerKey)
		t.sessions.opened = func(string) { h.metrics.SessionOpened(Streamable.String()) }
		t.sessions.ended = func(string) { h.metrics.SessionClosed(Streamable.String()) }
		onSessionEnd(srv, t.sessions.end)
		onSessionEnd(srv, func(id string) { t.deliveries.Delete(id) })
		opts = append(opts,
			server.WithSessionIdManagerResolver(t.sessions),
			server.WithSessionIdleTTL(limits.SessionIdleTimeout))
		h.metrics.SetLimit(capMaxSessions, limits.MaxSessions)
		h.metrics.SetLimit(capMaxSessionsPerKey, limits.MaxSessionsPerKey)
	}
	t.mcp = server.NewStreamableHTTPServer(srv, opts...)
	return t
}

// close stops mcp-go's session sweeper and ends the sessions still live.
func (t *streamableTransport) close() {
	_ = t.mcp.Shutdown(context.Background()) // serves no listener of its own: returns at once
}

func (t *streamableTransport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != MCPPath {
		writeError(w, http.StatusNotFound, "not found: the MCP endpoint is "+MCPPath)
		return
	}
	key, _, _ := t.keys.resolve(r)
	fp := fingerprintOf(key)
	var body []byte
	if r.Method == http.MethodPost {
		body = bodyBytes(r) // in memory already (limitBody)
	}
	msg := readPosted(body)
	sessionless := t.stateless || modernRequest(r, msg)
	if sessionless && len(msg.cancelled) > 0 && len(msg.requests) == 0 {
		// Whose request it names cannot be told (see cancel.go).
		t.logger.Debug("streamable HTTP: ignored a notifications/cancelled without a session; close the request to cancel it")
		w.WriteHeader(http.StatusAccepted)
		return
	}
	// Streams that only listen (the legacy GET stream, a modern
	// subscriptions/listen POST) count against the key's streams, and end
	// when the server drains, once no call is in flight: a client may give
	// up its session, and the calls in it, when its listening stream
	// breaks.
	if kind := listeningKind(r); kind != "" {
		ctx, done, refused := t.h.streams.add(r.Context(), fp, kind, t.calls.Load)
		if refused != nil {
			t.h.refuse(w, requestID(body), *refused)
			return
		}
		defer done()
		r = r.WithContext(ctx)
	} else {
		t.calls.Add(1)
		defer t.calls.Add(-1)
	}
	if d := t.deliveriesOf(r, msg, fp); d != nil {
		w = &deliveryWriter{ResponseWriter: w, d: d}
		ctx, written := transport.WithAfterResponse(transport.WithDeliveries(r.Context(), d))
		defer written() // mcp-go has written the response when ServeHTTP returns
		r = r.WithContext(ctx)
	}
	if t.stateless {
		t.mcp.ServeHTTP(w, r)
		return
	}

	id := r.Header.Get(server.HeaderKeySessionID)
	switch {
	case id != "":
		if !t.sessions.use(id, fp) {
			unknownSession(w)
			return
		}
		if r.Method == http.MethodPost && len(msg.requests) > 0 {
			done, ok := t.sessions.startCall(id, t.maxInflight)
			if !ok {
				t.h.refuse(w, requestID(body), tooManyInflight(t.maxInflight))
				return
			}
			defer done()
		}
		if !sessionless {
			// The session's cancellations reach its calls' replies.
			t.cancels.cancel(id, msg.cancelled)
			if len(msg.requests) > 0 {
				c, done := t.cancels.begin(id, msg.requests)
				defer done()
				w = &cancelWriter{ResponseWriter: w, cancels: c, ids: msg.requests, logger: t.logger}
			}
		}
	case needsSession(r, msg):
		missingSession(w)
		return
	case r.Method == http.MethodPost && msg.method == string(mcp.MethodInitialize):
		// A new session: refused while draining or past a cap; else its
		// slot is reserved until mcp-go names it (sessionTable).
		if t.h.draining.Load() {
			t.h.refuse(w, requestID(body), draining)
			return
		}
		res, refused := t.sessions.reserve(fp)
		if refused != nil {
			t.h.refuse(w, requestID(body), *refused)
			return
		}
		defer res.cancel() // gives the slot back unless the session was named
		r = r.WithContext(context.WithValue(r.Context(), reservationKey{}, res))
	}
	t.mcp.ServeHTTP(w, r)
}

// deliveriesOf returns the transport.Deliveries whose writes r's reply
// reports (r is of the key whose fingerprint is key), or nil: a tool call may wait until a notification it sent is
// written before it returns, since mcp-go may drop one still in flight
// when the response goes out. A 2026-07-28 or stateless call's
// notifications go out on its own POST; a legacy session's on the POST of
// the call or on the session's GET stream, which share the session's.
func (t *streamableTransport) deliveriesOf(r *http.Request, msg posted, key fingerprint) *transport.Deliveries {
	call := r.Method == http.MethodPost && msg.method == string(mcp.MethodToolsCall)
	id := r.Header.Get(server.HeaderKeySessionID)
	switch {
	case t.stateless || id == "" || modernRequest(r, msg):
		if call {
			return &transport.Deliveries{}
		}
		return nil
	case call || r.Method == http.MethodGet:
		if !t.sessions.use(id, key) {
			return nil // refused below
		}
		d, _ := t.deliveries.LoadOrStore(id, &transport.Deliveries{})
		return d.(*transport.Deliveries)
	}
	return nil
}

// listeningKind returns the kind of stream r opens if it only listens (a
// legacy GET, a 2026-07-28 subscriptions/listen POST), else "".
func listeningKind(r *http.Request) string {
	switch {
	case r.Method == http.MethodGet:
		return streamGet
	case r.Method == http.MethodPost && r.Header.Get(mcp.HeaderMethod) == string(mcp.MethodSubscriptionsListen):
		return streamListen
	}
	return ""
}

// needsSession reports whether r, on stateful streamable HTTP, must name its
// session: every legacy-era request but initialize does (a GET that opens a
// listening stream, a DELETE, a POST of a request, a notification or a
// response). A 2026-07-28 request never carries a session id, whatever it
// is; it says its era in the MCP-Protocol-Version header (mcp-go requires
// it) or in its _meta, and mcp-go answers it.
func needsSession(r *http.Request, msg posted) bool {
	if modernRequest(r, msg) {
		return false
	}
	return r.Method != http.MethodPost || msg.method != string(mcp.MethodInitialize)
}

// modernRequest reports whether r, whose body reads as msg, is of the
// 2026-07-28 era (or later): its MCP-Protocol-Version header or its
// _meta says so, as mcp-go reads it.
func modernRequest(r *http.Request, msg posted) bool {
	return mcp.IsModernProtocol(r.Header.Get(mcp.HeaderProtocolVersion)) || msg.modern
}
