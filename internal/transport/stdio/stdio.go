// Package stdio serves an MCP server over stdin and stdout, one JSON-RPC
// message a line: it guards mcp-go's stdio transport against input that
// would exhaust memory or run with a bogus id, runs tool calls itself
// (calls.go: one parse of the line before mcp-go's HandleMessage, one
// encoding of the response), drops the response to a request the client
// cancelled while it ran (transport.Cancellations), and at the end of input
// waits for the responses to the requests already read.
package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// Stdio worker pool (calls.go): mcp-go runs tool calls on a pool of 5 by
// default, so a sixth concurrent call waits for a free worker. Up to 32
// workers let every call a host plausibly has in flight run at once; the
// queue absorbs bursts.
const (
	stdioWorkers   = 32
	stdioQueueSize = 256
	// DefaultDrainTimeout bounds how long the end of stdin waits for the
	// responses to requests already read. Hosts close stdin, wait briefly,
	// then kill the process: calls that only wait (an OAuth wait) end at
	// once (Options.EndOfInput), and the others get this long.
	DefaultDrainTimeout = 5 * time.Second
)

// Options configure ServeWith.
type Options struct {
	// Logger gets mcp-go's errors and the guard's warnings (default:
	// discard).
	Logger *slog.Logger
	// EndOfInput, when set, runs once when the input ends, before the wait
	// for the responses to the requests already read: e.g. closing
	// tools.Options.StopWaiting, so that waiting calls respond at once.
	EndOfInput func()
	// DrainTimeout bounds that wait (default DefaultDrainTimeout).
	DrainTimeout time.Duration
}

// Serve is ServeWith with only a logger.
func Serve(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, logger *slog.Logger) error {
	return ServeWith(ctx, s, in, out, Options{Logger: logger})
}

// ServeWith serves s over in and out (stdin and stdout) until in ends or
// ctx is cancelled. When in ends, it runs opts.EndOfInput, then waits (up
// to opts.DrainTimeout, or until ctx is cancelled) for the responses to every
// request already read, so that `printf ... | alfe-mcp` loses no call:
// mcp-go cancels the calls in flight as soon as its input ends. mcp-go's own
// error logger is bridged to the logger, so nothing but the protocol is
// written to out.
func ServeWith(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, opts Options) error {
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if opts.DrainTimeout <= 0 {
		opts.DrainTimeout = DefaultDrainTimeout
	}
	stdio := server.NewStdioServer(s)
	stdio.SetErrorLogger(slog.NewLogLogger(logger.Handler(), slog.LevelError))
	// Tool calls run on the guard's pool (calls.go); mcp-go's own pool only
	// gets a tools/call without an id, a notification with nothing to run.
	server.WithWorkerPoolSize(1)(stdio)
	server.WithQueueSize(1)(stdio)
	// One client owns the pipe: a request from the server reaches it, and
	// its response comes back on stdin to the session waiting for it.
	ctx = transport.WithCapabilities(ctx, transport.Capabilities{ServerRequests: true, InputRequiredResults: true})
	p := newPendingSet()
	cancels := &transport.Cancellations{} // one client owns the pipe
	lw := &lockedWriter{w: out}           // mcp-go and the guard both respond
	guard := newRequestGuard(in, lw, logger)
	guard.ctx, guard.pending, guard.cancels = ctx, p, cancels
	guard.endOfInput, guard.drainTimeout = opts.EndOfInput, opts.DrainTimeout
	calls := &callPool{srv: s, out: lw, pending: p, cancels: cancels, logger: logger}
	stdio.SetContextFunc(calls.start) // Listen's context for handlers, with its session
	guard.calls = calls
	err := stdio.Listen(ctx, guard, &responseWatcher{w: lw, pending: p, cancels: cancels, logger: logger})
	calls.wait()
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

// pendingSet holds the ids of requests read and not yet responded to.
type pendingSet struct {
	mu      sync.Mutex
	ids     map[string]struct{}
	changed chan struct{} // closed and replaced on every removal
}

func newPendingSet() *pendingSet {
	return &pendingSet{ids: map[string]struct{}{}, changed: make(chan struct{})}
}

func (p *pendingSet) add(id string) {
	p.mu.Lock()
	p.ids[id] = struct{}{}
	p.mu.Unlock()
}

func (p *pendingSet) remove(id string) {
	p.mu.Lock()
	if _, ok := p.ids[id]; ok {
		delete(p.ids, id)
		close(p.changed)
		p.changed = make(chan struct{})
	}
	p.mu.Unlock()
}

// wait returns when no request is pending, ctx is done, or grace has passed.
func (p *pendingSet) wait(ctx context.Context, grace time.Duration) {
	timer := time.NewTimer(grace)
	defer timer.Stop()
	for {
		p.mu.Lock()
		n, changed := len(p.ids), p.changed
		p.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return
		case <-timer.C:
			return
		}
	}
}

// responseWatcher forgets the id of every response written, and drops the
// response to a request the client cancelled while it ran (see
// transport.Cancellations). mcp-go writes one message per Write, and
// marshals responses as {"jsonrpc","id","result"|"error"}, so only the
// first keys are read.
type responseWatcher struct {
	w       io.Writer
	pending *pendingSet
	cancels *transport.Cancellations
	logger  *slog.Logger
}

func (a *responseWatcher) Write(b []byte) (int, error) {
	id, ok := responseID(b)
	if !ok {
		return a.w.Write(b)
	}
	defer a.pending.remove(id)
	if a.cancels.End(id) {
		a.logger.Debug("stdio: dropped the response to a cancelled request", "id", id)
		return len(b), nil
	}
	return a.w.Write(b)
}

// responseID returns the id of a JSON-RPC response message.
func responseID(b []byte) (string, bool) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", false
	}
	var id json.RawMessage
	for range 4 {
		key, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch key {
		case "id":
			if err := dec.Decode(&id); err != nil {
				return "", false
			}
		case "result", "error":
			return string(id), len(id) > 0
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return "", false
			}
		}
	}
	return "", false
}
