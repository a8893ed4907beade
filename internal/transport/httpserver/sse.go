package httpserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// Paths of the legacy HTTP+SSE transport.
const (
	SSEPath     = "/sse"     // GET opens a session's event stream
	MessagePath = "/message" // POST ?sessionId=... carries a message of that session
)

// sseTransport serves the legacy HTTP+SSE transport with mcp-go's SSEServer.
// The responses to the messages posted to MessagePath travel on the
// session's stream; the tool handlers run with the key of the POST that
// carried the call (WithSSEContextFunc runs on that POST).
type sseTransport struct {
	mcp         *server.SSEServer
	keys        keyPolicy
	sessions    *sseSessions
	h           *Handler
	maxInflight int64
	logger      *slog.Logger
}

// sseSessionKey carries the session being opened to newSessionID.
type sseSessionKey struct{}

func newSSETransport(srv *server.MCPServer, keys keyPolicy, h *Handler, limits Limits, logger *slog.Logger) *sseTransport {
	t := &sseTransport{keys: keys, sessions: newSSESessions(), h: h, maxInflight: int64(limits.MaxInflightPerSession), logger: logger}
	t.mcp = server.NewSSEServer(srv,
		// A ping on every idle stream: proxies keep it open, and a client
		// that is gone or stopped reading is found out by the write
		// deadline (see deadlineWriter).
		server.WithKeepAlive(true),
		server.WithKeepAliveInterval(limits.KeepAliveInterval),
		// mcp-go's SSE sessions cannot send a request to the client, and
		// the user has never been asked over SSE, in either era: the
		// transport reports that nothing but the response reaches the
		// client (see transport.Capabilities).
		server.WithSSEContextFunc(func(ctx context.Context, r *http.Request) context.Context {
			return transport.WithCapabilities(keys.contextFunc(ctx, r), transport.Capabilities{})
		}),
		server.WithSessionIDGenerator(t.newSessionID),
		server.WithSSEEndpoint(SSEPath),
		server.WithMessageEndpoint(MessagePath),
	)
	// A session leaves the table when mcp-go unregisters it, before mcp-go
	// forgets it (see sseSession.mu); the stream's own end removes it too,
	// for a stream that never registered.
	onSessionEnd(srv, t.sessions.remove)
	return t
}

func (t *sseTransport) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == SSEPath && r.Method == http.MethodGet:
		t.stream(w, r)
	case r.URL.Path == MessagePath && r.Method == http.MethodPost:
		t.message(w, r)
	default:
		t.mcp.ServeHTTP(w, r) // mcp-go's own response: 404, 405
	}
}

// stream serves one session's event stream until the client leaves or the
// server drains it.
func (t *sseTransport) stream(w http.ResponseWriter, r *http.Request) {
	if t.h.draining.Load() {
		t.h.refuse(w, nil, draining)
		return
	}
	key, _, _ := t.keys.resolve(r)
	sess := &sseSession{key: fingerprintOf(key)}
	ctx, done, refused := t.h.streams.add(r.Context(), sess.key, streamSSE, sess.pending.Load)
	if refused != nil {
		t.h.refuse(w, nil, *refused)
		return
	}
	defer done()
	defer func() {
		if sess.id != "" {
			t.sessions.remove(sess.id)
			t.h.metrics.SessionClosed(Transport(SSE).String())
		}
	}()
	ctx = context.WithValue(ctx, sseSessionKey{}, sess)
	t.mcp.SSEHandler().ServeHTTP(&sseWriter{ResponseWriter: w, sess: sess, logger: t.logger}, r.WithContext(ctx))
}

// newSessionID is mcp-go's session id generator: it names the session being
// opened (sseSessionKey) and registers it with the key that opened it.
func (t *sseTransport) newSessionID(ctx context.Context, _ *http.Request) (string, error) {
	sess, ok := ctx.Value(sseSessionKey{}).(*sseSession)
	if !ok {
		return "", errors.New("httpserver: no session being opened")
	}
	sess.id = rand.Text()
	t.sessions.add(sess)
	t.h.metrics.SessionOpened(Transport(SSE).String())
	return sess.id, nil
}

// message passes a POST to its session when it carries the key the session
// was opened with, counts the requests whose responses the session's
// stream now owes, and notes its requests and cancellations (cancel.go).
func (t *sseTransport) message(w http.ResponseWriter, r *http.Request) {
	key, _, _ := t.keys.resolve(r)
	sess, ok := t.sessions.lookup(r.URL.Query().Get("sessionId"), fingerprintOf(key))
	if !ok {
		unknownSession(w)
		return
	}
	body, err := io.ReadAll(r.Body) // in memory already (limitBody)
	if err != nil {
		writeError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	sess.mu.RLock()
	defer sess.mu.RUnlock() // until mcp-go has the message (see sseSession.mu)
	if sess.ended {
		unknownSession(w)
		return
	}
	msg := readPosted(body)
	owed := int64(len(msg.requests))
	if !sess.take(owed, t.maxInflight) {
		t.h.refuse(w, requestID(body), tooManyInflight(int(t.maxInflight)))
		return
	}
	for _, id := range msg.cancelled {
		sess.cancels.Cancel(id)
	}
	for _, id := range msg.requests {
		sess.cancels.Begin(id)
	}
	sw := &statusWriter{ResponseWriter: w}
	t.mcp.MessageHandler().ServeHTTP(sw, r)
	if sw.code() != http.StatusAccepted {
		sess.owe(-owed) // refused: no response will come on the stream
		for _, id := range msg.requests {
			sess.cancels.End(id)
		}
	}
}

// sseWriter is a session stream's writer: it counts the JSON-RPC responses
// it delivers, each when flushed to the client, and drops the response to a
// request the client cancelled while it ran (cancel.go).
type sseWriter struct {
	http.ResponseWriter
	sess      *sseSession
	unflushed int64
	logger    *slog.Logger
}

func (w *sseWriter) Write(p []byte) (int, error) {
	if rel, ok := relativeEndpoint(p); ok {
		if _, err := w.ResponseWriter.Write(rel); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	// mcp-go writes each event with one Write, and a response alone.
	ids := responseIDs(sseData(p))
	for _, id := range ids {
		if w.sess.cancels.End(id) {
			w.logger.Debug("SSE: dropped the response to a cancelled request", "id", id)
			w.sess.owe(-1) // owed no more
			return len(p), nil
		}
	}
	n, err := w.ResponseWriter.Write(p)
	if err == nil {
		w.unflushed += int64(len(ids))
	}
	return n, err
}

// Flush sends the events written so far; their responses are then no
// longer owed.
func (w *sseWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
	w.sess.owe(-w.unflushed)
	w.unflushed = 0
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *sseWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// endpointEvent starts the event mcp-go sends first on a stream: the URL
// that messages of the session are posted to (mcp-go writes it in one
// Write, as "event: endpoint\ndata: /message?sessionId=...\r\n\r\n").
var endpointEvent = []byte("event: endpoint\ndata: ")

// relativeEndpoint rewrites the endpoint event's root-relative URL
// (MessagePath, "/message?sessionId=...") as a path relative to the
// stream's own URL ("message?sessionId=..."), and reports whether event was
// the endpoint event. A client resolves the endpoint against the URL it
// opened the stream at (the transport specification's "endpoint" event;
// the official SDKs do), so behind a proxy that mounts the server under a
// prefix (https://host/alfe/sse) the messages go to https://host/alfe/message
// rather than outside the prefix, with no flag to configure. SSEPath and
// MessagePath are siblings, which makes the relative path right.
func relativeEndpoint(event []byte) ([]byte, bool) {
	rest, ok := bytes.CutPrefix(event, endpointEvent)
	if !ok || !bytes.HasPrefix(rest, []byte(MessagePath+"?")) {
		return nil, false
	}
	rel := append(bytes.Clone(endpointEvent), rest[len("/"):]...)
	return rel, true
}
