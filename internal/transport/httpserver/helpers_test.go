package httpserver

import (
	"context"
	"errors"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/mark3labs/mcp-go/server"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
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
	stop context.CancelFunc // cancels Run's context
	done chan error         // Run's result
	// closed is closed when Run closes the listener: the server has begun
	// to shut down.
	closed <-chan struct{}

	waitOnce sync.Once
	runErr   error
}

// wait returns Run's result, once Run has returned.
func (ts *testServer) wait() error {
	ts.waitOnce.Do(func() { ts.runErr = <-ts.done })
	return ts.runErr
}

// startServer serves the catalogue over opts' transport against a fresh
// upstream. opts.Logger is replaced by one writing to ts.logs.
func startServer(t *testing.T, opts Options) *testServer {
	return startServerWith(t, opts, RunOptions{})
}

// startServerWith is startServer with Run's options.
func startServerWith(t *testing.T, opts Options, runOpts RunOptions) *testServer {
	t.Helper()
	return startServerTools(t, opts, runOpts, nil)
}

// startServerTools is startServerWith with the tools' options adjusted by
// mod when non-nil.
func startServerTools(t *testing.T, opts Options, runOpts RunOptions, mod func(*tools.Options)) *testServer {
	t.Helper()
	up := newUpstream(t)
	base, err := apiclient.New(apiclient.Options{BaseURL: up.URL})
	if err != nil {
		t.Fatal(err)
	}
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	to := tools.Options{Client: RequestClient(base), Logger: logger}
	if mod != nil {
		mod(&to)
	}
	srv, err := tools.NewServer(to)
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, srv, opts, runOpts, up, logs, logger)
}

func serve(t *testing.T, srv *server.MCPServer, opts Options, runOpts RunOptions, up *testutil.Recorder, logs *logBuffer, logger *slog.Logger) *testServer {
	t.Helper()
	opts.Logger, runOpts.Logger = logger, logger
	h, err := New(srv, opts)
	if err != nil {
		t.Fatal(err)
	}
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &closeNotifier{Listener: inner, closed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	ts := &testServer{url: "http://" + ln.Addr().String(), addr: ln.Addr().String(), up: up, logs: logs, stop: cancel, done: make(chan error, 1), closed: ln.closed}
	go func() { ts.done <- Run(ctx, ln, h, runOpts) }()
	t.Cleanup(func() {
		cancel()
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
