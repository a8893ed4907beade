package httpserver

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// No response for a cancelled request. The MCP specification says the
// receiver of notifications/cancelled should not respond to the request it
// names; mcp-go cancels the handler but sends what it returns. Each
// transport holds such a response back (transport.Cancellations):
//
//   - SSE: the session's stream drops the response's event (sse.go).
//   - Streamable HTTP with a session: the reply of the call's own POST,
//     when it became an SSE stream, ends without the response; a JSON reply
//     carries a JSON-RPC error saying the request was cancelled instead of
//     its result (cancelWriter).
//   - Streamable HTTP without a session (stateless, or any 2026-07-28
//     request): a notifications/cancelled cannot say whose request it
//     names, since every client's ids look alike (mcp-go would cancel any
//     client's request of that id), so it is refused with 202 and reaches
//     nothing. Such a client cancels a call by closing its request, which
//     is the 2026-07-28 way.

// rpcRequestCancelled is the JSON-RPC error code of a JSON reply to a
// request cancelled while it ran. MCP defines none; this is the one the
// Language Server Protocol gives a cancelled request.
const rpcRequestCancelled = -32800

// sessionCancellations are the Cancellations of the streamable HTTP
// sessions that have calls running, by session id. An entry lives while
// one of its session's calls runs.
type sessionCancellations struct {
	mu        sync.Mutex
	bySession map[string]*sessionCalls
}

// sessionCalls is one session's entry: its cancellations, and how many of
// its POSTs carry requests now.
type sessionCalls struct {
	transport.Cancellations
	posts int
}

func newSessionCancellations() *sessionCancellations {
	return &sessionCancellations{bySession: map[string]*sessionCalls{}}
}

// begin records the requests ids of one POST of session as running and
// returns the session's Cancellations and the function to call when the
// POST's response is done.
func (s *sessionCancellations) begin(session string, ids []string) (*transport.Cancellations, func()) {
	s.mu.Lock()
	e := s.bySession[session]
	if e == nil {
		e = &sessionCalls{}
		s.bySession[session] = e
	}
	e.posts++
	s.mu.Unlock()
	for _, id := range ids {
		e.Begin(id)
	}
	return &e.Cancellations, func() {
		for _, id := range ids {
			e.End(id)
		}
		s.mu.Lock()
		if e.posts--; e.posts == 0 {
			delete(s.bySession, session)
		}
		s.mu.Unlock()
	}
}

// cancel records that the client of session cancelled the requests ids.
// Ids of no running call change nothing.
func (s *sessionCancellations) cancel(session string, ids []string) {
	s.mu.Lock()
	e := s.bySession[session]
	s.mu.Unlock()
	if e == nil {
		return
	}
	for _, id := range ids {
		e.Cancel(id)
	}
}

// cancelWriter is the writer of the reply to one POST of a streamable HTTP
// session that carries requests (ids). The response to a request the client
// cancelled while it ran does not go out: an SSE reply ends without it, a
// JSON reply carries an error saying the request was cancelled instead.
// mcp-go writes each event, and a JSON reply, with one Write.
type cancelWriter struct {
	http.ResponseWriter
	cancels *transport.Cancellations
	ids     []string
	logger  *slog.Logger
}

func (w *cancelWriter) Write(p []byte) (int, error) {
	if !w.anyCancelled() {
		// Nothing to hold back: the write is not parsed (the common case).
		return w.ResponseWriter.Write(p)
	}
	sse := strings.HasPrefix(w.Header().Get("Content-Type"), "text/event-stream")
	data := p
	if sse {
		data = sseData(p)
	}
	for _, id := range responseIDs(data) {
		if !slices.Contains(w.ids, id) || !w.cancels.Cancelled(id) {
			continue
		}
		w.logger.Debug("streamable HTTP: dropped the response to a cancelled request", "id", id)
		if sse {
			return len(p), nil // the stream ends without it
		}
		if _, err := w.ResponseWriter.Write(cancelledError(id)); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return w.ResponseWriter.Write(p)
}

// anyCancelled reports whether the client cancelled one of w's requests:
// only then can a write carry a response to hold back.
func (w *cancelWriter) anyCancelled() bool {
	for _, id := range w.ids {
		if w.cancels.Cancelled(id) {
			return true
		}
	}
	return false
}

// Flush sends buffered data to the client; SSE needs it.
func (w *cancelWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *cancelWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// cancelledError is the JSON reply to the request id (raw JSON) that was
// cancelled while it ran.
func cancelledError(id string) []byte {
	b, _ := json.Marshal(map[string]any{
		"jsonrpc": "2.0",
		"id":      json.RawMessage(id),
		"error": map[string]any{
			"code":    rpcRequestCancelled,
			"message": "Request cancelled: the client sent notifications/cancelled for it while it ran, so it has no result",
		},
	})
	return append(b, '\n')
}
