package httpserver

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
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
	mcp       *server.StreamableHTTPServer
	keys      keyPolicy
	stateless bool
	bound     *boundSessions
	streams   *streams
	calls     atomic.Int64 // requests in flight other than listening streams
	cancels   *sessionCancellations
	logger    *slog.Logger
}

func newStreamableTransport(srv *server.MCPServer, keys keyPolicy, stateless bool, st *streams, logger *slog.Logger) *streamableTransport {
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
	}
	if stateless {
		opts = append(opts, server.WithStateLess(true))
	} else {
		// Validate session ids: only those this server issued and that
		// were not deleted.
		opts = append(opts, server.WithStateful(true))
	}
	return &streamableTransport{
		mcp:       server.NewStreamableHTTPServer(srv, opts...),
		keys:      keys,
		stateless: stateless,
		bound:     newBoundSessions(),
		streams:   st,
		cancels:   newSessionCancellations(),
		logger:    logger,
	}
}

func (t *streamableTransport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != MCPPath {
		writeError(w, http.StatusNotFound, "not found: the MCP endpoint is "+MCPPath)
		return
	}
	var body []byte
	if r.Method == http.MethodPost {
		body, _ = io.ReadAll(r.Body) // in memory already (limitBody)
		r.Body = io.NopCloser(bytes.NewReader(body))
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
	// subscriptions/listen POST) end when the server drains, once no call
	// is in flight: a client may give up its session, and the calls in it,
	// when its listening stream breaks.
	if r.Method == http.MethodGet || (r.Method == http.MethodPost && r.Header.Get(mcp.HeaderMethod) == string(mcp.MethodSubscriptionsListen)) {
		ctx, done := t.streams.add(r.Context(), t.calls.Load)
		defer done()
		r = r.WithContext(ctx)
	} else {
		t.calls.Add(1)
		defer t.calls.Add(-1)
	}
	if t.stateless {
		t.mcp.ServeHTTP(w, r)
		return
	}

	key, _, _ := t.keys.resolve(r)
	fp := fingerprintOf(key)
	id := r.Header.Get(server.HeaderKeySessionID)
	if id == "" && needsSession(r, msg) {
		missingSession(w)
		return
	}
	if id != "" && !t.bound.use(id, fp) {
		unknownSession(w)
		return
	}
	if id != "" && !sessionless {
		// The session's cancellations reach its calls' replies.
		t.cancels.cancel(id, msg.cancelled)
		if len(msg.requests) > 0 {
			c, done := t.cancels.begin(id, msg.requests)
			defer done()
			w = &cancelWriter{ResponseWriter: w, cancels: c, ids: msg.requests, logger: t.logger}
		}
	}
	sw := &statusWriter{ResponseWriter: w, onHeader: func(status int, h http.Header) {
		switch {
		case id == "" && status == http.StatusOK:
			if issued := h.Get(server.HeaderKeySessionID); issued != "" {
				t.bound.bind(issued, fp) // the response to initialize
			}
		case id != "" && r.Method == http.MethodDelete && status == http.StatusOK:
			t.bound.unbind(id)
		}
	}}
	t.mcp.ServeHTTP(sw, r)
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
