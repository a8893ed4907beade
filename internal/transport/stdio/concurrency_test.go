package stdio

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/mark3labs/mcp-go/mcp"
)

// TestSixteenCallsRunInParallel sends 16 tool calls at once over stdio
// to an upstream that holds every request until 16 are in flight together (a
// barrier). The calls can only all succeed if the server's worker pool runs
// at least 16 of them in parallel; with too few workers the barrier never
// opens and the upstream gives up after a generous deadline with a message
// that says so. Nothing here measures time.
func TestSixteenCallsRunInParallel(t *testing.T) {
	const calls = 16
	for _, e := range testutil.Eras() {
		t.Run(e.Name, func(t *testing.T) {
			var (
				inFlight, maxInFlight atomic.Int64
				open                  = make(chan struct{})
				openOnce              sync.Once
				starved               atomic.Bool
			)
			var requests atomic.Int64
			upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
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
			c := newToolServer(t, upstream.URL).connect(t, e, mcp.ClientCapabilities{})

			var wg sync.WaitGroup
			errs := make(chan string, calls)
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
