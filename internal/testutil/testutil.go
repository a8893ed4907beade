// Package testutil holds helpers shared by the tests of several packages:
// a buffer safe for concurrent writers, a recording upstream that serves
// the sandbox emulator of the Alfe API, the protocol eras, a tool call made
// in the background, whether the race detector is on, and the shared test
// table of tool calls (toolcalls.go). It is imported by tests only.
package testutil

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// SyncBuffer is a bytes.Buffer that several goroutines may write to, such as
// a logger's output or a child process's stderr.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
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
