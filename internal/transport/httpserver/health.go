package httpserver

import "net/http"

// HealthPath responds 200 {"status":"ok"} without a key, for load balancers
// and orchestrators; once the server is shutting down, 503
// {"status":"draining"}, so that they stop sending it new clients.
const HealthPath = "/healthz"

// health serves HealthPath.
func (h *Handler) health(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "use GET")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	status, body := http.StatusOK, `{"status":"ok"}`+"\n"
	if h.draining.Load() {
		status, body = http.StatusServiceUnavailable, `{"status":"draining"}`+"\n"
	}
	w.WriteHeader(status)
	if r.Method == http.MethodGet {
		_, _ = w.Write([]byte(body))
	}
}
