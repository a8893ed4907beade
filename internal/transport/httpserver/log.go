package httpserver

import (
	"log/slog"
	"net/http"
	"time"
)

// logRequests writes one line per request when it ends: method, path,
// status and duration. It never logs headers (Authorization carries a key),
// the query string (session ids) or the body.
func logRequests(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			status := sw.code()
			level := slog.LevelInfo
			if status >= 500 {
				level = slog.LevelWarn
			}
			logger.Log(r.Context(), level, "http request",
				"method", r.Method,
				"path", r.URL.Path,
				"status", status,
				"duration", time.Since(start).Round(time.Microsecond),
			)
		}()
		next.ServeHTTP(sw, r)
	})
}
