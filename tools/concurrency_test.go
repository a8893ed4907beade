package tools_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestStdioRunsSixteenCallsInParallel sends 16 tool calls at once over stdio
// to an upstream that holds every request until 16 are in flight together (a
// barrier). The calls can only all succeed if the server's worker pool runs
// at least 16 of them in parallel; with too few workers the barrier never
// opens and the upstream gives up after a generous deadline with a message
// that says so. Nothing here measures time.
func TestStdioRunsSixteenCallsInParallel(t *testing.T) {
	const calls = 16
	forEachEra(t, func(t *testing.T, e era) {
		var (
			inFlight, maxInFlight atomic.Int64
			open                  = make(chan struct{})
			openOnce              sync.Once
			starved               atomic.Bool
		)
		upstream := newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
			}
			if n >= calls {
				openOnce.Do(func() { close(open) })
			}
			select {
			case <-open:
				writeData(w, http.StatusOK, []any{map[string]any{"integrationId": "memory", "status": "active"}})
			case <-time.After(waitLimit):
				starved.Store(true)
				writeJSON(w, http.StatusInternalServerError, fmt.Sprintf(`{"error":{"message":"barrier: only %d of %d requests in flight at once"}}`, maxInFlight.Load(), calls))
			case <-r.Context().Done():
			}
		}))
		f := newFixture(t, upstream.URL, serverOptions{timeout: 3 * waitLimit})
		c := f.connect(t, e, stdio)

		var wg sync.WaitGroup
		errs := make(chan string, calls)
		for i := range calls {
			wg.Go(func() {
				res, err := callToolErr(context.Background(), c, "list_integrations", nil, nil)
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
		if got := upstream.requests.Load(); got != calls {
			t.Errorf("upstream received %d requests, want %d", got, calls)
		}
	})
}
