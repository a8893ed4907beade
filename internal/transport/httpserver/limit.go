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
			r.Body = io.NopCloser(bytes.NewReader(body))
			r.ContentLength = int64(len(body))
		}
		next.ServeHTTP(w, r)
	})
}
