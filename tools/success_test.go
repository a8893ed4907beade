package tools_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
)

// TestToolsSucceedAgainstSandbox calls each of the eight tools against the
// API emulator: every result is a success whose structuredContent is an
// object equal to the JSON of its text block, with the expected data.
func TestToolsSucceedAgainstSandbox(t *testing.T) {
	// The sandbox starts with memory (active) and github (pending) installed.
	tests := []struct {
		name  string
		setup func(t *testing.T, c *client.Client, sandboxURL string) // optional, before the call
		tool  string
		args  any
		check func(t *testing.T, out map[string]any, sandboxURL string)
		after func(t *testing.T, c *client.Client) // optional, checks the effect through the tools
	}{
		{
			name: "list_integrations all", tool: "list_integrations", args: map[string]any{},
			check: func(t *testing.T, out map[string]any, _ string) {
				wantIDs(t, out, "integrationId", "github", "memory")
				mem := entry(t, out, "integrationId", "memory")
				if mem["status"] != "active" || mem["version"] != "1.0.5" {
					t.Errorf("memory = %v, want active at 1.0.5", mem)
				}
				cfg, _ := mem["config"].(map[string]any)
				if cfg["captureMaxChars"] != float64(500) || cfg["autoCapture"] != true {
					t.Errorf("memory config = %v, want the defaults", cfg)
				}
				if gh := entry(t, out, "integrationId", "github"); gh["status"] != "pending" {
					t.Errorf("github status = %v, want pending", gh["status"])
				}
			},
		},
		{
			name: "list_integrations status filter is case-insensitive", tool: "list_integrations", args: map[string]any{"status": "ACTIVE"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "integrationId", "memory") },
		},
		{
			name: "list_integrations status filter pending", tool: "list_integrations", args: map[string]any{"status": "pending"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "integrationId", "github") },
		},
		{
			name: "list_integrations status filter without match is an empty list", tool: "list_integrations", args: map[string]any{"status": "error"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "integrationId") },
		},
		{
			name: "get_registry all", tool: "get_registry", args: nil,
			check: func(t *testing.T, out map[string]any, _ string) {
				wantIDs(t, out, "id", "atlassian", "discord", "github", "google", "memory", "microsoft", "notion",
					"posthog", "salesforce", "slack", "stripe", "sync", "teams", "xero")
				gh := entry(t, out, "id", "github")
				if gh["name"] != "GitHub" || gh["version"] != "1.0.3" || gh["category"] != "developer" {
					t.Errorf("github entry = %v", gh)
				}
				if gh["provider"] != "github" { // a field the schema does not name reaches the client
					t.Errorf("github entry lost its provider: %v", gh)
				}
			},
		},
		{
			name: "get_registry query matches the id", tool: "get_registry", args: map[string]any{"query": "GitHub"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "id", "github") },
		},
		{
			name: "get_registry query matches name and description", tool: "get_registry", args: map[string]any{"query": "WORKSPACE"},
			// Google Workspace by name; Notion ("a Notion workspace") and Sync
			// ("the agent's workspace data") by description.
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "id", "google", "notion", "sync") },
		},
		{
			name: "get_registry query matches the description only", tool: "get_registry", args: map[string]any{"query": "invoices"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "id", "xero") },
		},
		{
			name: "get_registry query matches the category", tool: "get_registry", args: map[string]any{"query": "Finance"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "id", "stripe", "xero") },
		},
		{
			name: "get_registry query without match is an empty list", tool: "get_registry", args: map[string]any{"query": "no-such-integration"},
			check: func(t *testing.T, out map[string]any, _ string) { wantIDs(t, out, "id") },
		},
		{
			name: "install_integration with version and config", tool: "install_integration",
			args: map[string]any{"integrationId": "sync", "version": "1.0.5", "config": map[string]any{"sync_schedule": "hourly"}},
			check: func(t *testing.T, out map[string]any, _ string) {
				if out["integrationId"] != "sync" || out["version"] != "1.0.5" || out["status"] != "active" {
					t.Errorf("install record = %v, want sync 1.0.5 active", out)
				}
				if cfg, _ := out["config"].(map[string]any); cfg["sync_schedule"] != "hourly" {
					t.Errorf("config = %v, want sync_schedule hourly", out["config"])
				}
			},
			after: func(t *testing.T, c *client.Client) {
				out := wantSuccess(t, callTool(t, c, "list_integrations", nil))
				wantIDs(t, out, "integrationId", "github", "memory", "sync")
			},
		},
		{
			name: "install_integration of an API-key integration masks the secret", tool: "install_integration",
			args: map[string]any{"integrationId": "stripe", "config": map[string]any{"api_key": "rk_test_abcdef1234"}},
			check: func(t *testing.T, out map[string]any, _ string) {
				if out["integrationId"] != "stripe" || out["version"] != "1.0.0" || out["status"] != "active" {
					t.Errorf("install record = %v, want stripe 1.0.0 active", out)
				}
				if cfg, _ := out["config"].(map[string]any); cfg["api_key"] != "****1234" {
					t.Errorf("api_key = %v, want it masked", cfg["api_key"])
				}
			},
		},
		{
			name: "get_integration_config", tool: "get_integration_config", args: map[string]any{"integrationId": "memory"},
			check: func(t *testing.T, out map[string]any, _ string) {
				want := map[string]any{"autoCapture": true, "autoRecall": true, "captureMaxChars": float64(500)}
				if out["integrationId"] != "memory" || !jsonEqual(out["config"], want) {
					t.Errorf("config = %v, want memory %v", out, want)
				}
			},
		},
		{
			name: "update_integration_config", tool: "update_integration_config",
			args: map[string]any{"integrationId": "memory", "config": map[string]any{"captureMaxChars": 1000, "autoRecall": false}},
			check: func(t *testing.T, out map[string]any, _ string) {
				cfg, _ := out["config"].(map[string]any)
				if out["integrationId"] != "memory" || cfg["captureMaxChars"] != float64(1000) || cfg["autoRecall"] != false || cfg["autoCapture"] != true {
					t.Errorf("update record = %v, want captureMaxChars 1000, autoRecall false, autoCapture kept", out)
				}
			},
			after: func(t *testing.T, c *client.Client) {
				out := wantSuccess(t, callTool(t, c, "get_integration_config", map[string]any{"integrationId": "memory"}))
				if cfg, _ := out["config"].(map[string]any); cfg["captureMaxChars"] != float64(1000) {
					t.Errorf("config after update = %v", out["config"])
				}
			},
		},
		{
			name: "remove_integration", tool: "remove_integration", args: map[string]any{"integrationId": "github"},
			check: func(t *testing.T, out map[string]any, _ string) {
				if !jsonEqual(out, map[string]any{"integrationId": "github", "removed": true}) {
					t.Errorf("remove result = %v", out)
				}
			},
			after: func(t *testing.T, c *client.Client) {
				wantError(t, callTool(t, c, "get_integration_config", map[string]any{"integrationId": "github"}), "not installed", "list_integrations")
			},
		},
		{
			name: "get_oauth_url", tool: "get_oauth_url", args: map[string]any{"provider": "github", "scopes": []string{"repo", "read:org"}},
			check: func(t *testing.T, out map[string]any, sandboxURL string) {
				u, _ := out["url"].(string)
				if !strings.HasPrefix(u, sandboxURL+"/sandbox/oauth/consent?state=") {
					t.Errorf("url = %q, want the sandbox consent page", u)
				}
				if out["expiresIn"] != float64(600) {
					t.Errorf("expiresIn = %v, want 600", out["expiresIn"])
				}
			},
		},
		{
			name: "get_oauth_status not connected", tool: "get_oauth_status", args: map[string]any{"provider": "github"},
			check: func(t *testing.T, out map[string]any, _ string) {
				if !jsonEqual(out, map[string]any{"provider": "github", "connected": false}) {
					t.Errorf("status = %v", out)
				}
			},
		},
		{
			name: "get_oauth_status after consent", tool: "get_oauth_status", args: map[string]any{"provider": "github", "waitSeconds": 1},
			setup: func(t *testing.T, c *client.Client, _ string) {
				out := wantSuccess(t, callTool(t, c, "get_oauth_url", map[string]any{"provider": "github"}))
				approve(t, out["url"].(string))
			},
			check: func(t *testing.T, out map[string]any, _ string) {
				if !jsonEqual(out, map[string]any{"provider": "github", "connected": true}) {
					t.Errorf("status = %v", out)
				}
			},
			after: func(t *testing.T, c *client.Client) { // the OAuth integration turned active
				out := wantSuccess(t, callTool(t, c, "list_integrations", map[string]any{"status": "pending"}))
				wantIDs(t, out, "integrationId")
			},
		},
	}
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				sb := newSandbox(t)
				f := newFixture(t, sb.URL(), serverOptions{})
				c := f.connect(t, e, tr)
				if tt.setup != nil {
					tt.setup(t, c, sb.URL())
				}
				out := wantSuccess(t, callTool(t, c, tt.tool, tt.args))
				tt.check(t, out, sb.URL())
				if tt.after != nil {
					tt.after(t, c)
				}
			})
		}
	})
}

// approve completes a sandbox consent page as the person would.
func approve(t *testing.T, consentURL string) {
	t.Helper()
	u, err := url.Parse(consentURL)
	if err != nil {
		t.Fatalf("consent url: %v", err)
	}
	decision := u.Scheme + "://" + u.Host + "/sandbox/oauth/decision"
	resp, err := http.PostForm(decision, url.Values{"state": {u.Query().Get("state")}, "decision": {"approve"}})
	if err != nil {
		t.Fatalf("approve: %v", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("approve: %s", resp.Status)
	}
}

// wantIDs checks that out.integrations lists exactly the ids (under key), in
// any order, and that the list is an array even when empty.
func wantIDs(t *testing.T, out map[string]any, key string, ids ...string) {
	t.Helper()
	list, ok := out["integrations"].([]any)
	if !ok {
		t.Fatalf("integrations is %T, want an array: %v", out["integrations"], out)
	}
	got := []string{}
	for _, it := range list {
		m, _ := it.(map[string]any)
		id, _ := m[key].(string)
		got = append(got, id)
	}
	slices.Sort(got)
	want := append([]string{}, ids...)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("integrations = %v, want %v", got, want)
	}
}

// entry returns the integration of out.integrations whose key is id.
func entry(t *testing.T, out map[string]any, key, id string) map[string]any {
	t.Helper()
	list, _ := out["integrations"].([]any)
	for _, it := range list {
		if m, _ := it.(map[string]any); m[key] == id {
			return m
		}
	}
	t.Fatalf("no integration %s=%s in %v", key, id, out)
	return nil
}

// jsonEqual compares two values as JSON.
func jsonEqual(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	if errA != nil || errB != nil {
		return false
	}
	var va, vb any
	_ = json.Unmarshal(ja, &va)
	_ = json.Unmarshal(jb, &vb)
	return string(mustJSON(va)) == string(mustJSON(vb))
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
