package apiclient

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Failures to get a whole response: timeouts, cancellations, refused, reset
// and broken connections; and the reuse of connections.

// TestTimeouts checks that stalls give a *TimeoutError that is a
// context.DeadlineExceeded, after one attempt: the call's deadline is spent,
// and a request that got its response's headers reached the API (retry.go).
func TestTimeouts(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"headers stall", func(_ http.ResponseWriter, r *http.Request) {
			<-r.Context().Done()
		}},
		{"body stalls after headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			_, _ = io.WriteString(w, `{"data":[`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
		{"error body stalls after headers", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100")
			w.WriteHeader(500)
			_, _ = io.WriteString(w, `{"error":`)
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log exchangeLog
			u := newUpstream(t, tt.handler)
			c := newClient(t, u.URL, func(o *Options) {
				o.Timeout = 100 * time.Millisecond
				o.Observe = log.observe
			})
			_, err := c.ListIntegrations(t.Context())
			var te *TimeoutError
			if !errors.As(err, &te) {
				t.Fatalf("err = %v (%T), want a *TimeoutError", err, err)
			}
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("errors.Is(err, context.DeadlineExceeded) = false for %v", err)
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("a timeout is reported as a cancellation: %v", err)
			}
			if te.Method != "GET" || te.Path != "/agent/integrations" || te.After != 100*time.Millisecond {
				t.Errorf("TimeoutError = %+v", te)
			}
			// At most one: the timeout, which must fire, may fire before
			// a loaded upstream has even read the request.
			if n := len(u.requests()); n > 1 {
				t.Errorf("upstream got %d requests, want 1", n)
			}
			if strings.Contains(err.Error(), "attempts") {
				t.Errorf("error %q mentions attempts for a single one", err)
			}
			if evs := log.exchanges(); len(evs) != 1 || evs[0].Err != err {
				t.Errorf("Observe got %+v, want one exchange with the returned error", evs)
			}
		})
	}
}

// TestCallerDeadlineWithoutClientTimeout checks a caller's deadline when the
// client's own timeout is disabled.
func TestCallerDeadlineWithoutClientTimeout(t *testing.T) {
	u := newUpstream(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	c := newClient(t, u.URL, func(o *Options) { o.Timeout = -1 })
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.ListIntegrations(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
}

// TestCancellation checks that a caller's cancellation is reported as such,
// not as a timeout.
func TestCancellation(t *testing.T) {
	errShutdown := errors.New("shutting down")
	tests := []struct {
		name      string
		ctx       func(parent context.Context) (context.Context, func())
		wantCause error
	}{
		{"cancel", func(p context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancel(p)
			return ctx, cancel
		}, nil},
		{"cancel with cause", func(p context.Context) (context.Context, func()) {
			ctx, cancel := context.WithCancelCause(p)
			return ctx, func() { cancel(errShutdown) }
		}, errShutdown},
	}
	stalls := []struct {
		name    string
		handler func(arrived chan<- struct{}) http.HandlerFunc
	}{
		{"before headers", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(_ http.ResponseWriter, r *http.Request) {
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
		{"during body", func(arrived chan<- struct{}) http.HandlerFunc {
			return func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(200)
				_, _ = io.WriteString(w, `{"data":[`)
				w.(http.Flusher).Flush()
				arrived <- struct{}{}
				<-r.Context().Done()
			}
		}},
	}
	for _, tt := range tests {
		for _, st := range stalls {
			t.Run(tt.name+"/"+st.name, func(t *testing.T) {
				arrived := make(chan struct{}, 1)
				u := newUpstream(t, st.handler(arrived))
				c := newClient(t, u.URL)
				ctx, cancel := tt.ctx(t.Context())
				go func() {
					<-arrived
					cancel()
				}()
				_, err := c.ListIntegrations(ctx)
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("err = %v (%T), want one satisfying errors.Is(err, context.Canceled)", err, err)
				}
				var te *TimeoutError
				if errors.As(err, &te) || errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("a cancellation is reported as a timeout: %v", err)
				}
				if tt.wantCause != nil && !errors.Is(err, tt.wantCause) {
					t.Errorf("err = %v, want it to carry the cause %v", err, tt.wantCause)
				}
			})
		}
	}
	t.Run("already cancelled", func(t *testing.T) {
		u := newUpstream(t, respond(200, `{"data":[]}`))
		c := newClient(t, u.URL)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		_, err := c.ListIntegrations(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		if n := len(u.requests()); n != 0 {
			t.Errorf("upstream got %d requests after cancellation", n)
		}
	})
}

func TestNetworkErrors(t *testing.T) {
	tests := []struct {
		name     string
		base     func(t *testing.T) string
		attempts int // GET retries failures before any response arrived, not after (retry.go)
	}{
		{"connection refused", func(t *testing.T) string { return "http://" + closedAddr(t) }, DefaultMaxAttempts},
		{"connection reset", func(t *testing.T) string {
			return newUpstream(t, func(w http.ResponseWriter, _ *http.Request) { resetConn(w) }).URL
		}, DefaultMaxAttempts},
		{"connection closed mid-body", func(t *testing.T) string {
			return newUpstream(t, hijacker(t, func(conn net.Conn) {
				_, _ = io.WriteString(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"data\":[")
				conn.Close()
			})).URL
		}, 1},
		{"malformed response", func(t *testing.T) string {
			return newUpstream(t, hijacker(t, func(conn net.Conn) {
				_, _ = io.WriteString(conn, "this is not HTTP\r\n\r\n")
				conn.Close()
			})).URL
		}, DefaultMaxAttempts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log exchangeLog
			c := newClient(t, tt.base(t), func(o *Options) { o.Observe = log.observe })
			_, err := c.ListIntegrations(t.Context())
			var ne *NetworkError
			if !errors.As(err, &ne) {
				t.Fatalf("err = %v (%T), want a *NetworkError", err, err)
			}
			if ne.Err == nil || ne.Method != "GET" || ne.Path != "/agent/integrations" {
				t.Errorf("NetworkError = %+v", ne)
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a network error is reported as a context error: %v", err)
			}
			if !strings.Contains(err.Error(), "GET /agent/integrations") {
				t.Errorf("err %q does not name the request", err)
			}
			if ne.Attempts != tt.attempts {
				t.Errorf("NetworkError.Attempts = %d, want %d", ne.Attempts, tt.attempts)
			}
			if note := strings.Contains(err.Error(), "attempts"); note != (tt.attempts > 1) {
				t.Errorf("error %q: mentions attempts = %v, want %v", err, note, tt.attempts > 1)
			}
			evs := log.exchanges()
			if len(evs) != tt.attempts || evs[len(evs)-1].Err != err {
				t.Fatalf("Observe got %+v, want %d exchanges, the last with the returned error", evs, tt.attempts)
			}
			for i, ev := range evs {
				if ev.Attempt != i+1 || ev.Method != "GET" || ev.Path != "/agent/integrations" {
					t.Errorf("exchange %d = %s %s attempt %d, want GET /agent/integrations attempt %d", i, ev.Method, ev.Path, ev.Attempt, i+1)
				}
				if tt.name != "connection closed mid-body" && ev.StatusCode != 0 {
					t.Errorf("Observe status = %d, want 0 when no response arrived", ev.StatusCode)
				}
			}
		})
	}
	t.Run("refused is a net.OpError", func(t *testing.T) {
		c := newClient(t, "http://"+closedAddr(t))
		_, err := c.Whoami(t.Context())
		var op *net.OpError
		if !errors.As(err, &op) {
			t.Errorf("err = %v: its chain lost the *net.OpError", err)
		}
	})
}

// barrier releases its waiters once n of them have arrived, or fails them
// after a generous deadline instead of hanging the test.
type barrier struct {
	n       int
	mu      sync.Mutex
	arrived int
	all     chan struct{}
}

func newBarrier(n int) *barrier { return &barrier{n: n, all: make(chan struct{})} }

// wait returns false when the others did not arrive in time.
func (b *barrier) wait(ctx context.Context) bool {
	b.mu.Lock()
	b.arrived++
	if b.arrived == b.n {
		close(b.all)
	}
	b.mu.Unlock()
	select {
	case <-b.all:
		return true
	case <-ctx.Done():
		return false
	case <-time.After(15 * time.Second):
		return false
	}
}

// TestConnectionReuse holds n concurrent requests at once, twice: the second
// round, half of it through WithAPIKey copies, must reuse the first round's
// connections.
func TestConnectionReuse(t *testing.T) {
	const n = 16
	var (
		newConns atomic.Int64
		bar      atomic.Pointer[barrier]
		mu       sync.Mutex
		keys     = map[string]int{}
	)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !bar.Load().wait(r.Context()) {
			http.Error(w, "barrier: not all requests arrived in time", http.StatusGatewayTimeout)
			return
		}
		mu.Lock()
		keys[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"data":[]}`)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			newConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c := newClient(t, srv.URL, func(o *Options) { o.Timeout = 30 * time.Second })

	round := func(clientFor func(i int) *Client) {
		t.Helper()
		bar.Store(newBarrier(n))
		errs := make(chan error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				_, err := clientFor(i).ListIntegrations(t.Context())
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("request: %v", err)
			}
		}
	}

	round(func(int) *Client { return c })
	warm := newConns.Load()
	if warm != n {
		t.Errorf("warm-up round opened %d connections, want %d", warm, n)
	}

	round(func(i int) *Client {
		if i%2 == 0 {
			return c
		}
		return c.WithAPIKey(fmt.Sprintf("copy_key_%08d_sk", i))
	})
	if got := newConns.Load(); got != warm {
		t.Errorf("second round opened %d new connections, want 0", got-warm)
	}

	mu.Lock()
	defer mu.Unlock()
	if keys[testKey] != n+n/2 {
		t.Errorf("original key sent %d times, want %d", keys[testKey], n+n/2)
	}
	for i := 1; i < n; i += 2 {
		if k := fmt.Sprintf("copy_key_%08d_sk", i); keys[k] != 1 {
			t.Errorf("copy key %s sent %d times, want 1", k, keys[k])
		}
	}
}
