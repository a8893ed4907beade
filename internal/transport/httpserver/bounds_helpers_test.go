package httpserver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// Helpers of the tests of the bounds, the drain and the metrics (issue 11).

// initLegacy is a legacy-era initialize request.
const initLegacy = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`

// boundedServer is a Handler served by Run, with what the tests of its
// bounds need to watch.
type boundedServer struct {
	*testServer
	h *Handler
	// ended receives the id of every streamable HTTP session that leaves
	// the session table (mcp-go's unregister hook, or Terminate).
	ended chan string
	// drainDelay ends the drain delay of Run (RunOptions.DrainDelay must be
	// set for Run to wait on it).
	drainDelay chan time.Time
}

// bounded says how to start a boundedServer.
type bounded struct {
	opts    Options
	run     RunOptions
	metrics *metrics.Metrics
	// wrap, when set, wraps the listener Run serves.
	wrap func(net.Listener) net.Listener
	// apiURL, when set, is the Alfe API instead of the recorder.
	apiURL string
}

// startBounded serves the catalogue as b says against a fresh upstream.
// The tools stop waiting when Run's context is done, as alfe-mcp http
// wires them.
func startBounded(t *testing.T, b bounded) *boundedServer {
	t.Helper()
	up := newUpstream(t)
	logs := &logBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	apiURL := up.URL
	if b.apiURL != "" {
		apiURL = b.apiURL
	}
	base, err := apiclient.New(apiclient.Options{BaseURL: apiURL, Observe: b.metrics.Exchanges(nil), MaxAttempts: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := tools.NewServer(tools.Options{Client: RequestClient(base), Logger: logger, StopWaiting: ctx.Done(), Metrics: b.metrics, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	b.opts.Logger, b.run.Logger, b.opts.Metrics, b.run.Metrics = logger, logger, b.metrics, b.metrics
	h, err := New(srv, b.opts)
	if err != nil {
		t.Fatal(err)
	}
	bs := &boundedServer{h: h, ended: make(chan string, 1024), drainDelay: make(chan time.Time, 1)}
	if h.sessions != nil {
		prev := h.sessions.ended
		h.sessions.ended = func(id string) {
			prev(id)
			bs.ended <- id
		}
	}
	b.run.afterDrainDelay = func(time.Duration) <-chan time.Time { return bs.drainDelay }
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if b.wrap != nil {
		ln = b.wrap(ln)
	}
	bs.testServer = &testServer{url: "http://" + addr, addr: addr, up: up, logs: logs, stop: cancel, done: make(chan error, 1)}
	go func() { bs.done <- Run(ctx, ln, h, b.run) }()
	t.Cleanup(func() {
		cancel()
		select {
		case bs.drainDelay <- time.Time{}:
		default:
		}
		if err := bs.wait(); err != nil {
			t.Errorf("Run: %v", err)
		}
		for _, k := range []string{keyA, keyB, defaultKey} {
			if strings.Contains(logs.String(), k) {
				t.Errorf("a key appears in the logs:\n%s", logs.String())
			}
		}
	})
	return bs
}

// ownClient is an HTTP client of its own: its connections are closed when
// the test ends.
func ownClient(t *testing.T) *http.Client {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{}}
	t.Cleanup(hc.CloseIdleConnections)
	return hc
}

// reply is an HTTP response read whole.
type reply struct {
	status int
	header http.Header
	body   string
}

// do sends method path with key ("" for none), session ("" for none) and
// body ("" for none) and reads the whole response.
func (bs *boundedServer) do(t *testing.T, hc *http.Client, method, path, key, session, body string) reply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, bs.url+path, rd)
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
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{resp.StatusCode, resp.Header, string(b)}
}

// initialize opens a legacy streamable HTTP session with key and returns
// its id, failing the test unless it is opened.
func (bs *boundedServer) initialize(t *testing.T, hc *http.Client, key string) string {
	t.Helper()
	r := bs.do(t, hc, "POST", MCPPath, key, "", initLegacy)
	id := r.header.Get("Mcp-Session-Id")
	if r.status != http.StatusOK || id == "" {
		t.Fatalf("initialize: %d, session %q: %s", r.status, id, r.body)
	}
	return id
}

// rpcError reads the JSON-RPC error of a refusal.
func rpcError(t *testing.T, body string) (id json.RawMessage, code int, message string) {
	t.Helper()
	var m struct {
		ID    json.RawMessage `json:"id"`
		Error *struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Error == nil {
		t.Fatalf("not a JSON-RPC error: %s", body)
	}
	return m.ID, m.Error.Code, m.Error.Message
}

// wantRefusal checks a refusal: its status, Retry-After, and a JSON-RPC
// error naming the flag.
func wantRefusal(t *testing.T, r reply, status int, flag string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	if r.header.Get("Retry-After") == "" {
		t.Errorf("no Retry-After")
	}
	if _, code, msg := rpcError(t, r.body); code != rpcServerError || !strings.Contains(msg, "--"+flag) {
		t.Errorf("error %d %q does not name --%s", code, msg, flag)
	}
}

// eventually polls cond every few milliseconds until it holds, failing the
// test after a minute: a generous deadline for an event, not a bound on how
// fast it comes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("gave up waiting for %s", what)
		case <-time.After(5 * time.Millisecond):
		}
	}
}
