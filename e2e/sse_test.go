package e2e

import (
	"net/http"
	"testing"
)

// TestSSE: `alfe-mcp sse` serves the legacy HTTP+SSE transport with the
// same keys as http (see checkServing and checkNoKeyAnywhere).
func TestSSE(t *testing.T) {
	t.Run("sessions", func(t *testing.T) { checkServing(t, "sse") })
	t.Run("no key anywhere", func(t *testing.T) { checkNoKeyAnywhere(t, "sse", http.MethodGet, "/sse") })
}
