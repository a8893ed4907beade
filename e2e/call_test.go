package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestCall runs `alfe-mcp call` as a process: against the built-in sandbox,
// where a real key in the environment is never used nor shown, and against
// an API of the test's (--api-url), which must receive the key.
func TestCall(t *testing.T) {
	allTools := tools.Names()
	cases := []struct {
		name   string
		args   []string
		noKey  bool // no ALFE_API_KEY
		toAPI  bool // --api-url of a recording API, which must see the key
		code   int
		stdout *regexp.Regexp // nil: stdout must be empty
		stderr []string
		check  func(t *testing.T, stdout string)
	}{
		{
			name:   "registry",
			args:   []string{"call", "get_registry", "--sandbox"},
			stdout: regexp.MustCompile(`^\{\n  "integrations": \[\n    \{\n      "`),
			stderr: []string{"sandbox in use"},
			check: func(t *testing.T, stdout string) {
				if ids := registryIDs(t, stdout); len(ids) != 14 {
					t.Errorf("%d integrations %v, want 14", len(ids), ids)
				}
			},
		},
		{
			name:   "registry filtered",
			args:   []string{"call", "get_registry", `{"query":"git"}`, "--sandbox"},
			stdout: regexp.MustCompile(`^\{\n  "integrations": \[`),
			check: func(t *testing.T, stdout string) {
				if ids := registryIDs(t, stdout); !slices.Equal(ids, []string{"github"}) {
					t.Errorf("integrations %v, want [github]", ids)
				}
			},
		},
		{
			name:   "flags before the tool",
			args:   []string{"call", "--sandbox", "get_integration_config", `{"integrationId":"memory"}`},
			stdout: regexp.MustCompile(`(?s)^\{\n  "integrationId": "memory",\n  "config": \{\n    "autoCapture": true,.*\n  \}\n\}\n$`),
		},
		{
			name:   "tool error",
			args:   []string{"call", "get_integration_config", `{"integrationId":"nope"}`, "--sandbox"},
			code:   1,
			stderr: []string{"get_integration_config", "integration 'nope' is not installed"},
		},
		{
			name:   "unknown tool",
			args:   []string{"call", "nope", "--sandbox"},
			code:   2,
			stderr: append([]string{`unknown tool "nope"`}, allTools...),
		},
		{
			name:   "invalid JSON",
			args:   []string{"call", "get_registry", `{"query":`, "--sandbox"},
			code:   2,
			stderr: []string{"must be a JSON object", "it takes query"},
		},
		{
			name:   "JSON that is not an object",
			args:   []string{"call", "get_registry", `["git"]`, "--sandbox"},
			code:   2,
			stderr: []string{"must be a JSON object"},
		},
		{
			name:   "no tool",
			args:   []string{"call", "--sandbox"},
			code:   2,
			stderr: []string{"usage: alfe-mcp call TOOL [JSON]"},
		},
		{
			name:   "extra argument",
			args:   []string{"call", "get_registry", "{}", "extra", "--sandbox"},
			code:   2,
			stderr: []string{`unexpected argument "extra"`},
		},
		{
			name:   "the configured key reaches the API",
			args:   []string{"call", "list_integrations"},
			toAPI:  true,
			stdout: regexp.MustCompile(`"integrationId": "memory"`),
		},
		{
			name:   "no key, without --sandbox",
			args:   []string{"call", "get_registry"},
			noKey:  true,
			toAPI:  true,
			code:   2,
			stderr: []string{"no API key", "ALFE_API_KEY"},
		},
		{
			name:   "no key needed with --sandbox",
			args:   []string{"call", "get_oauth_status", `{"provider":"github"}`, "--sandbox"},
			noKey:  true,
			stdout: regexp.MustCompile(`"connected": false`),
		},
		{
			name:   "--read-only hides the tools that change something",
			args:   []string{"call", "remove_integration", `{"integrationId":"memory"}`, "--sandbox", "--read-only"},
			code:   2,
			stderr: []string{"remove_integration is not served with this configuration", "read-only", "list_integrations"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := []string{"ALFE_API_KEY=" + cliKey}
			if tc.noKey {
				env = nil
			}
			args := tc.args
			var api *testutil.Recorder
			if tc.toAPI {
				api = testutil.NewRecorder(t)
				args = append(slices.Clone(args), "--api-url", api.URL)
			}
			r := runBinary(t, env, args...)
			r.want(t, tc.code, tc.stdout, tc.stderr...)
			if api != nil {
				for _, req := range api.Requests() {
					if req.Auth != "Bearer "+cliKey {
						t.Errorf("%s %s reached the API with %q, not the configured key", req.Method, req.Path, req.Auth)
					}
				}
			}
			if tc.check != nil && r.code == 0 {
				tc.check(t, r.stdout)
			}
		})
	}
}

// registryIDs decodes call get_registry's output.
func registryIDs(t *testing.T, stdout string) []string {
	t.Helper()
	var out registryOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("stdout is not the registry JSON: %v\n%s", err, stdout)
	}
	var ids []string
	for _, e := range out.Integrations {
		ids = append(ids, e.ID)
	}
	return ids
}
