package stdio

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestSixteenCallsRunInParallel sends 16 tool calls at once over stdio
// to an upstream that holds every request until 16 are in flight together (a
// barrier): from 16 goroutines of an mcp-go client, and as 16 lines in one
// write (as the bench's burst does). The calls can only all succeed if the
// server's worker pool runs at least 16 of them in parallel; with too few
// workers the barrier never opens and the upstream gives up after a generous
// deadline with a message that says so. Nothing here measures time.
func TestSixteenCallsRunInParallel(t *testing.T) {
	const calls = 16
	type sender func(t *testing.T, e testutil.Era, ts *toolServer, errs chan<- string)
	viaClient := func(t *testing.T, e testutil.Era, ts *toolServer, errs chan<- string) {
		c := ts.connect(t, e, mcp.ClientCapabilities{})
		var wg sync.WaitGroup
		for i := range calls {
			wg.Go(func() {
				res, err := callTool(context.Background(), c, "list_integrations", nil)
				switch {
				case err != nil:
					errs <- fmt.Sprintf("call %d: JSON-RPC error: %v", i, err)
				case res.IsError:
					errs <- fmt.Sprintf("call %d: isError: %+v", i, res.Content)
				}
			})
		}
		wg.Wait()
	}
	inOneWrite := func(t *testing.T, e testutil.Era, ts *toolServer, errs chan<- string) {
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		done := make(chan error, 1)
		go func() { done <- Serve(context.Background(), ts.srv, inR, outW, ts.logger); outW.Close() }()
		// The legacy handshake and a call on its own, so that the server has
		// a worker and it is idle (as after the bench's sequential calls),
		// then the burst.
		lines := bufio.NewScanner(outR)
		lines.Buffer(nil, 1<<20)
		for _, line := range []string{
			`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"` + e.Version + `","capabilities":{},"clientInfo":{"name":"test","version":"1"}}}`,
			`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
			`{"jsonrpc":"2.0","id":100,"method":"tools/call","params":{"name":"get_integration_config","arguments":{"integrationId":"warm-up"}}}`,
		} {
			if _, err := io.WriteString(inW, line+"\n"); err != nil {
				errs <- err.Error()
				return
			}
			if strings.Contains(line, `"id"`) && !lines.Scan() {
				errs <- "no response to " + line
				return
			}
		}
		var burst strings.Builder
		for i := range calls {
			fmt.Fprintf(&burst, `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`+"\n", i+1)
		}
		go io.WriteString(inW, burst.String()) //nolint:errcheck // read back below
		for range calls {
			if !lines.Scan() {
				errs <- fmt.Sprintf("the output ended: %v", lines.Err())
				break
			}
			if line := lines.Text(); !strings.Contains(line, `"structuredContent"`) || strings.Contains(line, `"isError":true`) {
				errs <- "not a success: " + line
			}
		}
		inW.Close() //nolint:errcheck
		if err := <-done; err != nil {
			errs <- fmt.Sprintf("Serve: %v", err)
		}
	}
	for _, e := range testutil.Eras() {
		for name, send := range map[string]sender{"client": viaClient, "one write": inOneWrite} {
			if name == "one write" && e.Name != "legacy" {
				continue // raw lines: the legacy handshake only
			}
			t.Run(e.Name+"/"+name, func(t *testing.T) {
				var (
					inFlight, maxInFlight atomic.Int64
					open                  = make(chan struct{})
					openOnce              sync.Once
					starved               atomic.Bool
				)
				var requests atomic.Int64
				upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/agent/integrations" {
						http.NotFound(w, r) // the warm-up call
						return
					}
					requests.Add(1)
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
					}
					if n >= calls {
						openOnce.Do(func() { close(open) })
					}
					select {
					case <-open:
						w.Header().Set("Content-Type", "application/json")
						fmt.Fprint(w, `{"data":[{"integrationId":"memory","status":"active"}]}`)
					case <-time.After(waitLimit):
						starved.Store(true)
						w.Header().Set("Content-Type", "application/json")
						w.WriteHeader(http.StatusInternalServerError)
						fmt.Fprintf(w, `{"error":{"message":"barrier: only %d of %d requests in flight at once"}}`, maxInFlight.Load(), calls)
					case <-r.Context().Done():
					}
				}))
				t.Cleanup(upstream.Close)
				errs := make(chan string, 2*calls)
				send(t, e, newToolServer(t, upstream.URL), errs)
				close(errs)
				for msg := range errs {
					t.Error(msg)
				}
				if starved.Load() {
					t.Fatalf("the upstream never had %d requests in flight at once (at most %d within %s): the stdio worker pool does not run %d calls in parallel",
						calls, maxInFlight.Load(), waitLimit, calls)
				}
				if got := requests.Load(); got != calls {
					t.Errorf("upstream received %d requests, want %d", got, calls)
				}
			})
		}
	}
}
