package httpserver

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// Keys of the tests' clients. The upstream accepts any key.
const (
	keyA       = "alfe_sk_CLIENT_A_8f2b"
	keyB       = "alfe_sk_CLIENT_B_41c7"
	defaultKey = "alfe_sk_SERVER_OWN_77de"
)

// seen is one request that reached the upstream.
type seen = testutil.Request

// newUpstream is the Alfe API as the tests see it: the sandbox emulator
// behind a recorder.
func newUpstream(t *testing.T) *testutil.Recorder { return testutil.NewRecorder(t) }

// testServer is a Handler served by Run on a loopback port.
type testServer struct {
	url  string // http://127.0.0.1:port
	addr string // 127.0.0.1:port
	up   *testutil.Recorder
	logs *logBuffer
	h    *Handler
	stop context.CancelFunc // cancels Run's context: SIGTERM
	done chan error         // Run's result
	// closed is closed when Run closes the listener: the server has begun
	// to shut down.
	closed <-chan struct{}
	// ended receives the id of every streamable HTTP session that leaves
	// the session table (mcp-go's unregister hook, or Terminate).
	ended chan string
	// streams changes when a stream opens or closes.
	streams testutil.Changes
	// drainDelay ends Run's drain delay (when RunOptions.DrainDelay is
	// set); the end of the test ends it too.
	drainDelay chan time.Time

	waitOnce sync.Once
	runErr   error
}

// wait returns Run's result, once Run has returned.
func (ts *testServer) wait() error {
	ts.waitOnce.Do(func() { ts.runErr = <-ts.done })
	return ts.runErr
}

// setup says how to start a testServer beyond its Options.
type setup struct {
	opts    Options
	run     RunOptions
	metrics *metrics.Metrics
	// tools, when set, adjusts the tools' options before the server is
	// made.
	tools func(*tools.Options)
	// wrap, when set, wraps the listener Run serves.
	wrap func(net.Listener) net.Listener
	// apiURL, when set, is the Alfe API instead of the recorder.
	apiURL string
	// hooks, when set, adds hooks to the server's, after the tools' own.
	hooks func(*server.Hooks)
	// unregistering, when set, runs in mcp-go's unregister hook of every
	// session, after the transport's own hook: the session has left the
	// transport's table, and mcp-go still knows it until this returns.
	unregistering func(id string)
}

// startServer serves the catalogue over opts' transport against a fresh
// upstream.
func startServer(t *testing.T, opts Options) *testServer {
	return startServerWith(t, setup{opts: opts})
}

// startServerWith serves the catalogue as s says against a fresh upstream,
// wired as alfe-mcp http wires it: the tools stop waiting when Run's
// context is done. The Options' and RunOptions' loggers write to ts.logs.
// When the test ends, Run must return nil, with no key in the logs.
func startServerWith(t *testing.T, s setup) *testServer {
	t.Helper()
	up := newUpstream(t)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apiURL := up.URL
	if s.apiURL != "" {
		apiURL = s.apiURL
	}
	base, err := apiclient.New(apiclient.Options{BaseURL: apiURL, Observe: s.metrics.Exchanges(nil), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(base.CloseIdleConnections)
	ctx, cancel := context.WithCancel(context.Background())
	to := tools.Options{Client: RequestClient(base), Logger: logger, StopWaiting: ctx.Done(), Metrics: s.metrics, PollInterval: 10 * time.Millisecond}
	if s.tools != nil {
		s.tools(&to)
	}
	srv, err := tools.NewServer(to)
	if err != nil {
		t.Fatal(err)
	}
	if s.hooks != nil {
		s.hooks(srv.GetHooks())
	}
	s.opts.Logger, s.run.Logger, s.opts.Metrics, s.run.Metrics = logger, logger, s.metrics, s.metrics
	h, err := New(srv, s.opts)
	if err != nil {
		t.Fatal(err)
	}
	ts := &testServer{up: up, logs: logs, h: h, stop: cancel, done: make(chan error, 1),
		ended: make(chan string, 1024), drainDelay: make(chan time.Time, 1)}
	if h.sessions != nil {
		prev := h.sessions.ended
		h.sessions.ended = func(id string) {
			prev(id)
			ts.ended <- id
		}
	}
	h.streams.changed = ts.streams.Changed
	if s.unregistering != nil {
		onSessionEnd(srv, s.unregistering) // after the transport's own hook
	}
	s.run.afterDrainDelay = func(time.Duration) <-chan time.Time { return ts.drainDelay }
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ts.addr = inner.Addr().String()
	ts.url = "http://" + ts.addr
	notifier := &closeNotifier{Listener: inner, closed: make(chan struct{})}
	ts.closed = notifier.closed
	var ln net.Listener = notifier
	if s.wrap != nil {
		ln = s.wrap(ln)
	}
	go func() { ts.done <- Run(ctx, ln, h, s.run) }()
	t.Cleanup(func() {
		cancel()
		select {
		case ts.drainDelay <- time.Time{}:
		default:
		}
		if err := ts.wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, k := range []string{keyA, keyB, defaultKey} {
			if strings.Contains(logs.String(), k) {
				t.Errorf("a key appears in the logs:\n%s", logs.String())
			}
		}
	})
	return ts
}

// closeNotifier is a listener that says when it is closed.
type closeNotifier struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

// Close closes the listener and, the first time, the channel closed.
func (l *closeNotifier) Close() error {
	l.once.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// initLegacy is a legacy-era initialize request.
const initLegacy = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// ownClient is an HTTP client of its own: its connections are closed when
// the test ends.
func ownClient(t *testing.T) *http.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// request is method path as a legacy-era client sends it, with key (""
// for none), session ("" for none) and body ("" for none).
func (ts *testServer) request(t *testing.T, method, path, key, session, body string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, ts.url+path, rd)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if session != "" {
		req.Header.Set("Mcp-Session-Id", session)
		req.Header.Set("Mcp-Protocol-Version", legacy)
	}
	return req
}

// reply is an HTTP response read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends method path with key ("" for none), session ("" for none) and
// body ("" for none) over hc and reads the whole response.
func (ts *testServer) do(t *testing.T, hc *http.Client, method, path, key, session, body string) reply {
	t.Helper()
	resp, err := hc.Do(ts.request(t, method, path, key, session, body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// initialize opens a legacy streamable HTTP session with key and returns
// its id, failing the test unless it is opened.
func (ts *testServer) initialize(t *testing.T, hc *http.Client, key string) string {
	t.Helper()
	r := ts.do(t, hc, "POST", MCPPath, key, "", initLegacy)
	id := r.header.Get("Mcp-Session-Id")
	if r.status != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q: %s", r.status, id, r.body)
	}
	return id
}

// endpoint is where a go-sdk client connects for this transport.
func (ts *testServer) endpoint(tr Transport) string {
	if tr == SSE {
		return ts.url + SSEPath
	}
	return ts.url + MCPPath
}

// bearer adds an Authorization header to every request (none when key is
// empty), as a remote host configured with a key does.
type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.key != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}

// httpClient returns a client that sends key; each has its own connections.
func httpClient(key string) *http.Client {
	return &http.Client{Transport: bearer{key: key, next: &http.Transport{}}}
}

// connect opens a go-sdk client session over tr with key, in the protocol
// era given by version ("" for the SDK's latest, the stateless 2026-07-28).
func connect(t *testing.T, ts *testServer, tr Transport, key, version string) *sdk.ClientSession {
	t.Helper()
	return connectWith(t, ts, tr, key, version, nil)
}

// connectWith is connect with the client's options, such as its handlers of
// requests from the server.
func connectWith(t *testing.T, ts *testServer, tr Transport, key, version string, opts *sdk.ClientOptions) *sdk.ClientSession {
	t.Helper()
	var transport sdk.Transport
	hc := httpClient(key)
	t.Cleanup(hc.CloseIdleConnections)
	if tr == SSE {
		transport = &sdk.SSEClientTransport{Endpoint: ts.endpoint(tr), HTTPClient: hc}
	} else {
		transport = &sdk.StreamableClientTransport{Endpoint: ts.endpoint(tr), HTTPClient: hc, MaxRetries: -1}
	}
	c := sdk.NewClient(&sdk.Implementation{Name: "httpserver-test", Version: "1"}, opts)
	cs, err := c.Connect(t.Context(), transport, &sdk.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect over %s (protocol %q): %v", tr, version, err)
	}
	t.Cleanup(func() {
		if err := cs.Close(); err != nil && !errors.Is(err, context.Canceled) {
			t.Logf("close: %v", err)
		}
	})
	return cs
}

// resultText is the text of a result's first text block.
func resultText(res *sdk.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			return tc.Text
		}
	}
	return ""
}

// logBuffer collects output safely across goroutines.
type logBuffer = testutil.SyncBuffer
