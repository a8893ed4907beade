package httpserver

import (
	"context"
	"sync"
	"time"
)

// drainPoll is how often drain looks for streams that may end.
const drainPoll = 10 * time.Millisecond

// streamLinger is how long a stream stays open at shutdown once it owes
// nothing: clients drop what they have read but not yet handled when their
// stream ends (the official Go SDK does), so the last responses need a
// moment to be handled before the stream closes.
const streamLinger = time.Second

// streams tracks the long-lived responses (SSE streams) that http.Server's
// Shutdown would otherwise wait on until its deadline, so that shutdown can
// end them once they owe their client nothing more.
type streams struct {
	mu      sync.Mutex
	open    map[*stream]struct{}
	closing bool
}

// stream is one long-lived response.
type stream struct {
	cancel  context.CancelFunc
	pending func() int64 // responses still owed on it; nil: none ever
}

func newStreams() *streams {
	return &streams{open: map[*stream]struct{}{}}
}

// add registers a stream that ends when the returned context is cancelled,
// and returns that context and the function to call when the stream ends.
// pending, when non-nil, counts the responses the stream still has to
// deliver; drain waits for it to reach zero. A stream opened while the
// server drains ends at once.
func (s *streams) add(ctx context.Context, pending func() int64) (context.Context, func()) {
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{cancel: cancel, pending: pending}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		cancel()
		return ctx, func() {}
	}
	s.open[st] = struct{}{}
	s.mu.Unlock()
	return ctx, func() {
		s.mu.Lock()
		delete(s.open, st)
		s.mu.Unlock()
		cancel()
	}
}

// drain ends every stream once it has owed no response for streamLinger,
// and returns when none is left, or ends them all when ctx is done.
func (s *streams) drain(ctx context.Context) {
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	idleSince := map[*stream]time.Time{}
	for {
		now := time.Now()
		s.mu.Lock()
		for st := range s.open {
			switch {
			case ctx.Err() != nil:
			case st.pending != nil && st.pending() > 0:
				delete(idleSince, st)
				continue
			case idleSince[st].IsZero():
				idleSince[st] = now
				continue
			case now.Sub(idleSince[st]) < streamLinger:
				continue
			}
			st.cancel()
			delete(s.open, st)
			delete(idleSince, st)
		}
		left := len(s.open)
		s.mu.Unlock()
		if left == 0 {
			return
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
		}
	}
}
