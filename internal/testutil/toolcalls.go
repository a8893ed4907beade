package testutil

import (
	"net/http"
	"testing"
)

// ToolCall is one row of the shared test table: a call of one tool that
// succeeds against the sandbox emulator, the one upstream request it makes,
// and a piece of its result. The tests that run every tool (tools/,
// internal/transport/httpserver, e2e/) take their calls from here and their
// list of tools from the catalogue, so that a new tool is tested everywhere
// once it has its row.
type ToolCall struct {
	Tool string         // the tool's name, as in the catalogue
	Args map[string]any // arguments that succeed against the sandbox
	// Method and Path are the one request the call sends to the API, e.g.
	// GET /agent/integrations/memory/config.
	Method, Path string
	// Result is a fragment of the result's structured content as compact
	// JSON with sorted keys (json.Marshal of the decoded object), e.g.
	// `"removed":true`.
	Result string
}

// ToolCalls is the shared test table, a row per tool of the catalogue (a
// test in package tools holds the two to each other). Each call succeeds
// against the sandbox in its initial state and after any of the others, so
// that a test may make them all, in any order, on one sandbox.
func ToolCalls() []ToolCall {
	return []ToolCall{
		{"list_integrations", map[string]any{}, http.MethodGet, "/agent/integrations", `"integrationId":"memory"`},
		{"get_registry", map[string]any{"query": "git"}, http.MethodGet, "/integrations/registry", `"id":"github"`},
		{"install_integration", map[string]any{"integrationId": "notion"}, http.MethodPost, "/agent/integrations", `"integrationId":"notion"`},
		{"get_integration_config", map[string]any{"integrationId": "memory"}, http.MethodGet, "/agent/integrations/memory/config", `"captureMaxChars":500`},
		{"update_integration_config", map[string]any{"integrationId": "memory", "config": map[string]any{"autoRecall": false}},
			http.MethodPatch, "/agent/integrations/memory", `"autoRecall":false`},
		{"remove_integration", map[string]any{"integrationId": "github"}, http.MethodDelete, "/agent/integrations/github", `"removed":true`},
		{"get_oauth_url", map[string]any{"provider": "github", "scopes": []string{"repo"}}, http.MethodGet, "/agent/integrations/oauth/url", `/sandbox/oauth/consent?state=`},
		{"get_oauth_status", map[string]any{"provider": "github"}, http.MethodGet, "/agent/integrations/oauth/status", `"connected":false`},
	}
}

// ToolCallOf returns the row of the tool called name, and fails the test
// when the table has none, saying what to add.
func ToolCallOf(t testing.TB, name string) ToolCall {
	t.Helper()
	for _, c := range ToolCalls() {
		if c.Tool == name {
			return c
		}
	}
	t.Fatalf("tool %s has no row in the shared test table (ToolCalls in internal/testutil/toolcalls.go): "+
		"add one with arguments that succeed against the sandbox, the upstream request they make and a fragment of the result", name)
	return ToolCall{}
}
