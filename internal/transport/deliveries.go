package transport

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
)

// Deliveries tell a handler when a notification it sent has been written
// to its request's stream. A transport that writes notifications on
// another goroutine than the response, and may drop one still in flight
// when the response goes out (mcp-go's streamable HTTP does: its forwarder
// gives up a notification it holds once the response is written), reports
// each write of the request's reply to Written; a handler that must not
// lose a notification sent just before it returns registers what to wait
// for (Expect) before sending it, and waits for it after.
//
// The zero value is ready to use; it is safe for concurrent use.
type Deliveries struct {
	waiting  atomic.Int32 // len(byMarker): Written's fast path
	mu       sync.Mutex
	byMarker map[string]chan struct{}
}

// Written reports bytes written to the request's stream: it releases the
// waits for the markers p contains.
func (d *Deliveries) Written(p []byte) {
	if d == nil || d.waiting.Load() == 0 {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for marker, ch := range d.byMarker {
		if bytes.Contains(p, []byte(marker)) {
			close(ch)
			delete(d.byMarker, marker)
		}
	}
	d.waiting.Store(int32(len(d.byMarker)))
}

// deliveriesKey carries a request's Deliveries in its context.
type deliveriesKey struct{}

// WithDeliveries returns a copy of ctx that carries d, the deliveries of
// the request that ctx belongs to.
func WithDeliveries(ctx context.Context, d *Deliveries) context.Context {
	return context.WithValue(ctx, deliveriesKey{}, d)
}

// Expect registers a wait for a write that contains marker (e.g. the JSON
// of a notification's unique field) to the stream of ctx's request, and
// returns the wait: it returns once that write happened, or when wctx is
// done. Register before sending, so that a quick write is not missed. On a
// transport that reports no deliveries the wait returns at once: its
// notifications are not dropped.
func Expect(ctx context.Context, marker string) (wait func(wctx context.Context)) {
	d, _ := ctx.Value(deliveriesKey{}).(*Deliveries)
	if d == nil {
		return func(context.Context) {}
	}
	ch := make(chan struct{})
	d.mu.Lock()
	if d.byMarker == nil {
		d.byMarker = map[string]chan struct{}{}
	}
	d.byMarker[marker] = ch
	d.waiting.Store(int32(len(d.byMarker)))
	d.mu.Unlock()
	return func(wctx context.Context) {
		select {
		case <-ch:
		case <-wctx.Done():
			d.mu.Lock()
			if d.byMarker[marker] == ch {
				delete(d.byMarker, marker)
			}
			d.waiting.Store(int32(len(d.byMarker)))
			d.mu.Unlock()
		}
	}
}

// afterResponse is what runs once a request's response is written.
type afterResponse struct {
	mu    sync.Mutex
	funcs []func()
	done  bool
}

// afterResponseKey carries a request's afterResponse in its context.
type afterResponseKey struct{}

// WithAfterResponse returns a copy of ctx in which AfterResponse defers
// its functions until run is called: the transport calls run once the
// response to the request is written. A transport whose notifications of
// a request may be dropped while its response goes out (mcp-go's
// streamable HTTP, see Deliveries) uses it; the others need not.
func WithAfterResponse(ctx context.Context) (_ context.Context, run func()) {
	a := &afterResponse{}
	return context.WithValue(ctx, afterResponseKey{}, a), func() {
		a.mu.Lock()
		funcs := a.funcs
		a.funcs, a.done = nil, true
		a.mu.Unlock()
		for _, f := range funcs {
			f()
		}
	}
}

// AfterResponse runs f once the response to ctx's request is written, when
// the transport says when (WithAfterResponse), else at once: e.g. to send
// notifications to other streams than the request's own without their
// being taken and dropped by the request's own.
func AfterResponse(ctx context.Context, f func()) {
	a, _ := ctx.Value(afterResponseKey{}).(*afterResponse)
	if a != nil {
		a.mu.Lock()
		if !a.done {
			a.funcs = append(a.funcs, f)
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
	}
	f()
}
