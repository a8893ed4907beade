package httpserver

import (
	"net/http"
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
}

func newDeadlineWriter(w http.ResponseWriter, timeout time.Duration) *deadlineWriter {
	return &deadlineWriter{ResponseWriter: w, rc: http.NewResponseController(w), timeout: timeout}
}

// arm moves the write deadline to timeout from now.
func (w *deadlineWriter) arm() { _ = w.rc.SetWriteDeadline(time.Now().Add(w.timeout)) }

func (w *deadlineWriter) WriteHeader(status int) {
	w.arm()
	w.ResponseWriter.WriteHeader(status)
}

func (w *deadlineWriter) Write(p []byte) (int, error) {
	w.arm()
	return w.ResponseWriter.Write(p)
}

// Flush sends what was written; SSE needs it.
func (w *deadlineWriter) Flush() {
	w.arm()
	_ = w.rc.Flush()
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *deadlineWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
