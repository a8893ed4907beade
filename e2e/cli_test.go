package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestCommands runs the binary for what only a process shows: what reaches
// stdout and stderr, the exit status, and what it reads from its
// environment. (The help, and the mistakes of a command line, are checked
// in process by the root package's cli_test.go; the loading of settings by
// internal/config.)
func TestCommands(t *testing.T) {
	const shortKey = "sk_test_SHORT15" // 15 characters: redaction would corrupt results
	shortFile := filepath.Join(t.TempDir(), "short.key")
	if err := os.WriteFile(shortFile, []byte(shortKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		stdout *regexp.Regexp // nil: stdout must be empty
		stderr []string
	}{
		{"version", nil, []string{"version"}, 0, regexp.MustCompile(`^alfe-mcp \S+( \([^)]*\))?\n$`), nil},
		{"no key", nil, []string{"stdio"}, 2, nil, []string{"no API key", "Set the ALFE_API_KEY environment variable", "--api-key-file"}},
		{"no key, no command", nil, nil, 2, nil, []string{"ALFE_API_KEY"}},
		{"no key, only flags", nil, []string{"--log-level", "debug"}, 2, nil, []string{"ALFE_API_KEY"}},
		{"blank key", []string{"ALFE_API_KEY=   "}, []string{"stdio"}, 2, nil, []string{"ALFE_API_KEY"}},
		{"bad API URL from the environment", []string{"ALFE_API_KEY=" + cliKey, "ALFE_API_URL=127.0.0.1:80"}, []string{"stdio"}, 2, nil, []string{"http(s)"}},
		{"short key in the environment", []string{"ALFE_API_KEY=" + shortKey}, []string{"stdio"}, 2, nil,
			[]string{"the API key in ALFE_API_KEY is not an Alfe agent API key", "15 characters", "at least 16"}},
		{"short key in the environment, http", []string{"ALFE_API_KEY=" + shortKey}, []string{"http", "--addr", "127.0.0.1:0"}, 2, nil,
			[]string{"ALFE_API_KEY", "at least 16"}},
		// check reports a key that cannot work as a failed check (exit 1).
		{"short key file, check", nil, []string{"check", "--api-key-file", shortFile}, 1, nil,
			[]string{"not ok: ", "short.key (--api-key-file) is not an Alfe agent API key", "15 characters"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, tt.env, tt.args...)
			r.want(t, tt.code, tt.stdout, tt.stderr...)
			if strings.Contains(r.stdout+r.stderr, shortKey) {
				t.Errorf("the output carries the key: %s", r.stderr)
			}
		})
	}
}

// TestToolsCommand: `alfe-mcp tools` prints exactly what tools/list returns
// for the same options (tools.ListJSON, which package tools holds to its
// golden file), and an unknown name in --tools exits 2 naming the known
// ones.
func TestToolsCommand(t *testing.T) {
	tests := []struct {
		name string
		args []string
		opts tools.Options
	}{
		{"all", nil, tools.Options{}},
		{"read-only", []string{"--read-only"}, tools.Options{ReadOnly: true}},
		{"allowlist", []string{"--tools", "get_registry, remove_integration"}, tools.Options{Tools: []string{"get_registry", "remove_integration"}}},
		{"read-only and allowlist", []string{"--read-only", "--tools", "get_registry,remove_integration"},
			tools.Options{ReadOnly: true, Tools: []string{"get_registry", "remove_integration"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, nil, append([]string{"tools"}, tt.args...)...)
			r.want(t, 0, regexp.MustCompile(`^\{"tools":\[`))
			want, err := tools.ListJSON(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var got, wantBuf bytes.Buffer
			if err := json.Compact(&got, []byte(r.stdout)); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			if err := json.Compact(&wantBuf, want); err != nil {
				t.Fatal(err)
			}
			if got.String() != wantBuf.String() {
				t.Errorf("alfe-mcp tools %s printed\n%s\nwant tools.ListJSON's\n%s", strings.Join(tt.args, " "), got.String(), wantBuf.String())
			}
		})
	}
	t.Run("unknown tool", func(t *testing.T) {
		runBinary(t, nil, "tools", "--tools", "nope").want(t, 2, nil, append([]string{`"nope"`}, tools.Names()...)...)
	})
}
