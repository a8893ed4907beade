package httpserver

// Load: many concurrent MCP clients over streamable HTTP (the production
// chain of this package, served by Run), every call going through the API
// client to the sandbox. Zero errors; afterwards the
// server's goroutines are back to their count before the load, and its heap
// is bounded.
//
// Under -race the load is smaller (the race detector slows everything ten
// times); .ci/run also runs the full size without it:
//
//	go test -count=1 -run TestLoad -v ./internal/transport/httpserver/

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// loadHeapBound bounds the server's heap in use after the load and a GC.
const loadHeapBound = 64 << 20

// waitLimit bounds each wait of the load test (a call, the goroutines'
// settling), so that a broken server fails it instead of hanging it; it is
// never asserted on.
const waitLimit = 10 * time.Second

func TestLoad(t *testing.T) {
	clients, calls := 50, 200
	if testutil.RaceEnabled() || testing.Short() {
		calls = 20
	}

	// The server: the sandbox upstream, the tools, the streamable HTTP
	// handler on a loopback port.
	sb, err := sandbox.Listen(sandbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sb.Close() })
	api, err := apiclient.New(apiclient.Options{BaseURL: sb.URL(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	discard := slog.New(slog.DiscardHandler)
	srv, err := tools.NewServer(tools.Options{Client: RequestClient(api), Logger: discard, Version: "load"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(srv, Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey, Logger: discard})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Run(ctx, ln, h, RunOptions{ShutdownTimeout: 5 * time.Second, Logger: discard})
	}()
	t.Cleanup(func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("Run: %v", err)
		}
		api.CloseIdleConnections()
	})
	url := "http://" + ln.Addr().String() + MCPPath

	// Idle keep-alive connections are caches, not leaks: both pools (the
	// clients' and the server's to the upstream) are emptied before each
	// count.
	before, heapBefore := settledGoroutines(api), heapInUse()

	type result struct {
		d   time.Duration
		err string
	}
	results := make([][]result, clients)
	toolCalls := []struct {
		name string
		args map[string]any
	}{
		{"list_integrations", nil},
		{"get_registry", map[string]any{"query": "git"}},
		{"get_integration_config", map[string]any{"integrationId": "memory"}},
		{"get_oauth_status", map[string]any{"provider": "github"}},
	}
	eras := testutil.Eras()
	var failed atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for i := range clients {
		wg.Go(func() {
			e := eras[i%len(eras)] // half modern, half legacy
			hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			defer hc.CloseIdleConnections()
			tr, err := transport.NewStreamableHTTP(url, transport.WithHTTPBasicClient(hc))
			if err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			c := client.NewClient(tr, e.Opts...)
			defer c.Close()
			if err := c.Start(context.Background()); err != nil {
				t.Errorf("client %d: start: %v", i, err)
				return
			}
			if err := initializeErr(c, e); err != nil {
				t.Errorf("client %d: %v", i, err)
				return
			}
			rs := make([]result, 0, calls)
			for n := range calls {
				tc := toolCalls[(i+n)%len(toolCalls)]
				t0 := time.Now()
				res, err := loadCall(c, tc.name, tc.args)
				r := result{d: time.Since(t0)}
				switch {
				case err != nil:
					r.err = fmt.Sprintf("%s: JSON-RPC error: %v", tc.name, err)
				case res.IsError:
					r.err = fmt.Sprintf("%s: isError: %v", tc.name, res.Content)
				}
				if r.err != "" {
					failed.Add(1)
				}
				rs = append(rs, r)
			}
			results[i] = rs
		})
	}
	wg.Wait()
	elapsed := time.Since(start)

	var ds []time.Duration
	var errs []string
	for _, rs := range results {
		for _, r := range rs {
			ds = append(ds, r.d)
			if r.err != "" && len(errs) < 5 {
				errs = append(errs, r.err)
			}
		}
	}
	if n := failed.Load(); n > 0 || len(ds) != clients*calls {
		t.Errorf("%d of %d calls failed (%d made), e.g.:\n%v", n, clients*calls, len(ds), errs)
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration {
		if len(ds) == 0 {
			return 0
		}
		return ds[min(len(ds)-1, int(p*float64(len(ds))))]
	}

	after, heapAfter := settledGoroutinesTo(t, api, before), heapInUse()
	t.Logf("load: %d clients x %d calls = %d calls in %v: %.0f calls/s, p50 %v, p99 %v, max %v; goroutines %d before, %d after; heap in use %.1f MiB before, %.1f MiB after (race %v)",
		clients, calls, len(ds), elapsed.Round(time.Millisecond), float64(len(ds))/elapsed.Seconds(),
		pct(0.50).Round(10*time.Microsecond), pct(0.99).Round(10*time.Microsecond), pct(1).Round(10*time.Microsecond),
		before, after, float64(heapBefore)/(1<<20), float64(heapAfter)/(1<<20), testutil.RaceEnabled())
	if after > before {
		t.Errorf("%d goroutines after the load, %d before: a leak", after, before)
	}
	if heapAfter > loadHeapBound {
		t.Errorf("heap in use after the load and a GC: %.1f MiB, over %d MiB", float64(heapAfter)/(1<<20), loadHeapBound>>20)
	}
}

// loadCall calls a tool; an error is a JSON-RPC error.
func loadCall(c *client.Client, name string, args map[string]any) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*waitLimit)
	defer cancel()
	var req mcp.CallToolRequest
	req.Params.Name = name
	req.Params.Arguments = args
	return c.CallTool(ctx, req)
}

// initializeErr is initialize without a *testing.T (for goroutines).
func initializeErr(c *client.Client, e testutil.Era) error {
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req := mcp.InitializeRequest{}
	req.Params.ClientInfo = mcp.Implementation{Name: "alfe-mcp-load-test", Version: "1.0.0"}
	if _, err := c.Initialize(ctx, req); err != nil {
		return fmt.Errorf("initialize (%s): %w", e.Name, err)
	}
	if got := c.ProtocolVersion(); got != e.Version {
		return fmt.Errorf("negotiated protocol version %q, want %q", got, e.Version)
	}
	return nil
}

// settledGoroutines empties the idle pools and returns the goroutine count
// once it stops falling (bounded).
func settledGoroutines(api *apiclient.Client) int {
	n := -1
	for range 50 {
		api.CloseIdleConnections()
		runtime.GC()
		m := runtime.NumGoroutine()
		if m == n {
			return m
		}
		n = m
		time.Sleep(20 * time.Millisecond)
	}
	return n
}

// settledGoroutinesTo waits (bounded) for the goroutine count to fall to
// want, and returns the last count.
func settledGoroutinesTo(t *testing.T, api *apiclient.Client, want int) int {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for {
		api.CloseIdleConnections()
		n := runtime.NumGoroutine()
		if n <= want || time.Now().After(deadline) {
			return n
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// heapInUse is HeapInuse after a GC.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}
