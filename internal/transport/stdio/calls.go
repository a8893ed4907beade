package stdio

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/rawjson"
	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// callPool runs the tools/call requests the guard reads, in place of mcp-go's
// stdio transport: mcp-go would read each line on a goroutine of its own,
// parse it five times before queueing it (as JSON, as a response to each of
// the server's three kinds of request, for its method), marshal the result
// through a map and compact it twice, and the response watcher would parse
// it once more for its id (issue 13). The pool hands the line the guard has
// already parsed to MCPServer.HandleMessage, in the context mcp-go gives its
// own handlers (the stdio session, so that cancellation, elicitation and
// progress work as they do for any request), on stdioWorkers workers fed by
// a queue of stdioQueueSize, as mcp-go's pool is; when the queue is full the
// guard runs the call itself, as mcp-go does, so that reading waits. The
// workers start with the first call, so that a server that has not been
// called holds none (mcp-go starts its own at once). Every other message
// still goes to mcp-go.
type callPool struct {
	srv     *server.MCPServer
	out     *lockedWriter
	pending *pendingSet
	cancels *transport.Cancellations
	logger  *slog.Logger

	once    sync.Once
	ctx     context.Context // mcp-go's context for handlers; nil until Listen has set it
	cancel  context.CancelFunc
	queue   chan call
	wg      sync.WaitGroup
	workers sync.Once // starts them

	// closing guards the queue: mcp-go's Listen can return (its context
	// cancelled) while its reader goroutine is still in the guard's Read,
	// which may then read a call after wait closed the queue.
	closing sync.RWMutex
	closed  bool
}

// call is one tools/call request: its line (owned by the call) and its raw
// JSON id.
type call struct {
	line []byte
	id   string
}

// start takes the context mcp-go's Listen gives its handlers (through
// StdioServer.SetContextFunc).
func (p *callPool) start(ctx context.Context) context.Context {
	p.once.Do(func() {
		p.ctx, p.cancel = context.WithCancel(ctx)
		p.queue = make(chan call, stdioQueueSize)
	})
	return ctx
}

// work runs queued calls until the queue is closed.
func (p *callPool) work() {
	for c := range p.queue {
		p.serve(c)
	}
}

// ready reports whether the pool runs calls (Listen has started it).
func (p *callPool) ready() bool { return p != nil && p.ctx != nil }

// dispatch queues a call (the first starts the workers), or runs it at once
// when the queue is full. After wait, a call is dropped: the server is
// stopping.
func (p *callPool) dispatch(c call) {
	p.closing.RLock()
	defer p.closing.RUnlock()
	if p.closed {
		p.logger.Debug("stdio: dropped a tool call read after the server stopped", "id", c.id)
		return
	}
	p.workers.Do(func() {
		for range stdioWorkers {
			p.wg.Go(p.work)
		}
	})
	select {
	case p.queue <- c:
	default:
		p.logger.Warn("stdio: tool call queue full, running the call before reading on")
		p.serve(c)
	}
}

// stopCalls ends the calls in flight (their context is cancelled, as
// mcp-go's are when its input ends): the guard calls it when it reports the
// end of input, after the drain.
func (p *callPool) stopCalls() {
	if p.ready() {
		p.cancel()
	}
}

// wait closes the queue and waits for the workers.
func (p *callPool) wait() {
	if p.ready() {
		p.cancel()
		p.closing.Lock()
		p.closed = true
		close(p.queue)
		p.closing.Unlock()
		p.wg.Wait()
	}
}

// serve runs one call and writes its response, unless the client cancelled
// the request meanwhile (transport.Cancellations). A panic outside the
// tools' own recovery becomes an internal error response, as in mcp-go's
// workers.
func (p *callPool) serve(c call) {
	defer p.pending.remove(c.id)
	var resp mcp.JSONRPCMessage
	func() {
		defer func() {
			if r := recover(); r != nil {
				p.logger.Error("stdio: panic in a tool call", "panic", fmt.Sprint(r))
				resp = mcp.NewJSONRPCError(mcp.NewRequestId(json.RawMessage(c.id)), mcp.INTERNAL_ERROR, fmt.Sprintf("internal panic: %v", r), nil)
			}
		}()
		resp = p.srv.HandleMessage(p.ctx, c.line)
	}()
	if p.cancels.End(c.id) {
		p.logger.Debug("stdio: dropped the response to a cancelled request", "id", c.id)
		return
	}
	if resp == nil {
		return
	}
	b, err := encodeResponse(resp)
	if err != nil {
		p.logger.Error("stdio: encode a response", "error", err)
		return
	}
	if _, err := p.out.Write(b); err != nil {
		p.logger.Error("stdio: write a response", "error", err)
	}
}

// encodeResponse returns msg as one line of JSON, byte for byte what mcp-go's
// stdio transport writes (json.Marshal and a newline; TestEncodeResponse).
// A tool result is written by appendToolResult, or from its own MarshalJSON,
// whose output is already compact: the encoder would only compact it again.
func encodeResponse(msg mcp.JSONRPCMessage) ([]byte, error) {
	if r, ok := msg.(mcp.JSONRPCResponse); ok && r.JSONRPC == mcp.JSONRPC_VERSION {
		if res, ok := r.Result.(*mcp.CallToolResult); ok && res != nil {
			id, err := r.ID.MarshalJSON()
			if err != nil {
				return nil, err
			}
			b := make([]byte, 0, 2*len(res.RawStructuredContent)+len(id)+128)
			b = append(b, `{"jsonrpc":"2.0","id":`...)
			b = append(b, id...)
			b = append(b, `,"result":`...)
			b, ok := appendToolResult(b, res)
			if !ok {
				body, err := res.MarshalJSON()
				if err != nil {
					return nil, err
				}
				b = append(b, body...)
			}
			return append(b, "}\n"...), nil
		}
	}
	b, err := json.Marshal(msg)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// appendToolResult appends the JSON of a tool result of the shape the tools
// return (one text block, and structuredContent given as compact JSON in
// RawStructuredContent, as tools.structuredResult makes it), as
// CallToolResult.MarshalJSON writes it, without its map: members in key
// order, structuredContent as it is. It reports false, having appended
// nothing, for a result of any other shape. RawStructuredContent must be
// valid JSON, as the encoder would otherwise fail on it; it is used as it
// is only when the encoder would leave it as it is (rawjson.IsCompact).
func appendToolResult(b []byte, res *mcp.CallToolResult) ([]byte, bool) {
	if res.Meta != nil || res.ResultType != "" || len(res.InputRequests) > 0 || res.RequestState != "" ||
		len(res.Content) != 1 || !rawjson.IsCompact(res.RawStructuredContent) {
		return b, false
	}
	text, ok := res.Content[0].(mcp.TextContent)
	if !ok || text.Annotations != nil || text.Meta != nil || text.Type != "text" {
		return b, false
	}
	b = append(b, `{"content":[{"type":"text","text":`...)
	b = rawjson.AppendString(b, text.Text)
	b = append(b, `}],`...)
	if res.IsError {
		b = append(b, `"isError":true,`...)
	}
	b = append(b, `"structuredContent":`...)
	b = append(b, res.RawStructuredContent...)
	return append(b, '}'), true
}
