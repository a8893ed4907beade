package tools_test

// The harness of the MCP-protocol tests: both protocol eras, both transports
// (mcp-go's in-process client, and stdio.Serve over pipes with a
// transport.NewIO client), a server built the way main builds it, and small
// helpers to call tools and read their results. Every upstream is a real HTTP
// server on loopback: the sandbox or an httptest server.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/logging"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	stdioserver "github.com/alfe-mcp/alfe-mcp/internal/transport/stdio"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// testKey is the API key of every test. No result and no log line may carry it.
const testKey = "sk_live_SECRET123"

// pollInterval is get_oauth_status's poll interval in the tests.
const pollInterval = 10 * time.Millisecond

// waitLimit bounds every wait of the tests for something asynchronous, so a
// broken server fails a test instead of hanging it. It is never asserted on.
const waitLimit = 10 * time.Second

// era is a generation of the MCP protocol (see testutil.Eras).
type era = testutil.Era

var eras = testutil.Eras()

// transportKind is how the test client reaches the server.
type transportKind string

const (
	inProcess transportKind = "inprocess"
	stdio     transportKind = "stdio"
)

// forEachEra runs f once per protocol era, as subtests.
func forEachEra(t *testing.T, f func(t *testing.T, e era)) {
	t.Helper()
	for _, e := range eras {
		t.Run(e.Name, func(t *testing.T) { f(t, e) })
	}
}

// forEachEraAndTransport runs f once per protocol era and transport.
func forEachEraAndTransport(t *testing.T, f func(t *testing.T, e era, tr transportKind)) {
	t.Helper()
	forEachEra(t, func(t *testing.T, e era) {
		for _, tr := range []transportKind{inProcess, stdio} {
			t.Run(string(tr), func(t *testing.T) { f(t, e, tr) })
		}
	})
}

// fixture is a server under test and what it logs.
type fixture struct {
	logs   *syncBuffer
	logger *slog.Logger
	opts   tools.Options
	srv    *server.MCPServer
	// api is the API client of the tools' calls, and hc its HTTP client
	// (its connections), which useAPI's clients share.
	api atomic.Pointer[apiclient.Client]
	hc  *http.Client
	// subscriptions counts the server's subscribers and their URIs, and
	// subscribed changes when they do.
	subscriptions func() (subscribers, uris int)
	subscribed    testutil.Changes
}

// serverOptions adjust a fixture: the API client's timeout and options,
// and the tools' options.
type serverOptions struct {
	timeout time.Duration // default waitLimit
	api     func(*apiclient.Options)
	tools   func(*tools.Options)
}

// newFixture builds the server the way main does, talking to upstream with
// testKey, and logging at debug level WITHOUT the logger's redacting safety
// net (Secrets: nil): the code itself must never log the key.
func newFixture(t *testing.T, upstream string, so serverOptions) *fixture {
	t.Helper()
	logs := &syncBuffer{}
	logger := logging.New(logs, logging.Options{Level: "debug", Secrets: nil})
	f := &fixture{logs: logs, logger: logger, hc: &http.Client{Transport: apiclient.NewTransport()}}
	t.Cleanup(f.hc.CloseIdleConnections)
	f.api.Store(f.newAPI(t, upstream, so.timeout, so.api))
	opts := tools.Options{
		Client:       func(context.Context) (*apiclient.Client, error) { return f.api.Load(), nil },
		Logger:       logger,
		Version:      "test",
		PollInterval: pollInterval,
	}
	if so.tools != nil {
		so.tools(&opts)
	}
	srv, subs, err := tools.NewServerForTest(opts, f.subscribed.Changed)
	if err != nil {
		t.Fatalf("tools.NewServer: %v", err)
	}
	f.opts, f.srv, f.subscriptions = opts, srv, subs
	return f
}

// newAPI returns an API client of upstream with testKey on f's connections,
// with timeout (waitLimit when 0), adjusted by mod when non-nil.
func (f *fixture) newAPI(t *testing.T, upstream string, timeout time.Duration, mod func(*apiclient.Options)) *apiclient.Client {
	t.Helper()
	if timeout == 0 {
		timeout = waitLimit
	}
	o := apiclient.Options{
		BaseURL:    upstream,
		APIKey:     testKey,
		Timeout:    timeout,
		HTTPClient: f.hc,
		Observe:    tools.ObserveExchanges(f.logger),
	}
	if mod != nil {
		mod(&o)
	}
	api, err := apiclient.New(o)
	if err != nil {
		t.Fatalf("apiclient.New: %v", err)
	}
	return api
}

// useAPI makes the next calls of f's tools talk to upstream with a timeout
// of waitLimit, on the same connections: a test whose calls had a tight
// timeout that must fire gives the calls after them a generous one.
func (f *fixture) useAPI(t *testing.T, upstream string) {
	t.Helper()
	f.api.Store(f.newAPI(t, upstream, 0, nil))
}

// connect returns a client of f's server over tr, initialized in era e. It
// fails the test unless the client really negotiated e's protocol version
// (mcp-go silently falls back to the legacy handshake when discovery fails).
func (f *fixture) connect(t *testing.T, e era, tr transportKind) *client.Client {
	t.Helper()
	var c *client.Client
	switch tr {
	case inProcess:
		c = f.connectInProcess(t, e)
	case stdio:
		c = f.connectStdio(t, e, nil)
		if err := c.Start(context.Background()); err != nil {
			t.Fatalf("client start: %v", err)
		}
	default:
		t.Fatalf("unknown transport %q", tr)
	}
	initialize(t, c, e)
	return c
}

// connectInProcess returns a started in-process client of f's server, not
// yet initialized.
func (f *fixture) connectInProcess(t *testing.T, e era) *client.Client {
	t.Helper()
	c, err := client.NewInProcessClientWithOptions(f.srv, e.Opts...)
	if err != nil {
		t.Fatalf("in-process client: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := c.Start(context.Background()); err != nil {
		t.Fatalf("client start: %v", err)
	}
	return c
}

// connectStdio serves f's server with stdio.Serve over a pair of pipes
// and returns a client of it (not yet started). When tap is non-nil, it
// receives a copy of everything the server writes.
func (f *fixture) connectStdio(t *testing.T, e era, tap io.Writer) *client.Client {
	t.Helper()
	return f.connectStdioWith(t, e, stdioWiring{tap: tap})
}

// stdioWiring adjusts connectStdioWith: a tap of what the server writes,
// the client's options, a rewrite of the client's lines, and a kind of line
// the server cannot write.
type stdioWiring struct {
	tap            io.Writer
	clientOpts     []client.ClientOption
	toServer       lineRewrite
	failFromServer string // a line containing it fails to write
	// rewritten receives a value each time toServer changed a line.
	rewritten chan struct{}
}

// connectStdioWith serves f's server with stdio.Serve over pipes wired as w
// says, and returns a client of it (not yet started).
func (f *fixture) connectStdioWith(t *testing.T, e era, w stdioWiring) *client.Client {
	t.Helper()
	toServerR, toServerW := io.Pipe()
	fromServerR, fromServerW := io.Pipe()
	var out io.Writer = fromServerW
	if w.failFromServer != "" {
		out = &lineWriter{next: fromServerW, fail: w.failFromServer}
	}
	if w.tap != nil {
		out = io.MultiWriter(w.tap, out) // the tap first: it holds a line before the client reads it
	}
	var in io.WriteCloser = toServerW
	if w.toServer != nil {
		in = &lineWriter{next: toServerW, rewrite: w.toServer, rewritten: w.rewritten}
	}
	// A client that closed reads no more, but the server may still write
	// (a listen stream's response, its last notifications) before its
	// Listen returns and unregisters the session: io.Pipe would block that
	// write for good. A host that closes the server's stdin keeps reading its
	// stdout until it ends; so does this one, from the close on.
	in = &drainOnClose{WriteCloser: in, out: fromServerR}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- stdioserver.Serve(ctx, f.srv, toServerR, out, f.logger) }()

	c := client.NewClient(transport.NewIO(fromServerR, in, nil), append(slices.Clone(e.Opts), w.clientOpts...)...)
	t.Cleanup(func() {
		_ = c.Close() // closes the server's stdin (and drains its stdout): stdio.Serve returns
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("stdio.Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("stdio.Serve did not return within %s of its input closing", waitLimit)
		}
		cancel()
		_ = fromServerW.Close() // ends the client's reader
		_ = toServerR.Close()
	})
	return c
}

// drainOnClose is the client's side of the server's stdin: closing it
// starts reading the server's stdout, out, to its end, as a host does once
// it has closed a server's stdin, so that no write of the server blocks its
// shutdown.
type drainOnClose struct {
	io.WriteCloser
	out  io.Reader
	once sync.Once
}

func (d *drainOnClose) Close() error {
	err := d.WriteCloser.Close()
	d.once.Do(func() { go func() { _, _ = io.Copy(io.Discard, d.out) }() })
	return err
}

// initialize runs the client's initialization and checks the negotiated era.
func initialize(t *testing.T, c *client.Client, e era) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "alfe-mcp-tools-test", Version: "1.0.0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		t.Fatalf("initialize (%s): %v", e.Name, err)
	}
	if got := c.ProtocolVersion(); got != e.Version {
		t.Fatalf("negotiated protocol version %q, want %q (%s era)", got, e.Version, e.Name)
	}
}

// callTool calls a tool and fails the test on a JSON-RPC error: every
// failure of a tool must be an isError result. args may be a map or a
// json.RawMessage (to send arguments a map cannot express).
func callTool(t *testing.T, c *client.Client, name string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := callToolErr(context.Background(), c, name, args, nil)
	if err != nil {
		t.Fatalf("%s: JSON-RPC error instead of a result: %v", name, err)
	}
	return res
}

// callToolErr calls a tool with an optional _meta.
func callToolErr(ctx context.Context, c *client.Client, name string, args any, meta *mcp.Meta) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*waitLimit)
	defer cancel()
	req := mcp.CallToolRequest{}
	req.Params.Name = name
	req.Params.Arguments = args
	req.Params.Meta = meta
	return c.CallTool(ctx, req)
}

// resultText returns the single text block of a result.
func resultText(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if len(res.Content) != 1 {
		t.Fatalf("result has %d content blocks, want 1: %+v", len(res.Content), res.Content)
	}
	tc, ok := mcp.AsTextContent(res.Content[0])
	if !ok {
		t.Fatalf("result block is %T, want text", res.Content[0])
	}
	return tc.Text
}

// wantError checks that res is an isError result whose text contains every
// fragment (case-insensitively), and returns the text.
func wantError(t *testing.T, res *mcp.CallToolResult, fragments ...string) string {
	t.Helper()
	text := resultText(t, res)
	if !res.IsError {
		t.Fatalf("isError is false, want true; text: %s", text)
	}
	for _, f := range fragments {
		if !strings.Contains(strings.ToLower(text), strings.ToLower(f)) {
			t.Errorf("error text does not mention %q: %s", f, text)
		}
	}
	if strings.Contains(text, "goroutine ") || strings.Contains(text, ".go:") {
		t.Errorf("error text carries a stack trace: %s", text)
	}
	return text
}

// wantSuccess checks that res is a success whose structuredContent is a JSON
// object equal to the JSON of its single text block, and returns that object.
func wantSuccess(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	text := resultText(t, res)
	if res.IsError {
		t.Fatalf("isError is true, want false; text: %s", text)
	}
	if res.StructuredContent == nil {
		t.Fatalf("no structuredContent; text: %s", text)
	}
	structured, ok := res.StructuredContent.(map[string]any)
	if !ok {
		t.Fatalf("structuredContent is %T, want a JSON object", res.StructuredContent)
	}
	var fromText any
	if err := json.Unmarshal([]byte(text), &fromText); err != nil {
		t.Fatalf("text block is not JSON: %v: %s", err, text)
	}
	if !reflect.DeepEqual(fromText, any(structured)) {
		t.Fatalf("structuredContent and text differ:\nstructured: %s\ntext:       %s", res.RawStructuredContent, text)
	}
	return structured
}

// countingUpstream is an httptest upstream that counts its requests and
// responds to each with handler (a 500 when nil).
type countingUpstream struct {
	*httptest.Server
	requests atomic.Int64
}

func newCountingUpstream(t *testing.T, handler http.Handler) *countingUpstream {
	t.Helper()
	u := &countingUpstream{}
	if handler == nil {
		handler = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			http.Error(w, `{"error":{"message":"this upstream should not have been called"}}`, http.StatusInternalServerError)
		})
	}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.requests.Add(1)
		handler.ServeHTTP(w, r)
	}))
	t.Cleanup(u.Close)
	return u
}

// newSandbox starts the API emulator, accepting only testKey.
func newSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sb, err := sandbox.Listen(sandbox.Options{APIKey: testKey})
	if err != nil {
		t.Fatalf("sandbox: %v", err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	return sb
}

// writeData responds with the API's {"data": ...} envelope.
func writeData(w http.ResponseWriter, status int, data any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
}

// waitFor waits, without polling, until cond holds, checking it at each
// change c announces; it fails the test with msg after waitLimit, a bound
// on a hang that is never asserted on.
func waitFor(t *testing.T, msg string, c *testutil.Changes, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.Wait(ctx, cond); err != nil {
		t.Fatalf("gave up after %s: %s", waitLimit, msg)
	}
}

// waitForLog waits until f has logged a line with every part, and returns
// it.
func (f *fixture) waitForLog(t *testing.T, parts ...string) string {
	t.Helper()
	var line string
	waitFor(t, "a log line with "+strings.Join(parts, ", "), &f.logs.Changes, func() bool {
		line = logLine(f.logs.String(), parts...)
		return line != ""
	})
	return line
}

// logLine returns the first line of logs that contains every part, or "".
func logLine(logs string, parts ...string) string {
	for _, line := range strings.Split(logs, "\n") {
		all := true
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			return line
		}
	}
	return ""
}

// syncBuffer collects output safely across goroutines.
type syncBuffer = testutil.SyncBuffer
