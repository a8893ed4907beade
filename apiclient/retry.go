package apiclient

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"
)

// Retry policy (see assumptions.go for which methods and statuses retry).
//
//   - At most Options.MaxAttempts attempts in all; POST gets one.
//   - Retried: an idempotent request that got no response at all (the
//     connection was refused or reset, DNS failed, a dial timed out), or a
//     429, 502, 503 or 504. Not retried: a response whose body broke off or
//     stalled (the request arrived; the response did), a 500, any other 4xx,
//     a response that does not decode, TLS certificate errors.
//   - The wait before retry n (n = 1, 2, ...) is "full jitter": uniform in
//     [0, min(RetryMaxDelay, RetryBaseDelay·2^(n-1))].
//   - A Retry-After on the response replaces that wait when it is at most
//     MaxRetryAfter; a longer one is not waited for: the call fails at once
//     and the error carries RetryAfter for the caller to act on.
//   - The whole call, waits included, stays within Options.Timeout: a wait
//     that would end at or after the call's deadline is not started, and the
//     last error is returned at once.
//   - Cancelling the call's context aborts the request in flight and any
//     wait at once.

// Defaults of the retry policy.
const (
	DefaultMaxAttempts = 3 // attempts in all, Options.MaxAttempts
	// RetryBaseDelay and RetryMaxDelay bound the jittered backoff.
	RetryBaseDelay = 200 * time.Millisecond
	RetryMaxDelay  = 2 * time.Second
	// MaxRetryAfter is the longest Retry-After waited for within a call.
	MaxRetryAfter = 5 * time.Second
)

// retryPolicy is the retry behaviour of a Client. Its functions are
// replaceable in tests (no real waiting, no randomness).
type retryPolicy struct {
	attempts      int           // at most this many attempts per idempotent call
	base, max     time.Duration // backoff bounds
	maxRetryAfter time.Duration
	// jitter returns a uniform random duration in [0, d].
	jitter func(d time.Duration) time.Duration
	// now is the clock the deadline check and Retry-After dates read.
	now func() time.Time
	// sleep waits d or until ctx is done, whichever comes first; it returns
	// ctx.Err() when ctx ended the wait.
	sleep func(ctx context.Context, d time.Duration) error
}

func defaultRetryPolicy(attempts int) retryPolicy {
	if attempts <= 0 {
		attempts = DefaultMaxAttempts
	}
	return retryPolicy{
		attempts:      attempts,
		base:          RetryBaseDelay,
		max:           RetryMaxDelay,
		maxRetryAfter: MaxRetryAfter,
		jitter:        uniformJitter,
		now:           time.Now,
		sleep:         sleepContext,
	}
}

// uniformJitter returns a duration uniformly distributed in [0, d].
func uniformJitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(d) + 1))
}

// sleepContext waits d, or until ctx is done.
func sleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// backoffCeiling is the upper bound of the jittered wait before retry n
// (n >= 1): min(max, base·2^(n-1)), without overflow.
func (p retryPolicy) backoffCeiling(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	d := p.base
	for i := 1; i < n && d < p.max; i++ {
		d *= 2
	}
	return min(d, p.max)
}

// wait returns how long to wait before retry n after err, and false when err
// asks for a wait longer than the policy allows (a long Retry-After).
func (p retryPolicy) wait(n int, err error) (time.Duration, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.RetryAfter > 0 {
		if apiErr.RetryAfter > p.maxRetryAfter {
			return 0, false
		}
		return apiErr.RetryAfter, true
	}
	return p.jitter(p.backoffCeiling(n)), true
}

// retryable reports whether a failed attempt of method may be repeated.
// responded says whether a response (status line and headers) arrived.
func retryable(ctx context.Context, method string, responded bool, err error) bool {
	if err == nil || !assumedIdempotent(method) || ctx.Err() != nil {
		return false
	}
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return assumedRetryableStatus(apiErr.StatusCode)
	}
	if responded {
		return false // the request arrived: its response broke off, stalled or did not decode
	}
	var (
		netErr  *NetworkError
		timeout *TimeoutError
	)
	switch {
	case errors.As(err, &timeout):
		return true // a transport timeout (dial, TLS handshake), not the call's deadline
	case errors.As(err, &netErr):
		return !netErr.TLS() // a retry would only repeat a TLS failure
	}
	return false
}

// setAttempts records on the typed errors how many attempts the call made.
func setAttempts(err error, n int) {
	var (
		apiErr  *APIError
		netErr  *NetworkError
		timeout *TimeoutError
	)
	switch {
	case errors.As(err, &apiErr):
		apiErr.Attempts = n
	case errors.As(err, &timeout):
		timeout.Attempts = n
	case errors.As(err, &netErr):
		netErr.Attempts = n
	}
}
