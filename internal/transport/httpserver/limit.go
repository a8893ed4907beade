package httpserver

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// DefaultMaxBodyBytes caps a request body: an MCP message is far smaller.
const DefaultMaxBodyBytes = 1 << 20

// limitBody responds 413 to a request whose body is larger than max, and
// hands next the body read into memory (mcp-go reads it whole anyway).
func limitBody(max int64, next http.Handler) http.Handler {
	tooLarge := fmt.Sprintf("request body larger than %d bytes", max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > max {
			w.Header().Set("Connection", "close")
			writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
			var tooBig *http.MaxBytesError
			switch {
			case errors.As(err, &tooBig):
				writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
				return
			case err != nil:
				writeError(w, http.StatusBadRequest, "could not read the request body")
				return
			}
			r.Body = &readBody{Reader: bytes.NewReader(body), b: body}
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}

// readBody is a request body limitBody has read into memory: the handlers
// after it take its bytes (bodyBytes) instead of copying them again.
type readBody struct {
	*bytes.Reader
	b []byte
}

// Close does nothing: the body is in memory.
func (*readBody) Close() error { return nil }

// bodyBytes returns r's whole body and leaves r with one that reads it again
// from the start.
func bodyBytes(r *http.Request) []byte {
	if rb, ok := r.Body.(*readBody); ok {
		if rb.Len() == len(rb.b) { // nothing read from it yet
			return rb.b
		}
	}
	body, _ := io.ReadAll(r.Body) // read whole by limitBody: cannot fail
	r.Body = &readBody{Reader: bytes.NewReader(body), b: body}
	return body
}
