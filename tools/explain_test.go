package tools_test

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/schemas"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestExplain reads each kind of error in the words of each reader: a model
// (Explain, the text of isError results) and the person running check
// (ExplainCheck, with the API's URL). The tools' messages are also checked
// through the protocol (resilience_test.go); this table pins both readers
// side by side.
func TestExplain(t *testing.T) {
	const url = "https://api.test"
	apiErr := func(status int) error {
		return &apiclient.APIError{Method: "GET", Path: "/agent/identity/whoami", StatusCode: status, Message: "nope", RequestID: "r1", Attempts: 3}
	}
	tlsErr := &apiclient.NetworkError{Method: "GET", Path: "/p", Err: fmt.Errorf("tls: %w", x509.UnknownAuthorityError{})}
	tests := []struct {
		name  string
		err   error
		model []string // in Explain's message
		check []string // in ExplainCheck's message
	}{
		{"argument", &schemas.ArgumentError{Argument: "integrationId", Rule: "is required"},
			[]string{"invalid argument 'integrationId': is required. Fix the argument", "nothing was sent"},
			[]string{"invalid argument 'integrationId'"}},
		{"no key", tools.ErrNoAPIKey,
			[]string{"No Alfe API key", "ALFE_API_KEY (or --api-key-file)"},
			[]string{"No Alfe API key"}},
		{"key no Alfe key can be", apiclient.CheckKey("A"),
			[]string{"not an Alfe agent API key (it has 1 character; an Alfe agent API key has at least 16); nothing was sent", "Ask the user", "ALFE_API_KEY"},
			[]string{"not an Alfe agent API key", "at least 16"}},
		{"401", apiErr(401),
			[]string{"rejected the API key (401 Unauthorized: nope; request id r1; after 3 attempts)", "Ask the user", "ALFE_API_KEY"},
			[]string{"the API at " + url + " rejected the key (401 Unauthorized)", "Set ALFE_API_KEY (or --api-key-file)", "Alfe dashboard"}},
		{"403", apiErr(403),
			[]string{"not allowed to do this (403 Forbidden: nope"},
			[]string{"rejected the key (403 Forbidden)"}},
		{"404", apiErr(404),
			[]string{"Not found (404 Not Found: nope", "list_integrations"},
			[]string{url + " has no agent API", "--api-url / ALFE_API_URL", apiclient.DefaultBaseURL}},
		{"500", apiErr(500),
			[]string{"The Alfe API failed (500 Internal Server Error: nope", "Alfe's side"},
			[]string{"the API at " + url + " responded with an error", "500 Internal Server Error", "status page"}},
		{"timeout", &apiclient.TimeoutError{Method: "GET", Path: "/p", After: 30 * time.Second, Attempts: 2},
			[]string{"did not respond in time (timed out after 30 s on GET /p; after 2 attempts)"},
			[]string{"the API at " + url + " did not respond within 30 s", "--timeout"}},
		{"network", &apiclient.NetworkError{Method: "GET", Path: "/p", Err: errors.New("connection refused"), Attempts: 3},
			[]string{"Could not reach the Alfe API after 3 attempts: connection refused", "--api-url / ALFE_API_URL"},
			[]string{"cannot reach the API at " + url + ": connection refused", "--api-url / ALFE_API_URL"}},
		{"TLS", tlsErr,
			[]string{"Could not reach the Alfe API: tls:"},
			[]string{"TLS failure talking to " + url, "certificate", "proxy"}},
		{"decode", &apiclient.DecodeError{Method: "GET", Path: "/p", StatusCode: 200, Reason: "its body is not valid JSON"},
			[]string{"unexpected response", "200 OK but its body is not valid JSON", "Retry once"},
			[]string{"unexpected response from " + url, "Is --api-url pointing at the Alfe API?"}},
		{"too large", fmt.Errorf("GET /p: %w", apiclient.ErrResponseTooLarge),
			[]string{"response was too large to use", "Narrow the request"},
			[]string{"response was too large to use"}},
		{"cancelled", context.Canceled,
			[]string{"cancelled before it finished"},
			[]string{"cancelled before it finished"}},
		{"other", errors.New("boom"),
			[]string{"Internal error: boom"},
			[]string{"boom"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, reader := range []struct {
				name string
				msg  string
				want []string
			}{
				{"Explain", tools.Explain(tt.err), tt.model},
				{"ExplainCheck", tools.ExplainCheck(tt.err, url), tt.check},
			} {
				for _, w := range reader.want {
					if !strings.Contains(reader.msg, w) {
						t.Errorf("%s: %q lacks %q", reader.name, reader.msg, w)
					}
				}
			}
			if model := tools.Explain(tt.err); strings.Contains(model, url) {
				t.Errorf("Explain names the check's URL: %q", model)
			}
		})
	}
}
