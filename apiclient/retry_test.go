package apiclient

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// waitRecorder replaces a client's backoff wait: it records every wait it is
// asked for and returns at once (or with ctx's error when ctx is done). Its
// clock stands still at base (the time of install) plus the waits it
// skipped, so that the deadline check sees the time the waits would have
// taken, and a Retry-After date made from base means the same wait however
// long the exchange took.
type waitRecorder struct {
	mu    sync.Mutex
	waits []time.Duration
	slept time.Duration
	base  time.Time
}

func (w *waitRecorder) install(c *Client) {
	w.base = time.Now()
	c.retry.sleep = func(ctx context.Context, d time.Duration) error {
		w.mu.Lock()
		w.waits = append(w.waits, d)
		w.slept += d
		w.mu.Unlock()
		return ctx.Err()
	}
	c.retry.now = w.now
}

// now is the recorder's clock: base plus the waits skipped so far.
func (w *waitRecorder) now() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.base.Add(w.slept)
}

func (w *waitRecorder) recorded() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.waits...)
}

// TestBackoffBounds checks full jitter: the wait before retry n is within
// [0, min(max, base·2^(n-1))], and the whole range is used.
func TestBackoffBounds(t *testing.T) {
	p := defaultRetryPolicy(0)
	tests := []struct {
		retry int
		want  time.Duration // the ceiling
	}{
		{0, RetryBaseDelay}, // treated as the first retry
		{1, RetryBaseDelay},
		{2, 2 * RetryBaseDelay},
		{3, 4 * RetryBaseDelay},
		{4, 8 * RetryBaseDelay},
		{5, RetryMaxDelay},
		{10, RetryMaxDelay},
		{64, RetryMaxDelay},      // no overflow of the shift
		{1 << 30, RetryMaxDelay}, // nor of the loop
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.retry), func(t *testing.T) {
			if got := p.backoffCeiling(tt.retry); got != tt.want {
				t.Fatalf("backoffCeiling(%d) = %v, want %v", tt.retry, got, tt.want)
			}
			// The jitter is asked for exactly the ceiling...
			var asked time.Duration
			fixed := p
			fixed.jitter = func(d time.Duration) time.Duration { asked = d; return d }
			if got, ok := fixed.wait(tt.retry, errors.New("no response")); !ok || got != tt.want || asked != tt.want {
				t.Errorf("wait = %v, %v (jitter asked for %v), want %v", got, ok, asked, tt.want)
			}
			// ...and the real jitter stays within [0, ceiling], using both
			// halves of it (the chance of 2000 draws missing one is 2^-2000).
			var low, high bool
			for range 2000 {
				got, ok := p.wait(tt.retry, errors.New("no response"))
				if !ok || got < 0 || got > tt.want {
					t.Fatalf("wait = %v, %v; want within [0, %v]", got, ok, tt.want)
				}
				low = low || got < tt.want/2
				high = high || got >= tt.want/2
			}
			if !low || !high {
				t.Errorf("2000 waits all in one half of [0, %v]: low %v, high %v", tt.want, low, high)
			}
		})
	}
	if got := uniformJitter(0); got != 0 {
		t.Errorf("uniformJitter(0) = %v", got)
	}
}

// TestRetryAfterWait checks that a Retry-After replaces the backoff when it
// is at most the cap, and stops the retries when it is longer.
func TestRetryAfterWait(t *testing.T) {
	p := defaultRetryPolicy(0)
	p.jitter = func(time.Duration) time.Duration { return 42 }
	tests := []struct {
		name   string
		after  time.Duration
		want   time.Duration
		wantOK bool
	}{
		{"none: jittered backoff", 0, 42, true},
		{"short", 2 * time.Second, 2 * time.Second, true},
		{"at the cap", MaxRetryAfter, MaxRetryAfter, true},
		{"over the cap", MaxRetryAfter + time.Second, 0, false},
		{"a day", 24 * time.Hour, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fmt.Errorf("wrapped: %w", &APIError{StatusCode: 429, RetryAfter: tt.after})
			got, ok := p.wait(1, err)
			if got != tt.want || ok != tt.wantOK {
				t.Errorf("wait = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

// TestRetryMatrix checks which responses are retried for which methods, and
// that the error of the last attempt says how many attempts were made.
func TestRetryMatrix(t *testing.T) {
	methods := []struct {
		name   string
		method string
		run    func(ctx context.Context, c *Client) error
	}{
		{"GET", "GET", func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err }},
		{"PATCH", "PATCH", func(ctx context.Context, c *Client) error {
			_, err := c.UpdateIntegrationConfig(ctx, "memory", map[string]any{"autoRecall": true})
			return err
		}},
		{"DELETE", "DELETE", func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "memory") }},
		{"POST", "POST", func(ctx context.Context, c *Client) error {
			_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "memory"})
			return err
		}},
	}
	statuses := []struct {
		status    int
		retryable bool
	}{
		{400, false}, {401, false}, {404, false}, {409, false}, {429, true},
		{500, false}, {501, false}, {502, true}, {503, true}, {504, true},
	}
	for _, m := range methods {
		for _, st := range statuses {
			for _, maxAttempts := range []int{0, 1, 2, 5} {
				t.Run(fmt.Sprintf("%s/%d/maxAttempts=%d", m.name, st.status, maxAttempts), func(t *testing.T) {
					u := newUpstream(t, respond(st.status, `{"error":{"message":"nope"}}`))
					c := newClient(t, u.URL, func(o *Options) { o.MaxAttempts = maxAttempts })
					var w waitRecorder
					w.install(c)
					err := m.run(t.Context(), c)

					want := 1
					if st.retryable && m.method != "POST" {
						want = maxAttempts
						if want == 0 {
							want = DefaultMaxAttempts
						}
					}
					reqs := u.requests()
					if len(reqs) != want {
						t.Fatalf("upstream got %d requests, want %d", len(reqs), want)
					}
					for _, r := range reqs {
						if r.Method != m.method {
							t.Errorf("request method %s, want %s", r.Method, m.method)
						}
						if string(r.Body) != string(reqs[0].Body) {
							t.Errorf("a retry sent body %q, the first attempt %q", r.Body, reqs[0].Body)
						}
					}
					if got := len(w.recorded()); got != want-1 {
						t.Errorf("%d waits between %d attempts", got, want)
					}
					apiErr := asAPIError(t, err)
					if apiErr.StatusCode != st.status || apiErr.Attempts != want {
						t.Errorf("APIError status %d attempts %d, want %d and %d", apiErr.StatusCode, apiErr.Attempts, st.status, want)
					}
					note := fmt.Sprintf("after %d attempts", want)
					if got := strings.Contains(err.Error(), note); got != (want > 1) {
						t.Errorf("error %q: mentions %q = %v, want %v", err, note, got, want > 1)
					}
				})
			}
		}
	}
}

// TestRetryRecovers checks that a transient failure followed by a success is
// a success, for each retryable kind of failure.
func TestRetryRecovers(t *testing.T) {
	failures := []struct {
		name string
		fail http.HandlerFunc
	}{
		{"503", respond(503, `{"message":"overloaded"}`)},
		{"429", respond(429, `{"message":"slow down"}`, "Retry-After", "1")},
		{"502 html", respond(502, `<html><title>502 Bad Gateway</title></html>`, "Content-Type", "text/html")},
		{"504", respond(504, ``)},
		{"reset", func(w http.ResponseWriter, _ *http.Request) { resetConn(w) }},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			var n atomic.Int32
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) < DefaultMaxAttempts {
					f.fail(w, r)
					return
				}
				respond(200, `{"data":{"agentId":"agt_1","tenantId":"t"}}`)(w, r)
			})
			c := newClient(t, u.URL)
			var log exchangeLog
			c.observe = log.observe
			id, err := c.Whoami(t.Context())
			if err != nil || id.Fields.AgentID != "agt_1" {
				t.Fatalf("Whoami = %+v, %v; want a success on the last attempt", id, err)
			}
			if got := len(u.requests()); got != DefaultMaxAttempts {
				t.Errorf("upstream got %d requests, want %d", got, DefaultMaxAttempts)
			}
			evs := log.exchanges()
			for i, ev := range evs {
				if ev.Attempt != i+1 || (i < len(evs)-1) != (ev.Err != nil) {
					t.Errorf("exchange %d = attempt %d, err %v", i, ev.Attempt, ev.Err)
				}
			}
		})
	}
}

// TestRetryAfterHonoured checks the waits a Retry-After asks for, in both
// of its forms, and that one over the cap is not waited for.
func TestRetryAfterHonoured(t *testing.T) {
	// A date is made from the client's standing clock (waitRecorder.now):
	// HTTP dates have whole seconds, so now+4s reads as a wait in (3 s, 4 s]
	// however long the exchange took.
	tests := []struct {
		name       string
		header     func(base time.Time) string
		wantMin    time.Duration // each wait at least this
		wantMax    time.Duration // and at most this
		wantTries  int
		wantRetryA time.Duration // APIError.RetryAfter of the last response, at least
	}{
		{"seconds", func(time.Time) string { return "3" }, 3 * time.Second, 3 * time.Second, DefaultMaxAttempts, 3 * time.Second},
		{"http date", func(base time.Time) string { return base.Add(4 * time.Second).UTC().Format(http.TimeFormat) }, 3*time.Second + 1, 4 * time.Second, DefaultMaxAttempts, 3 * time.Second},
		{"seconds over the cap", func(time.Time) string { return "120" }, 0, 0, 1, 120 * time.Second},
		{"date over the cap", func(base time.Time) string { return base.Add(time.Hour).UTC().Format(http.TimeFormat) }, 0, 0, 1, 59 * time.Minute},
		{"date in the past: backoff", func(time.Time) string { return "Mon, 02 Jan 2006 15:04:05 GMT" }, 0, RetryMaxDelay, DefaultMaxAttempts, 0},
		{"garbage: backoff", func(time.Time) string { return "soon" }, 0, RetryMaxDelay, DefaultMaxAttempts, 0},
	}
	for _, status := range []int{429, 503} {
		for _, tt := range tests {
			t.Run(fmt.Sprintf("%d/%s", status, tt.name), func(t *testing.T) {
				var w waitRecorder
				u := newUpstream(t, func(rw http.ResponseWriter, r *http.Request) {
					respond(status, `{"message":"later"}`, "Retry-After", tt.header(w.now()))(rw, r)
				})
				c := newClient(t, u.URL, func(o *Options) { o.Timeout = time.Minute })
				w.install(c)
				_, err := c.GetOAuthStatus(t.Context(), "github")
				apiErr := asAPIError(t, err)
				if got := len(u.requests()); got != tt.wantTries || apiErr.Attempts != tt.wantTries {
					t.Fatalf("upstream got %d requests, error says %d attempts; want %d", got, apiErr.Attempts, tt.wantTries)
				}
				if apiErr.RetryAfter < tt.wantRetryA {
					t.Errorf("RetryAfter = %v, want at least %v", apiErr.RetryAfter, tt.wantRetryA)
				}
				waits := w.recorded()
				if len(waits) != tt.wantTries-1 {
					t.Fatalf("waits %v, want %d", waits, tt.wantTries-1)
				}
				for _, d := range waits {
					if d < tt.wantMin || d > tt.wantMax {
						t.Errorf("waited %v, want within [%v, %v]", d, tt.wantMin, tt.wantMax)
					}
				}
			})
		}
	}
}

// TestRetryDeadline checks that the waits never overrun the call's deadline:
// a wait that would end past it is not started, and the last error comes
// back at once (not a timeout).
func TestRetryDeadline(t *testing.T) {
	tests := []struct {
		name      string
		timeout   time.Duration
		header    string // Retry-After
		jitterMax bool   // the jitter returns its ceiling
		wantTries int
		wantWaits []time.Duration
	}{
		// Backoff ceilings 200, 400, 800 ms: 200+400 fit in 1 s, 200+400+800 do not.
		{"backoff", time.Second, "", true, 3, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond}},
		{"backoff fits", 10 * time.Second, "", true, 5, []time.Duration{200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, 1600 * time.Millisecond}},
		{"retry-after longer than the timeout", 2 * time.Second, "3", false, 1, nil},
		{"retry-after fits twice", 5 * time.Second, "2", false, 3, []time.Duration{2 * time.Second, 2 * time.Second}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if tt.header != "" {
					w.Header().Set("Retry-After", tt.header)
				}
				respond(503, `{"message":"down"}`)(w, r)
			})
			c := newClient(t, u.URL, func(o *Options) { o.Timeout = tt.timeout; o.MaxAttempts = 5 })
			var w waitRecorder
			w.install(c)
			if tt.jitterMax {
				c.retry.jitter = func(d time.Duration) time.Duration { return d }
			}
			_, err := c.ListIntegrations(t.Context())
			apiErr := asAPIError(t, err) // the last response, not a timeout
			if got := len(u.requests()); got != tt.wantTries || apiErr.Attempts != tt.wantTries {
				t.Errorf("upstream got %d requests, error says %d attempts; want %d", got, apiErr.Attempts, tt.wantTries)
			}
			waits := w.recorded()
			if fmt.Sprint(waits) != fmt.Sprint(tt.wantWaits) {
				t.Errorf("waits %v, want %v", waits, tt.wantWaits)
			}
			var total time.Duration
			for _, d := range waits {
				total += d
			}
			if total >= tt.timeout {
				t.Errorf("waits add up to %v, not within the timeout %v", total, tt.timeout)
			}
		})
	}
}

// TestSleepContext checks the real wait between attempts: it returns nil
// once its duration has passed, and ctx's error as soon as ctx ends (the
// cancellation is the event waited on; no elapsed time is asserted).
func TestSleepContext(t *testing.T) {
	if err := sleepContext(t.Context(), time.Microsecond); err != nil {
		t.Errorf("a wait that ran out returned %v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- sleepContext(ctx, time.Hour) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled wait returned %v, want context.Canceled", err)
	}
	expired, stop := context.WithDeadline(t.Context(), time.Now().Add(-time.Second))
	defer stop()
	if err := sleepContext(expired, time.Hour); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a wait under an expired deadline returned %v", err)
	}
}

// TestRetryCancelDuringBackoff cancels the call while it waits to retry: the
// wait ends at once, no further attempt is made, and the error is the
// cancellation.
func TestRetryCancelDuringBackoff(t *testing.T) {
	for _, header := range []string{"", "5"} { // jittered backoff, Retry-After
		t.Run("retry-after="+header, func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				if header != "" {
					w.Header().Set("Retry-After", header)
				}
				respond(503, `{"message":"down"}`)(w, r)
			})
			waiting := make(chan struct{})
			ended := make(chan error, 1)
			c := newClient(t, u.URL, func(o *Options) {
				o.Timeout = time.Minute
				// The seam of Options.Wait: the test acts once the call
				// waits, then the real wait (5 or 30 s) runs.
				o.Wait = func(ctx context.Context, d time.Duration) error {
					close(waiting)
					err := sleepContext(ctx, d)
					ended <- err
					return err
				}
			})
			c.retry.base, c.retry.max = 30*time.Second, 30*time.Second
			c.retry.jitter = func(d time.Duration) time.Duration { return d }
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			go func() {
				<-waiting
				cancel()
			}()
			_, err := c.ListIntegrations(ctx)
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want context.Canceled", err)
			}
			if errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("a cancellation reported as a timeout: %v", err)
			}
			if got := <-ended; !errors.Is(got, context.Canceled) {
				t.Errorf("the wait ended with %v, want it cut short by the cancellation", got)
			}
			if n := len(u.requests()); n != 1 {
				t.Errorf("upstream got %d requests, want 1: no attempt after the cancellation", n)
			}
		})
	}
}

// TestRetryNotOnCertificateError checks that a TLS certificate failure, which
// a retry would only repeat, is not retried.
func TestRetryNotOnCertificateError(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { n.Add(1) }))
	t.Cleanup(srv.Close)
	var evs atomic.Int32
	c := newClient(t, srv.URL, func(o *Options) {
		o.Observe = func(context.Context, Exchange) { evs.Add(1) }
	})
	_, err := c.Whoami(t.Context())
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v (%T), want a *NetworkError", err, err)
	}
	if evs.Load() != 1 || ne.Attempts != 1 {
		t.Errorf("%d exchanges, %d attempts; want 1: an untrusted certificate is not retried", evs.Load(), ne.Attempts)
	}
	if !ne.TLS() {
		t.Errorf("TLS() = false for %v", ne)
	}
}

// TestAttemptsInErrorText checks the "after N attempts" of each typed error.
func TestAttemptsInErrorText(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{&APIError{Method: "GET", Path: "/p", StatusCode: 503, Attempts: 3}, "GET /p: 503 Service Unavailable (after 3 attempts)"},
		{&APIError{Method: "GET", Path: "/p", StatusCode: 503, Attempts: 1}, "GET /p: 503 Service Unavailable"},
		{&APIError{Method: "GET", Path: "/p", StatusCode: 503}, "GET /p: 503 Service Unavailable"},
		{&NetworkError{Method: "DELETE", Path: "/p", Err: errors.New("refused"), Attempts: 2}, "DELETE /p: could not reach the Alfe API: refused (after 2 attempts)"},
		{&TimeoutError{Method: "PATCH", Path: "/p", After: time.Second, Attempts: 3}, "PATCH /p: no response from the Alfe API within 1s (after 3 attempts)"},
		{&TimeoutError{Method: "PATCH", Path: "/p", After: time.Second}, "PATCH /p: no response from the Alfe API within 1s"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
