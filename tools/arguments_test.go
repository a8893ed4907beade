package tools_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestBadArgumentsNeverReachUpstream sends arguments that break a rule: each
// call is an isError result naming the argument, and the upstream receives
// no request at all.
func TestBadArgumentsNeverReachUpstream(t *testing.T) {
	scopes51 := make([]string, 51)
	for i := range scopes51 {
		scopes51[i] = fmt.Sprintf("scope%d", i)
	}
	tests := []struct {
		name string
		tool string
		args any    // a map, or json.RawMessage for what a map cannot say
		want string // the argument the message must name
	}{
		{"missing integrationId", "get_integration_config", map[string]any{}, "integrationId"},
		{"missing integrationId, no arguments at all", "remove_integration", nil, "integrationId"},
		{"path traversal", "get_integration_config", map[string]any{"integrationId": "../etc/passwd"}, "integrationId"},
		{"slash", "remove_integration", map[string]any{"integrationId": "a/b"}, "integrationId"},
		{"empty id", "install_integration", map[string]any{"integrationId": ""}, "integrationId"},
		{"10 KB id", "get_integration_config", map[string]any{"integrationId": strings.Repeat("a", 10<<10)}, "integrationId"},
		{"escaped traversal", "update_integration_config", map[string]any{"integrationId": "..%2Fetc", "config": map[string]any{}}, "integrationId"},
		{"config as array", "update_integration_config", json.RawMessage(`{"integrationId":"memory","config":[1,2]}`), "config"},
		{"config as string", "install_integration", json.RawMessage(`{"integrationId":"memory","config":"{\"a\":1}"}`), "config"},
		{"config over 64 KiB", "update_integration_config", map[string]any{"integrationId": "memory", "config": map[string]any{"blob": strings.Repeat("x", 65<<10)}}, "config"},
		{"version with bad characters", "install_integration", map[string]any{"integrationId": "github", "version": "1.0.3; rm -rf /"}, "version"},
		{"scope with a comma", "get_oauth_url", map[string]any{"provider": "github", "scopes": []string{"repo,read:org"}}, "scopes"},
		{"scope with a space", "get_oauth_url", map[string]any{"provider": "github", "scopes": []string{"repo read:org"}}, "scopes"},
		{"51 scopes", "get_oauth_url", map[string]any{"provider": "github", "scopes": scopes51}, "scopes"},
		{"missing provider of get_oauth_url", "get_oauth_url", map[string]any{"scopes": []string{"repo"}}, "provider"},
		{"missing provider of get_oauth_status", "get_oauth_status", map[string]any{"waitSeconds": 5}, "provider"},
		{"waitSeconds 51", "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": 51}, "waitSeconds"},
		{"waitSeconds -1", "get_oauth_status", map[string]any{"provider": "github", "waitSeconds": -1}, "waitSeconds"},
		{"waitSeconds 2.5", "get_oauth_status", json.RawMessage(`{"provider":"github","waitSeconds":2.5}`), "waitSeconds"},
		{"unknown argument name", "list_integrations", map[string]any{"statuz": "active"}, "statuz"},
		{"unknown argument next to valid ones", "get_integration_config", map[string]any{"integrationId": "memory", "verbose": true}, "verbose"},
		{"integrationId as a number", "get_integration_config", json.RawMessage(`{"integrationId":42}`), "integrationId"},
		{"status too long", "list_integrations", map[string]any{"status": strings.Repeat("s", 65)}, "status"},
		{"query too long", "get_registry", map[string]any{"query": strings.Repeat("q", 201)}, "query"},
	}
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		upstream := newCountingUpstream(t, nil)
		f := newFixture(t, upstream.URL, serverOptions{})
		c := f.connect(t, e, tr)
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				before := upstream.requests.Load()
				text := wantError(t, callTool(t, c, tt.tool, tt.args), "'"+tt.want+"'", "nothing was sent")
				if n := upstream.requests.Load() - before; n != 0 {
					t.Errorf("upstream received %d requests, want 0", n)
				}
				if len(text) > 2000 {
					t.Errorf("message is %d bytes; it should not echo a huge argument back", len(text))
				}
			})
		}
	})
}
