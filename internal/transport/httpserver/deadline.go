package httpserver

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// deadlineWriter gives every write to the client a deadline: before each
// WriteHeader, Write and Flush it moves the connection's write deadline to
// timeout from now (http.ResponseController.SetWriteDeadline). So a
// response, or each event of a stream, has timeout to reach the client, and
// a stream never waits on a client that stopped reading: its write fails,
// net/http cancels the request's context, and the stream's handler ends,
// dropping what it still owed. http.Server's own WriteTimeout cannot do
// this: it bounds a whole response, which would cut every stream.
type deadlineWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
	// writing is when the write in progress began (Unix nanoseconds), 0
	// when none is: a stream whose client stopped reading is stuck in one.
	writing atomic.Int64
}

func newDeadlineWriter(w http.ResponseWriter, timeout time.Duration) *deadlineWriter {
	return &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
}

// arm moves the write deadline to timeout from now.
func (w *deadlineWriter) arm() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }

// WriteHeader arms the write deadline, then writes the status line and
// headers.
func (w *deadlineWriter) WriteHeader(status int) {
	w.arm()
	w.ResponseWriter.WriteHeader(status)
}

// Write arms the write deadline, then writes p, marked as in progress (see
// stuckFor) while it blocks.
func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.arm()
	w.writing.Store(time.Now().UnixNano())
	defer w.writing.Store(0)
	return w.ResponseWriter.Write(p)
}

// Flush sends what was written; SSE needs it.
func (w *deadlineWriter) Flush() {
	w.arm()
	w.writing.Store(time.Now().UnixNano())
	defer w.writing.Store(0)
	_ = w.rc.Flush()
}

// stuckFor returns how long the write in progress has been blocked at now;
// zero when no write is in progress.
func (w *deadlineWriter) stuckFor(now time.Time) time.Duration {
	since := w.writing.Load()
	if since == 0 {
		return 0
	}
	return now.Sub(time.Unix(0, since))
}

// cut makes the write in progress, if any, fail at once: the connection's
// write deadline moves to now. Safe to call from another goroutine.
func (w *deadlineWriter) cut() { _ = w.rc.SetWriteDeadline(time.Now()) }

// writerKey carries a request's deadlineWriter in its context, for the
// stream registry (streams.add).
type writerKey struct{}

// writerFrom returns the deadlineWriter of ctx's request, or nil.
func writerFrom(ctx context.Context) *deadlineWriter {
	w, _ := ctx.Value(writerKey{}).(*deadlineWriter)
	return w
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
