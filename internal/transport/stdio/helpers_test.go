package stdio

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcptransport "github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// waitLimit bounds each wait for something asynchronous, so that a broken
// server fails a test instead of hanging it. It is never asserted on.
const waitLimit = 10 * time.Second

// testKey is the agent API key of the tests' server.
const testKey = "sk_test_STDIO_0123"

// toolServer is the catalogue, as main builds it, talking to an upstream
// with testKey and logging at debug level into logs.
type toolServer struct {
	srv    *server.MCPServer
	logger *slog.Logger
	logs   *testutil.SyncBuffer
	// endOfInput ends the calls that only wait, as alfe-mcp stdio does at
	// the end of its input (Options.EndOfInput).
	endOfInput func()
}

// newToolServer builds the catalogue's server against upstream.
func newToolServer(t *testing.T, upstream string) *toolServer {
	t.Helper()
	api, err := apiclient.New(apiclient.Options{BaseURL: upstream, APIKey: testKey, Timeout: 3 * waitLimit})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	stop := make(chan struct{})
	srv, err := tools.NewServer(tools.Options{Client: tools.StaticClient(api), Logger: logger, StopWaiting: stop, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return &toolServer{srv: srv, logger: logger, logs: logs, endOfInput: sync.OnceFunc(func() { close(stop) })}
}

// connect serves ts with Serve over a pair of pipes and returns an mcp-go
// client of it, with opts, started and initialized in era e with the
// client capabilities caps. Closing the client at the end of the test ends
// Serve, which must return nil.
func (ts *toolServer) connect(t *testing.T, e testutil.Era, caps mcp.ClientCapabilities, opts ...client.ClientOption) *client.Client {
	t.Helper()
	return ts.connectTapped(t, e, caps, nil, opts...)
}

// connectTapped is connect with wire, when non-nil, receiving a copy of
// every line either side writes.
func (ts *toolServer) connectTapped(t *testing.T, e testutil.Era, caps mcp.ClientCapabilities, wire *wireTap, opts ...client.ClientOption) *client.Client {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var toClient, toServer io.Writer = outW, inW
	if wire != nil {
		// The tap first: it holds a line before the other side reads it.
		toClient, toServer = io.MultiWriter(wire.fromServer(), outW), io.MultiWriter(wire.fromClient(), inW)
	}
	go func() {
		done <- Serve(ctx, ts.srv, inR, toClient, ts.logger)
		outW.Close()
	}()
	c := client.NewClient(mcptransport.NewIO(outR, nopCloser{Writer: toServer, closer: inW}, nil), slices.Concat(e.Opts, opts)...)
	t.Cleanup(func() {
		_ = c.Close() // closes the server's stdin
		go func() { _, _ = io.Copy(io.Discard, outR) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return within %s of its input closing", waitLimit)
		}
		cancel()
	})
	// The client's context is its life: it handles the server's requests
	// (elicitation) with it.
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	initCtx, stop := context.WithTimeout(context.Background(), waitLimit)
	defer stop()
	var init mcp.InitializeRequest
	init.Params.ClientInfo = mcp.Implementation{Name: "stdio-test", Version: "1"}
	init.Params.Capabilities = caps
	if _, err := c.Initialize(initCtx, init); err != nil {
		t.Fatalf("initialize (%s): %v", e.Name, err)
	}
	if got := c.ProtocolVersion(); got != e.Version {
		t.Fatalf("negotiated protocol version %q, want %q (%s era)", got, e.Version, e.Name)
	}
	return c
}

// callTool calls a tool; an error is a JSON-RPC error.
func callTool(ctx context.Context, c *client.Client, name string, args any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*waitLimit)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

// nopCloser is a writer whose Close closes closer (the pipe behind a tap).
type nopCloser struct {
	io.Writer
	closer io.Closer
}

// Close closes the pipe.
func (n nopCloser) Close() error { return n.closer.Close() }
