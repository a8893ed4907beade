package httpserver

import (
	"context"
	"sync"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
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
//
// It also caps the streams each key holds open (Limits.MaxStreamsPerKey).
type streams struct {
	mu        sync.Mutex
	open      map[*stream]struct{}
	perKey    map[fingerprint]int
	maxPerKey int
	closing   bool
	metrics   *metrics.Metrics
	// changed, when set, runs after a stream opens or closes (tests wait
	// on it).
	changed func()
}

// stream is one long-lived response.
type stream struct {
	cancel  context.CancelFunc
	pending func() int64 // responses still owed on it; nil: none ever
	key     fingerprint
	kind    string          // "sse", "get" or "listen", for metrics
	writer  *deadlineWriter // nil outside a Handler
}

// Kinds of stream, as the metrics label them.
const (
	streamSSE    = "sse"    // GET /sse: an SSE session
	streamGet    = "get"    // GET /mcp: a legacy session's listening stream
	streamListen = "listen" // POST subscriptions/listen (2026-07-28)
)

func newStreams(maxPerKey int, m *metrics.Metrics) *streams {
	return &streams{open: map[*stream]struct{}{}, perKey: map[fingerprint]int{}, maxPerKey: maxPerKey, metrics: m}
}

// add registers a stream of key that ends when the returned context is
// cancelled, and returns that context and the function to call when the
// stream ends; or, when key already holds its most streams, the refusal.
// pending, when non-nil, counts the responses the stream still has to
// deliver; drain waits for it to reach zero. A stream opened while the
// server drains ends at once.
func (s *streams) add(ctx context.Context, key fingerprint, kind string, pending func() int64) (context.Context, func(), *refusal) {
	ctx, cancel := context.WithCancel(ctx)
	st := &stream{cancel: cancel, pending: pending, key: key, kind: kind, writer: writerFrom(ctx)}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		cancel()
		return ctx, func() {}, nil
	}
	if s.perKey[key] >= s.maxPerKey {
		s.mu.Unlock()
		cancel()
		r := tooManyStreamsForKey(s.maxPerKey)
		return nil, nil, &r
	}
	s.open[st] = struct{}{}
	s.perKey[key]++
	s.mu.Unlock()
	s.metrics.StreamOpened(kind)
	s.notify()
	var once sync.Once
	return ctx, func() {
		once.Do(func() {
			s.mu.Lock()
			s.removeLocked(st)
			s.mu.Unlock()
			cancel()
			s.notify()
		})
	}, nil
}

// notify runs changed, when set.
func (s *streams) notify() {
	if s.changed != nil {
		s.changed()
	}
}

// held returns how many streams key holds open.
func (s *streams) held(key fingerprint) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.perKey[key]
}

// stuck reports whether st has been blocked in a write for longer than
// streamLinger at now.
func (st *stream) stuck(now time.Time) bool {
	return st.writer != nil && st.writer.stuckFor(now) > streamLinger
}

// removeLocked forgets st, if it is still open.
func (s *streams) removeLocked(st *stream) {
	if _, ok := s.open[st]; !ok {
		return
	}
	delete(s.open, st)
	if s.perKey[st.key]--; s.perKey[st.key] <= 0 {
		delete(s.perKey, st.key)
	}
	s.metrics.StreamClosed(st.kind)
}

// drain ends every stream once it has owed no response for streamLinger,
// or has been stuck for that long in a write to a client that does not
// read, and returns when none is left, or ends them all when ctx is done.
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
			case st.pending != nil && st.pending() > 0 && !st.stuck(now):
				delete(idleSince, st)
				continue
			case st.pending != nil && st.pending() > 0:
				// Its client stopped reading: what it owes will not be
				// read, so it ends now rather than at its write deadline.
				st.writer.cut()
			case idleSince[st].IsZero():
				idleSince[st] = now
				continue
			case now.Sub(idleSince[st]) < streamLinger:
				continue
			}
			st.cancel()
			s.removeLocked(st)
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
