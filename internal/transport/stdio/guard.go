package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// maxStdioMessage caps one line of stdio input. No message a client sends
// comes near it (tool arguments are capped at schemas.MaxArgumentBytes);
// a longer line is dropped unread, so that it cannot exhaust memory.
const maxStdioMessage = 1 << 20

// JSON-RPC error codes of the guard's responses.
const (
	rpcParseError     = -32700
	rpcInvalidRequest = -32600
)

// requestGuard sits between stdin and mcp-go. It passes every line on,
// except two kinds to which it responds itself with a JSON-RPC error:
//
//   - a line longer than maxStdioMessage (mcp-go would read it whole into
//     memory, however long);
//   - a message whose id is not a string, a number or null (JSON-RPC 2.0,
//     section 4): mcp-go would run it and echo the id back.
//
// Everything else, malformed or not, is mcp-go's to respond to (it responds
// garbage with -32700 and wrong params with -32600).
//
// It also notes the id of every request it passes on (and forgets the id a
// cancellation names) in pending, and holds back the end of input until
// those requests get their responses: see Serve. A tools/call request with
// an id it hands to calls instead, which runs it without mcp-go's stdio
// transport (see callPool).
type requestGuard struct {
	src     *bufio.Reader
	out     io.Writer // shared with mcp-go: a lockedWriter
	logger  *slog.Logger
	ready   []byte // bytes of accepted lines not yet read
	buf     []byte
	discard bool // dropping the rest of an over-long line

	ctx     context.Context // ends the wait for responses at the end of input
	pending *pendingSet     // nil: no tracking
	// cancels learns of every request and cancellation read, so that the
	// response to a cancelled request is dropped (nil: none is).
	cancels *transport.Cancellations
	// endOfInput runs once at the end of input (nil: nothing), and
	// drainTimeout bounds the wait for responses after it.
	endOfInput   func()
	drainTimeout time.Duration
	// calls runs the tools/call requests (nil: mcp-go does).
	calls *callPool
}

func newRequestGuard(in io.Reader, out io.Writer, logger *slog.Logger) *requestGuard {
	return &requestGuard{src: bufio.NewReaderSize(in, maxStdioMessage), out: out, logger: logger}
}

func (g *requestGuard) Read(p []byte) (int, error) {
	for len(g.ready) == 0 {
		line, err := g.src.ReadSlice('\n')
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			if !g.discard {
				g.discard = true
				g.reject(rpcInvalidRequest, fmt.Sprintf("Invalid Request: message over %d bytes dropped", maxStdioMessage), "message too long")
			}
			continue
		case g.discard:
			// The end of the over-long line (or of the input).
			g.discard = false
		case len(line) > 0:
			m := inspect(line)
			if m.badID {
				g.reject(rpcInvalidRequest, "Invalid Request: id must be a string, a number or null", "id of the wrong type")
				break
			}
			g.track(m)
			if m.method == "tools/call" && m.id != "" && g.calls.ready() {
				g.calls.dispatch(call{line: bytes.Clone(line), id: m.id})
				break
			}
			g.ready = append(g.buf[:0], line...)
			g.buf = g.ready
		}
		if err != nil && len(g.ready) == 0 {
			if errors.Is(err, io.EOF) && g.endOfInput != nil {
				g.endOfInput()
				g.endOfInput = nil
			}
			if errors.Is(err, io.EOF) && g.pending != nil {
				g.pending.wait(g.ctx, g.drainTimeout)
			}
			// mcp-go cancels its handlers once input ends; so do the calls.
			g.calls.stopCalls()
			return 0, err
		}
		if err != nil {
			break // deliver the last line; the error comes on the next Read
		}
	}
	n := copy(p, g.ready)
	g.ready = g.ready[n:]
	return n, nil
}

// reject responds to a dropped message with a JSON-RPC error without an id.
func (g *requestGuard) reject(code int, msg, why string) {
	g.logger.Warn("stdio: dropped a malformed message", "reason", why)
	type rpcError struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	b, _ := json.Marshal(struct {
		JSONRPC string    `json:"jsonrpc"`
		ID      *struct{} `json:"id"`
		Error   rpcError  `json:"error"`
	}{"2.0", nil, rpcError{code, msg}})
	_, _ = g.out.Write(append(b, '\n'))
}

// message is what the guard reads of a line: one parse, of the top level.
type message struct {
	id        string // raw JSON id of a request, "" for none or null
	method    string
	cancelled string // raw JSON requestId of notifications/cancelled
	badID     bool   // an id that is not a string, a number or null
}

// inspect reads a line's id and method. A line that does not parse is
// mcp-go's to respond to, and is passed on untracked.
func inspect(line []byte) message {
	trimmed := bytes.TrimSpace(line)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return message{}
	}
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
		Params json.RawMessage `json:"params"`
	}
	if json.Unmarshal(trimmed, &m) != nil {
		return message{}
	}
	out := message{method: m.Method}
	if len(m.ID) > 0 {
		switch m.ID[0] {
		case 'n': // null
		case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
			out.id = string(m.ID)
		default:
			out.badID = true
		}
	}
	if m.Method == "notifications/cancelled" {
		var p struct {
			RequestID json.RawMessage `json:"requestId"`
		}
		if json.Unmarshal(m.Params, &p) == nil {
			out.cancelled = string(bytes.TrimSpace(p.RequestID))
		}
	}
	return out
}

// track notes a request's id as pending (but a subscriptions/listen's)
// and forgets a cancelled one, whose response is then dropped.
func (g *requestGuard) track(m message) {
	switch {
	case m.cancelled != "":
		if g.cancels != nil {
			g.cancels.Cancel(m.cancelled)
		}
		if g.pending != nil {
			g.pending.remove(m.cancelled)
		}
	case m.method != "" && m.id != "":
		if g.cancels != nil {
			g.cancels.Begin(m.id)
		}
		// A subscriptions/listen stream (2026-07-28) responds only once it
		// ends, which the end of input does: the drain must not wait for it.
		if g.pending != nil && m.method != "subscriptions/listen" {
			g.pending.add(m.id)
		}
	}
}

// lockedWriter serialises whole writes: mcp-go writes one message per Write,
// and so does the guard.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}
