package httpserver

import (
	"net/http"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// statusWriter records the status of a response. It keeps the writer's
// optional interfaces that mcp-go relies on: Flush (SSE streams) and Unwrap
// (http.ResponseController).
type statusWriter struct {
	http.ResponseWriter
	status int
	// onHeader, when set, runs once before the status is written.
	onHeader func(status int, h http.Header)
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
		if w.onHeader != nil {
			w.onHeader(status, w.ResponseWriter.Header())
		}
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(p)
}

// Flush sends buffered data to the client; SSE needs it.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// code is the status written, 200 if the handler wrote nothing.
func (w *statusWriter) code() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// deliveryWriter reports each write of a reply to its request's
// Deliveries, after the write (see transport.Deliveries). mcp-go writes
// each SSE event with one Write.
type deliveryWriter struct {
	http.ResponseWriter
	d *transport.Deliveries
}

func (w *deliveryWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	if err == nil {
		w.d.Written(p)
	}
	return n, err
}

// Flush sends buffered data to the client; SSE needs it.
func (w *deliveryWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *deliveryWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
