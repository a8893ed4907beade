// Package testutil holds helpers shared by the tests of several packages:
// a way to wait for a condition without polling (Changes), a buffer safe for
// concurrent writers, a record of the messages on a connection (Wire), a
// recording upstream that serves the sandbox emulator of the Alfe API, the
// protocol eras, a tool call made in the background, whether the race
// detector is on, and the shared test table of tool calls (toolcalls.go).
// It is imported by tests only.
package testutil

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// Changes lets a test wait for a condition over state that other
// goroutines change, without polling and without a sleep: whoever changes
// the state calls Changed, and Wait checks its condition again after each
// change. The zero value is ready to use.
type Changes struct {
	mu sync.Mutex
	ch chan struct{} // closed and replaced by every Changed; nil until needed
}

// Changed wakes every Wait to check its condition again.
func (c *Changes) Changed() {
	c.mu.Lock()
	if c.ch != nil {
		close(c.ch)
		c.ch = nil
	}
	c.mu.Unlock()
}

// Wait returns nil as soon as cond holds, checking it now and after each
// Changed, or ctx's error when ctx ends first (a deadline that only bounds
// a hang).
func (c *Changes) Wait(ctx context.Context, cond func() bool) error {
	for {
		c.mu.Lock()
		if c.ch == nil {
			c.ch = make(chan struct{})
		}
		changed := c.ch
		c.mu.Unlock()
		// Checked after taking the channel: a change between the check and
		// the select closes the channel taken, so it is never missed.
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// SyncBuffer is a bytes.Buffer that several goroutines may write to, such as
// a logger's output or a child process's stderr. A test waits for what it
// expects to be written with Changes' Wait.
type SyncBuffer struct {
	Changes // Changed on every Write
	mu      sync.Mutex
	buf     bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	n, err := b.buf.Write(p)
	b.mu.Unlock()
	b.Changed()
	return n, err
}

// String returns what was written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Request is one request that reached a Recorder.
type Request struct {
	Method string // e.g. GET
	Path   string // the URL's path, without the query
	Auth   string // the Authorization header, e.g. "Bearer <key>"
}

// Recorder is the Alfe API as tests see it: the sandbox emulator behind a
// recorder of every request. Requests to a held path wait until released.
type Recorder struct {
	*httptest.Server
	Changes  // Changed on every request, once recorded
	mu       sync.Mutex
	reqs     []Request
	holdPath string
	// Entered receives one value per held request as it arrives.
	Entered chan struct{}
	release chan struct{}
}

// NewRecorder starts a Recorder, closed when the test ends.
func NewRecorder(t testing.TB) *Recorder {
	t.Helper()
	r := &Recorder{Entered: make(chan struct{}, 16), release: make(chan struct{})}
	emu := sandbox.NewHandler(sandbox.Options{})
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.reqs = append(r.reqs, Request{req.Method, req.URL.Path, req.Header.Get("Authorization")})
		hold := r.holdPath != "" && req.URL.Path == r.holdPath
		r.mu.Unlock()
		r.Changed()
		if hold {
			r.Entered <- struct{}{}
			<-r.release
		}
		emu.ServeHTTP(w, req)
	}))
	t.Cleanup(r.Close)
	return r
}

// Hold makes requests to path wait until the returned function is called.
func (r *Recorder) Hold(path string) (release func()) {
	r.mu.Lock()
	r.holdPath = path
	r.mu.Unlock()
	var once sync.Once
	return func() { once.Do(func() { close(r.release) }) }
}

// Requests returns what reached the recorder so far.
func (r *Recorder) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.reqs...)
}

// Era is a generation of the MCP protocol, as negotiated by mcp-go's client.
type Era struct {
	Name    string                // modern or legacy, for subtests' names
	Version string                // the protocol version the client must end up on
	Opts    []client.ClientOption // what makes mcp-go's client speak it
}

// Eras are the protocol generations every protocol test runs in.
func Eras() []Era {
	return []Era{
		// mcp-go's default: the stateless protocol, no initialize handshake.
		{Name: "modern", Version: mcp.ProtocolVersion20260728},
		// What most hosts in the field speak: initialize, then a session.
		{Name: "legacy", Version: mcp.ProtocolVersion20251125, Opts: []client.ClientOption{client.WithProtocolVersion(mcp.ProtocolVersion20251125)}},
	}
}

// CallOutcome is what a tool call made in the background ended with: its
// result, or the error of its round trip.
type CallOutcome struct {
	Result *sdk.CallToolResult // nil when Err is set
	Err    error               // the round trip's error: the call got no result
}

// CallInBackground calls tool with args over cs in a goroutine of its own,
// for a test that acts while the call runs (stops the server, cancels,
// releases the upstream); the channel receives the call's outcome.
func CallInBackground(ctx context.Context, cs *sdk.ClientSession, tool string, args map[string]any) <-chan CallOutcome {
	out := make(chan CallOutcome, 1)
	go func() {
		res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
		out <- CallOutcome{res, err}
	}()
	return out
}

// RaceEnabled reports whether the test binary runs under the race
// detector (go test -race), which slows everything about ten times: load
// tests make fewer calls, and binaries built for end-to-end tests get the
// detector too.
func RaceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// Wire records the JSON-RPC messages that go over one connection, each way,
// for tests that check what a server sent (or did not send) on the wire; it
// announces every message (Changes). The transports' tests feed it: a tap
// of stdio's lines, a RoundTripper's bodies and streams.
type Wire struct {
	Changes
	mu             sync.Mutex
	sent, received []string
}

// Sent records a message the client wrote.
func (w *Wire) Sent(msg []byte) { w.add(&w.sent, msg) }

// Received records a message the server wrote.
func (w *Wire) Received(msg []byte) { w.add(&w.received, msg) }

func (w *Wire) add(into *[]string, msg []byte) {
	msg = bytes.TrimSpace(msg)
	if len(msg) == 0 || (msg[0] != '{' && msg[0] != '[') {
		return
	}
	w.mu.Lock()
	*into = append(*into, string(msg))
	w.mu.Unlock()
	w.Changed()
}

// RequestID returns the raw JSON id of the first request of method the
// client sent, and whether there is one.
func (w *Wire) RequestID(method string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.sent {
		if id, got := idOf(m); got == method && id != "" {
			return id, true
		}
	}
	return "", false
}

// Response returns the response to the raw JSON id the server sent, or "".
func (w *Wire) Response(id string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, m := range w.received {
		if got, method := idOf(m); method == "" && got == id {
			return m
		}
	}
	return ""
}

// idOf returns a message's raw id and its method.
func idOf(msg string) (id, method string) {
	var m struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal([]byte(msg), &m) != nil {
		return "", ""
	}
	return string(m.ID), m.Method
}

// OAuthStatus is an upstream that answers the OAuth status of any provider
// (GET /agent/integrations/oauth/status): not connected until Connect.
// FirstPoll is closed at the first poll, for a test that acts once a
// waiting get_oauth_status runs.
type OAuthStatus struct {
	*httptest.Server
	FirstPoll chan struct{}
	once      sync.Once
	connected atomic.Bool
}

// NewOAuthStatus starts an OAuthStatus, closed when the test ends.
func NewOAuthStatus(t testing.TB) *OAuthStatus {
	t.Helper()
	u := &OAuthStatus{FirstPoll: make(chan struct{})}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.once.Do(func() { close(u.FirstPoll) })
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"data":{"provider":%q,"connected":%v}}`, r.URL.Query().Get("provider"), u.connected.Load())
	}))
	t.Cleanup(u.Close)
	return u
}

// Connect makes the next polls see the account connected.
func (u *OAuthStatus) Connect() { u.connected.Store(true) }
