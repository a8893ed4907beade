package main

// Tests of the built binary: it is compiled once in TestMain and run as a
// host would run it, against the sandbox emulator of the Alfe API.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	"go.uber.org/goleak"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// testKey is the only key the tests' sandboxes accept. Every test checks it
// never shows up in the binary's output.
const testKey = "alfe_sk_TESTKEY_9d3f0c7a21b84e6f"

// runTimeout bounds one run of the binary, so that a hang fails the test
// instead of blocking it; nothing asserts on elapsed time.
const runTimeout = 2 * time.Minute

// binPath is the binary built by TestMain.
var binPath string

// allTools and readOnlyTools are the tool names tools/list returns (sorted).
var (
	allTools = []string{
		"get_integration_config", "get_oauth_status", "get_oauth_url", "get_registry",
		"install_integration", "list_integrations", "remove_integration", "update_integration_config",
	}
	readOnlyTools = []string{"get_integration_config", "get_oauth_status", "get_registry", "list_integrations"}
)

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	// The children inherit a filtered environment (see childEnv); also keep
	// the developer's own settings out of this process.
	for _, k := range []string{"ALFE_API_KEY", "ALFE_API_URL"} {
		os.Unsetenv(k)
	}
	dir, err := os.MkdirTemp("", "alfe-mcp-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "mkdir temp:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	binPath = filepath.Join(dir, "alfe-mcp")
	args := []string{"build", "-o", binPath}
	if raceEnabled {
		args = append(args, "-race") // the binary's own races fail its tests too
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "go build:", err)
		return 1
	}
	code := m.Run()
	if code == 0 {
		// No goroutine may outlive the tests (servers, clients, pipes).
		if err := goleak.Find(); err != nil {
			fmt.Fprintln(os.Stderr, "goleak:", err)
			return 1
		}
	}
	return code
}

// childEnv is this process's environment without ALFE_* and NO_COLOR, plus
// extra ("NAME=value").
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "ALFE_") || strings.HasPrefix(kv, "NO_COLOR=") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// newSandbox starts an emulator of the Alfe API that accepts only testKey.
func newSandbox(t *testing.T) *sandbox.Server {
	t.Helper()
	sb, err := sandbox.Listen(sandbox.Options{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sb.Close(); err != nil {
			t.Errorf("sandbox close: %v", err)
		}
	})
	return sb
}

// result is what one run of the binary produced.
type result struct {
	stdout, stderr string
	code           int
}

// runBinary runs the binary to completion with args, the child environment
// plus env, and stdin.
func runBinary(t *testing.T, env []string, stdin string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = childEnv(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr) && exitErr.Exited():
	default:
		t.Fatalf("alfe-mcp %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return result{stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode()}
}

// assertNoKey fails when testKey appears in any of the named outputs.
func assertNoKey(t *testing.T, outputs map[string]string) {
	t.Helper()
	for name, s := range outputs {
		if strings.Contains(s, testKey) {
			t.Errorf("the API key appears in %s:\n%s", name, s)
		}
	}
}

// --- the mcp-go stdio client ---

func TestStdioClient(t *testing.T) {
	tests := []struct {
		name        string
		opts        []client.ClientOption
		wantVersion func(string) bool
	}{
		{"modern", nil, mcp.IsModernProtocol},
		{"legacy 2025-11-25", []client.ClientOption{client.WithProtocolVersion(mcp.ProtocolVersion20251125)},
			func(v string) bool { return v == mcp.ProtocolVersion20251125 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := newSandbox(t)
			var stderr syncBuffer
			// A command of our own: its stderr goes to a buffer that Wait
			// drains, so Close reports the exit status (the transport's
			// default closes the stderr pipe while the child may still log).
			commandFunc := func(ctx context.Context, command string, env, args []string) (*exec.Cmd, error) {
				cmd := exec.CommandContext(ctx, command, args...)
				cmd.Env = childEnv(env...)
				cmd.Stderr = &stderr
				return cmd, nil
			}
			c, err := client.NewStdioMCPClientWithOptions(binPath,
				[]string{"ALFE_API_KEY=" + testKey},
				[]string{"stdio", "--api-url", sb.URL(), "--log-level", "debug"},
				transport.WithCommandFunc(commandFunc))
			if err != nil {
				t.Fatal(err)
			}
			// NewStdioMCPClientWithOptions takes only transport options; a
			// ClientOption just sets a field, so apply it before Initialize.
			for _, opt := range tt.opts {
				opt(c)
			}
			closed := false
			t.Cleanup(func() {
				if !closed {
					c.Close()
				}
			})
			ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
			defer cancel()

			init, err := c.Initialize(ctx, mcp.InitializeRequest{Params: mcp.InitializeParams{
				ClientInfo: mcp.Implementation{Name: "alfe-mcp-test", Version: "1.0.0"},
			}})
			if err != nil {
				t.Fatalf("initialize: %v\nstderr:\n%s", err, stderr.String())
			}
			if !tt.wantVersion(init.ProtocolVersion) {
				t.Errorf("negotiated protocol version %q", init.ProtocolVersion)
			}
			if init.ServerInfo.Name != "alfe-mcp" {
				t.Errorf("server name %q, want alfe-mcp", init.ServerInfo.Name)
			}

			list, err := c.ListTools(ctx, mcp.ListToolsRequest{})
			if err != nil {
				t.Fatalf("tools/list: %v", err)
			}
			var names []string
			for _, tool := range list.Tools {
				names = append(names, tool.Name)
			}
			slices.Sort(names)
			if !slices.Equal(names, allTools) {
				t.Errorf("tools/list names %v, want %v", names, allTools)
			}

			calls := []struct {
				tool      string
				args      map[string]any
				wantError bool
				wantText  []string // substrings of the first text block
			}{
				{"list_integrations", nil, false, []string{`"integrations"`, `"memory"`, `"github"`}},
				{"get_registry", map[string]any{"query": "slack"}, false, []string{`"integrations"`, `"slack"`}},
				{"install_integration", map[string]any{"integrationId": "../etc/passwd"}, true, []string{"integrationId"}},
				{"get_integration_config", map[string]any{"integrationId": "github", "bogus": 1}, true, []string{"bogus", "integrationId"}},
			}
			for _, call := range calls {
				res, err := c.CallTool(ctx, mcp.CallToolRequest{Params: mcp.CallToolParams{Name: call.tool, Arguments: call.args}})
				if err != nil {
					t.Errorf("%s: JSON-RPC error %v; want a result", call.tool, err)
					continue
				}
				text := firstText(res)
				if res.IsError != call.wantError {
					t.Errorf("%s: isError %v, want %v: %s", call.tool, res.IsError, call.wantError, text)
				}
				for _, want := range call.wantText {
					if !strings.Contains(text, want) {
						t.Errorf("%s: text %q lacks %q", call.tool, text, want)
					}
				}
				if !call.wantError && res.StructuredContent == nil {
					t.Errorf("%s: no structuredContent", call.tool)
				}
			}

			closed = true
			if err := c.Close(); err != nil {
				t.Errorf("close (the server's exit): %v\nstderr:\n%s", err, stderr.String())
			}
			logs := stderr.String()
			if !strings.Contains(logs, "tool call") {
				t.Errorf("stderr has no 'tool call' lines:\n%s", logs)
			}
			assertNoKey(t, map[string]string{"stderr": logs})
		})
	}
}

// firstText is the text of a result's first text block.
func firstText(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if tc, ok := mcp.AsTextContent(c); ok {
			return tc.Text
		}
	}
	return ""
}

// --- raw pipes ---

// rpcMessage is a JSON-RPC 2.0 message read from stdout.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Result  *struct {
		IsError           bool `json:"isError"`
		StructuredContent any  `json:"structuredContent"`
		Content           []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		} `json:"content"`
		ProtocolVersion string `json:"protocolVersion"`
	} `json:"result"`
	Error *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func (m rpcMessage) text() string {
	if m.Result == nil || len(m.Result.Content) == 0 {
		return ""
	}
	return m.Result.Content[0].Text
}

// session is one run of the binary fed raw lines on stdin.
type session struct {
	stdout, stderr string
	code           int
	byID           map[string]rpcMessage // responses by raw id, e.g. "3"
}

// initLines start a legacy session.
var initLines = []string{
	`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw-test","version":"1.0.0"}}}`,
	`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
}

// toolCall is a tools/call line.
func toolCall(id int, tool, args string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
}

// runSession writes lines to the binary's stdin, waits until every id in
// wantIDs has its response on stdout, then closes stdin and reads stdout to
// the end; with no wantIDs it closes stdin right after the last line. Every
// stdout line must be a JSON-RPC 2.0 message.
//
// Waiting matters: on EOF, mcp-go's stdio server cancels the tool calls in
// flight (they answer "The call was cancelled"), as a host closes stdin
// only to shut the server down.
func runSession(t *testing.T, env []string, lines []string, wantIDs []string, args ...string) session {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binPath, args...)
	cmd.Env = childEnv(env...)
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdoutPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	type line struct {
		raw string
		msg rpcMessage
		err error
	}
	linesCh := make(chan line)
	go func() {
		defer close(linesCh)
		sc := bufio.NewScanner(stdoutPipe)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			l := line{raw: sc.Text()}
			l.err = json.Unmarshal(sc.Bytes(), &l.msg)
			linesCh <- l
		}
		if err := sc.Err(); err != nil {
			linesCh <- line{err: err}
		}
	}()

	closeAtOnce := len(wantIDs) == 0
	go func() {
		for _, l := range lines {
			if _, err := io.WriteString(stdin, l+"\n"); err != nil {
				return
			}
		}
		if closeAtOnce {
			stdin.Close()
		}
	}()

	s := session{byID: map[string]rpcMessage{}}
	var stdout strings.Builder
	missing := func() []string {
		var out []string
		for _, id := range wantIDs {
			if _, ok := s.byID[id]; !ok {
				out = append(out, id)
			}
		}
		return out
	}
	stdinOpen := !closeAtOnce
	for stdinOpen || linesCh != nil {
		if stdinOpen && len(missing()) == 0 {
			stdin.Close()
			stdinOpen = false
		}
		select {
		case l, ok := <-linesCh:
			if !ok {
				linesCh = nil
				if stdinOpen {
					t.Errorf("stdout ended before responses to ids %v\nstderr:\n%s", missing(), stderr.String())
					stdin.Close()
					stdinOpen = false
				}
				continue
			}
			stdout.WriteString(l.raw + "\n")
			switch {
			case l.err != nil:
				t.Errorf("stdout line is not JSON (%v): %q", l.err, l.raw)
			case l.msg.JSONRPC != "2.0":
				t.Errorf("stdout line lacks \"jsonrpc\":\"2.0\": %q", l.raw)
			case l.msg.ID != nil && (l.msg.Result != nil || l.msg.Error != nil):
				s.byID[string(l.msg.ID)] = l.msg
			}
		case <-ctx.Done():
			t.Fatalf("timed out; missing responses %v\nstdout:\n%s\nstderr:\n%s", missing(), stdout.String(), stderr.String())
		}
	}
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if err != nil && !(errors.As(err, &exitErr) && exitErr.Exited()) {
		t.Fatalf("wait: %v\nstderr:\n%s", err, stderr.String())
	}
	s.stdout, s.stderr, s.code = stdout.String(), stderr.String(), cmd.ProcessState.ExitCode()
	return s
}

func TestStdioRawPipes(t *testing.T) {
	sb := newSandbox(t)
	lines := append(slices.Clone(initLines),
		toolCall(2, "list_integrations", `{}`),
		toolCall(3, "get_registry", `{"query":"git"}`),
		toolCall(4, "install_integration", `{"integrationId":"../etc/passwd"}`),
		toolCall(5, "get_integration_config", `{"integrationId":"stripe"}`),
		toolCall(6, "get_oauth_status", `{"provider":"github","waitSeconds":"soon"}`),
		toolCall(7, "remove_integration", `{"integrationId":"notion","extra":true}`),
		toolCall(8, "list_integrations", `null`),
		toolCall(9, "no_such_tool", `{}`),
		`this is not JSON`,
		`{"jsonrpc":"2.0","id":10,"method":"ping"}`,
	)
	s := runSession(t, []string{"ALFE_API_KEY=" + testKey}, lines,
		[]string{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"},
		"stdio", "--api-url", sb.URL(), "--log-level", "debug")

	if s.code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
	}
	tests := []struct {
		id        string
		wantError bool     // isError result
		wantText  []string // substrings of the first text block
	}{
		{"2", false, []string{`"memory"`}},
		{"3", false, []string{`"github"`}},
		{"4", true, []string{"integrationId", "../etc/passwd"}},
		{"5", true, []string{"not installed", "stripe"}},
		{"6", true, []string{"waitSeconds", "must be an integer"}},
		{"7", true, []string{"extra", "integrationId"}},
		{"8", false, []string{`"integrations"`}},
	}
	for _, tt := range tests {
		m := s.byID[tt.id]
		if m.Result == nil {
			t.Errorf("id %s: no result: %+v", tt.id, m)
			continue
		}
		if m.Result.IsError != tt.wantError {
			t.Errorf("id %s: isError %v, want %v: %s", tt.id, m.Result.IsError, tt.wantError, m.text())
		}
		for _, want := range tt.wantText {
			if !strings.Contains(m.text(), want) {
				t.Errorf("id %s: text %q lacks %q", tt.id, m.text(), want)
			}
		}
	}
	if m := s.byID["1"]; m.Result == nil || m.Result.ProtocolVersion == "" {
		t.Errorf("initialize: %+v", m)
	}
	if m := s.byID["9"]; m.Error == nil && (m.Result == nil || !m.Result.IsError) {
		t.Errorf("unknown tool: want an error, got %+v", m)
	}
	if m := s.byID["10"]; m.Result == nil {
		t.Errorf("ping: %+v", m)
	}
	if !strings.Contains(s.stdout, `"code":-32700`) {
		t.Errorf("no parse error for the non-JSON line:\n%s", s.stdout)
	}
	if n := strings.Count(s.stderr, "tool call"); n < 7 {
		t.Errorf("stderr has %d 'tool call' lines, want at least 7:\n%s", n, s.stderr)
	}
	if !strings.Contains(s.stderr, "upstream request") {
		t.Errorf("stderr at debug level lacks 'upstream request' lines:\n%s", s.stderr)
	}
	assertNoKey(t, map[string]string{"stdout": s.stdout, "stderr": s.stderr})
}

// TestStdioRawPipesCloseAtOnce closes stdin right after the last request,
// as `printf ... | alfe-mcp` does: the server still writes only JSON-RPC on
// stdout and exits 0. Calls cut short by EOF may answer "cancelled".
func TestStdioRawPipesCloseAtOnce(t *testing.T) {
	sb := newSandbox(t)
	lines := slices.Clone(initLines)
	for id := 2; id < 12; id++ {
		lines = append(lines, toolCall(id, "get_registry", `{"query":"slack"}`), toolCall(100+id, "get_integration_config", `{"integrationId":"../x"}`))
	}
	s := runSession(t, []string{"ALFE_API_KEY=" + testKey}, lines, nil,
		"stdio", "--api-url", sb.URL(), "--log-level", "debug")
	if s.code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
	}
	if m := s.byID["1"]; m.Result == nil {
		t.Errorf("no answer to initialize:\n%s", s.stdout)
	}
	for id, m := range s.byID {
		if m.Error != nil {
			t.Errorf("id %s: JSON-RPC error %+v; tool calls answer with results", id, m.Error)
		}
	}
	assertNoKey(t, map[string]string{"stdout": s.stdout, "stderr": s.stderr})
}

// TestStdioWrongKey checks a key the API rejects is reported as an isError
// result and never echoed.
func TestStdioWrongKey(t *testing.T) {
	sb := newSandbox(t)
	const wrongKey = "alfe_sk_WRONGKEY_0000111122223333"
	s := runSession(t, []string{"ALFE_API_KEY=" + wrongKey},
		append(slices.Clone(initLines), toolCall(2, "list_integrations", `{}`)),
		[]string{"1", "2"},
		"stdio", "--api-url", sb.URL(), "--log-level", "debug")
	if s.code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
	}
	m := s.byID["2"]
	if m.Result == nil || !m.Result.IsError || !strings.Contains(m.text(), "ALFE_API_KEY") {
		t.Errorf("want an isError result naming ALFE_API_KEY, got %+v", m)
	}
	for name, out := range map[string]string{"stdout": s.stdout, "stderr": s.stderr} {
		if strings.Contains(out, wrongKey) {
			t.Errorf("the API key appears in %s:\n%s", name, out)
		}
	}
}

// --- the API key file ---

func TestAPIKeyFile(t *testing.T) {
	sb := newSandbox(t)
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	keyFile := write("key", testKey+"\n")
	crlfKeyFile := write("key-crlf", "  "+testKey+"\r\n")
	cfgFile := write("config.json", `{"apiKeyFile": "key", "logLevel": "debug"}`)

	tests := []struct {
		name string
		env  []string
		args []string
	}{
		{"flag", nil, []string{"--api-key-file", keyFile}},
		{"flag with CRLF and spaces", nil, []string{"--api-key-file", crlfKeyFile}},
		{"flag beats env", []string{"ALFE_API_KEY=alfe_sk_WRONG"}, []string{"--api-key-file", keyFile}},
		{"config apiKeyFile relative to the config", nil, []string{"--config", cfgFile}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"stdio", "--api-url", sb.URL(), "--log-level", "debug"}, tt.args...)
			s := runSession(t, tt.env, append(slices.Clone(initLines), toolCall(2, "list_integrations", `{}`)), []string{"1", "2"}, args...)
			if s.code != 0 {
				t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
			}
			if m := s.byID["2"]; m.Result == nil || m.Result.IsError {
				t.Errorf("list_integrations with the key from the file: %+v", m)
			}
			if !strings.Contains(s.stderr, "tool call") {
				t.Errorf("stderr lacks 'tool call':\n%s", s.stderr)
			}
			assertNoKey(t, map[string]string{"stdout": s.stdout, "stderr": s.stderr})
		})
	}
}

func TestAPIKeyFileErrors(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, []byte("\n\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	twoLines := filepath.Join(dir, "two-lines")
	if err := os.WriteFile(twoLines, []byte(testKey+"\n"+testKey+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, file, want string
	}{
		{"missing", filepath.Join(dir, "absent"), "API key file"},
		{"empty", empty, "is empty"},
		{"two lines", twoLines, "on one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, nil, "", "stdio", "--api-key-file", tt.file)
			if r.code != 2 {
				t.Errorf("exit status %d, want 2\nstderr:\n%s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tt.want) {
				t.Errorf("stderr %q lacks %q", r.stderr, tt.want)
			}
			assertNoKey(t, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}

// --- commands and exit statuses ---

func TestCommands(t *testing.T) {
	knownTools := strings.Join([]string{
		"list_integrations", "get_registry", "install_integration", "get_integration_config",
		"update_integration_config", "remove_integration", "get_oauth_url", "get_oauth_status",
	}, ", ")
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStdout *regexp.Regexp // nil: not checked
		wantStderr []string       // substrings
	}{
		{"version", nil, []string{"version"}, 0, regexp.MustCompile(`^alfe-mcp \S+( \([^)]*\))?\n$`), nil},
		{"help", nil, []string{"help"}, 0, regexp.MustCompile(`(?s)^alfe-mcp: .*Usage:.*ALFE_API_KEY`), nil},
		{"unknown command", nil, []string{"bogus"}, 2, regexp.MustCompile(`^$`), []string{`unknown command "bogus"`, "alfe-mcp help"}},
		{"stdio -h", nil, []string{"stdio", "-h"}, 0, regexp.MustCompile(`(?s)^Usage: alfe-mcp stdio \[flags\].*--api-key-file.*--read-only`), nil},
		{"tools -h", nil, []string{"tools", "--help"}, 0, regexp.MustCompile(`^Usage: alfe-mcp tools \[flags\]`), nil},
		{"no key, stdio", nil, []string{"stdio"}, 2, regexp.MustCompile(`^$`), []string{"no API key", "Set the ALFE_API_KEY environment variable", "--api-key-file"}},
		{"no key, default command", nil, nil, 2, regexp.MustCompile(`^$`), []string{"ALFE_API_KEY"}},
		{"no key, flags only", nil, []string{"--log-level", "debug"}, 2, regexp.MustCompile(`^$`), []string{"ALFE_API_KEY"}},
		{"blank key", []string{"ALFE_API_KEY=   "}, []string{"stdio"}, 2, regexp.MustCompile(`^$`), []string{"ALFE_API_KEY"}},
		{"unknown tool in allowlist", nil, []string{"tools", "--tools", "nope"}, 2, regexp.MustCompile(`^$`), []string{`"nope"`, knownTools}},
		{"unknown flag", nil, []string{"stdio", "--nope"}, 2, regexp.MustCompile(`^$`), []string{"-nope", "alfe-mcp stdio --help"}},
		{"flag of another command", nil, []string{"sse", "--stateless"}, 2, regexp.MustCompile(`^$`), []string{"sse does not take --stateless", "alfe-mcp sse --help"}},
		{"positional argument", []string{"ALFE_API_KEY=" + testKey}, []string{"stdio", "extra"}, 2, regexp.MustCompile(`^$`), []string{`unexpected argument "extra"`}},
		{"bad log level", []string{"ALFE_API_KEY=" + testKey}, []string{"stdio", "--log-level", "loud"}, 2, regexp.MustCompile(`^$`), []string{`log level "loud"`}},
		{"bad API URL", []string{"ALFE_API_KEY=" + testKey}, []string{"stdio", "--api-url", "ftp://127.0.0.1"}, 2, regexp.MustCompile(`^$`), []string{"http(s)"}},
		{"bad API URL from env", []string{"ALFE_API_KEY=" + testKey, "ALFE_API_URL=127.0.0.1:80"}, []string{"stdio"}, 2, regexp.MustCompile(`^$`), []string{"http(s)"}},
		{"missing config file", nil, []string{"tools", "--config", "/nonexistent/alfe.json"}, 2, regexp.MustCompile(`^$`), []string{"config file"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, tt.env, "", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			if tt.wantStdout != nil && !tt.wantStdout.MatchString(r.stdout) {
				t.Errorf("stdout %q does not match %s", r.stdout, tt.wantStdout)
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			assertNoKey(t, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}

// toolsOutput is what `alfe-mcp tools` prints.
type toolsOutput struct {
	Tools []struct {
		Name         string          `json:"name"`
		InputSchema  json.RawMessage `json:"inputSchema"`
		OutputSchema json.RawMessage `json:"outputSchema"`
		Annotations  struct {
			ReadOnlyHint *bool `json:"readOnlyHint"`
		} `json:"annotations"`
	} `json:"tools"`
}

func TestToolsCommand(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		wantNames []string
	}{
		{"all", nil, allTools},
		{"read-only", []string{"--read-only"}, readOnlyTools},
		{"allowlist", []string{"--tools", "get_registry, remove_integration"}, []string{"get_registry", "remove_integration"}},
		{"read-only and allowlist", []string{"--read-only", "--tools", "get_registry,remove_integration"}, []string{"get_registry"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, nil, "", append([]string{"tools"}, tt.args...)...)
			if r.code != 0 {
				t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
			}
			var out toolsOutput
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
				t.Fatalf("stdout is not JSON: %v\n%s", err, r.stdout)
			}
			var names []string
			for _, tool := range out.Tools {
				names = append(names, tool.Name)
				if len(tool.InputSchema) == 0 || len(tool.OutputSchema) == 0 {
					t.Errorf("%s: missing inputSchema or outputSchema", tool.Name)
				}
				ro := tool.Annotations.ReadOnlyHint
				if ro == nil || *ro != slices.Contains(readOnlyTools, tool.Name) {
					t.Errorf("%s: readOnlyHint %v", tool.Name, ro)
				}
			}
			if !slices.Equal(names, tt.wantNames) {
				t.Errorf("tools %v, want %v", names, tt.wantNames)
			}
		})
	}
}

// TestToolsGolden compares `alfe-mcp tools` with the golden catalogue kept
// by package tools, when it exists.
func TestToolsGolden(t *testing.T) {
	golden, err := os.ReadFile(filepath.Join("tools", "testdata", "tools.golden.json"))
	if errors.Is(err, os.ErrNotExist) {
		t.Skip("tools/testdata/tools.golden.json does not exist yet")
	}
	if err != nil {
		t.Fatal(err)
	}
	r := runBinary(t, nil, "", "tools")
	if r.code != 0 {
		t.Fatalf("exit status %d\nstderr:\n%s", r.code, r.stderr)
	}
	got, err := toolsOf([]byte(r.stdout))
	if err != nil {
		t.Fatalf("stdout: %v", err)
	}
	want, err := toolsOf(golden)
	if err != nil {
		t.Fatalf("golden file: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("`alfe-mcp tools` differs from tools/testdata/tools.golden.json; got:\n%s", g)
	}
}

// toolsOf returns the tools array of {"tools": [...]} (or a bare array),
// decoded generically.
func toolsOf(b []byte) ([]any, error) {
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, err
	}
	switch v := v.(type) {
	case []any:
		return v, nil
	case map[string]any:
		if tools, ok := v["tools"].([]any); ok {
			return tools, nil
		}
	}
	return nil, errors.New(`want {"tools": [...]}`)
}

// TestCallAndCheck runs the one-shot commands against the sandbox (the
// test's own, or the built-in one of --sandbox).
func TestCallAndCheck(t *testing.T) {
	sb := newSandbox(t)
	withKey := []string{"ALFE_API_KEY=" + testKey}
	tests := []struct {
		name       string
		env        []string
		args       []string
		wantCode   int
		wantStdout []string
		wantStderr []string
	}{
		{"call get_registry", withKey, []string{"call", "get_registry", `{"query":"slack"}`, "--api-url", sb.URL()}, 0, []string{`"integrations"`, `"slack"`}, nil},
		{"call with flags first", withKey, []string{"call", "--api-url", sb.URL(), "list_integrations"}, 0, []string{`"memory"`}, nil},
		{"call --sandbox without a key", nil, []string{"call", "get_oauth_status", `{"provider":"github"}`, "--sandbox"}, 0, []string{`"connected": false`}, nil},
		{"call bad argument", withKey, []string{"call", "install_integration", `{"integrationId":"../etc/passwd"}`, "--api-url", sb.URL()}, 1, nil, []string{"integrationId"}},
		{"call 404", withKey, []string{"call", "get_integration_config", `{"integrationId":"stripe"}`, "--api-url", sb.URL()}, 1, nil, []string{"not installed"}},
		{"call unknown tool", nil, []string{"call", "nope", "--sandbox"}, 2, nil, []string{`unknown tool "nope"`, "get_registry"}},
		{"call read-only hides writers", nil, []string{"call", "remove_integration", `{"integrationId":"memory"}`, "--sandbox", "--read-only"}, 2, nil, []string{`unknown tool "remove_integration"`}},
		{"call arguments not an object", nil, []string{"call", "get_registry", `[1]`, "--sandbox"}, 2, nil, []string{"must be a JSON object"}},
		{"call without a tool", nil, []string{"call", "--sandbox"}, 2, nil, []string{"usage: alfe-mcp call TOOL"}},
		{"call too many arguments", nil, []string{"call", "get_registry", "{}", "x", "--sandbox"}, 2, nil, []string{`unexpected argument "x"`}},
		{"call without a key", nil, []string{"call", "get_registry", "--api-url", sb.URL()}, 2, nil, []string{"ALFE_API_KEY"}},
		{"check ok", withKey, []string{"check", "--api-url", sb.URL()}, 0, []string{"ok: agent agt_sandbox"}, nil},
		{"check --sandbox", nil, []string{"check", "--sandbox"}, 0, []string{"ok: agent"}, nil},
		{"check wrong key", []string{"ALFE_API_KEY=alfe_sk_WRONG"}, []string{"check", "--api-url", sb.URL()}, 1, nil, []string{"rejected the key", "ALFE_API_KEY"}},
		{"check without a key", nil, []string{"check", "--api-url", sb.URL()}, 1, nil, []string{"ALFE_API_KEY"}},
		{"check unreachable", withKey, []string{"check", "--api-url", "http://127.0.0.1:1", "--timeout", "5s"}, 1, nil, []string{"cannot reach"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := runBinary(t, tt.env, "", tt.args...)
			if r.code != tt.wantCode {
				t.Errorf("exit status %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.stdout, r.stderr)
			}
			for _, want := range tt.wantStdout {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
				}
			}
			for _, want := range tt.wantStderr {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
				}
			}
			assertNoKey(t, map[string]string{"stdout": r.stdout, "stderr": r.stderr})
		})
	}
}

// --- signals ---

func TestSignalStopsServer(t *testing.T) {
	tests := []struct {
		name string
		sig  os.Signal
	}{
		{"SIGTERM", syscall.SIGTERM},
		{"SIGINT", os.Interrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			sb := newSandbox(t)
			ctx, cancel := context.WithTimeout(t.Context(), runTimeout)
			defer cancel()
			cmd := exec.CommandContext(ctx, binPath, "stdio", "--api-url", sb.URL(), "--log-level", "debug")
			cmd.Env = childEnv("ALFE_API_KEY=" + testKey)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			stdin, err := cmd.StdinPipe() // held open: only the signal stops the server
			if err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// An answer to initialize means the server is serving, so its
			// signal handler is installed.
			if _, err := io.WriteString(stdin, initLines[0]+"\n"); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(stdout)
			if !sc.Scan() {
				t.Fatalf("no answer to initialize: %v\nstderr:\n%s", sc.Err(), stderr.String())
			}
			if err := cmd.Process.Signal(tt.sig); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, stdout)
			err = cmd.Wait()
			if code := cmd.ProcessState.ExitCode(); err != nil || code != 0 {
				t.Errorf("after %s: exit status %d (%v), want 0\nstderr:\n%s", tt.name, code, err, stderr.String())
			}
			assertNoKey(t, map[string]string{"stderr": stderr.String()})
		})
	}
}

// TestJSONLogs checks --log-format json gives one JSON object per stderr line.
func TestJSONLogs(t *testing.T) {
	sb := newSandbox(t)
	s := runSession(t, []string{"ALFE_API_KEY=" + testKey},
		append(slices.Clone(initLines), toolCall(2, "list_integrations", `{}`)),
		[]string{"1", "2"},
		"stdio", "--api-url", sb.URL(), "--log-level", "debug", "--log-format", "json")
	if s.code != 0 {
		t.Errorf("exit status %d\nstderr:\n%s", s.code, s.stderr)
	}
	sawToolCall := false
	for _, line := range strings.Split(strings.TrimSpace(s.stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		if rec["msg"] == "tool call" && rec["tool"] == "list_integrations" {
			sawToolCall = true
		}
	}
	if !sawToolCall {
		t.Errorf("no JSON 'tool call' record:\n%s", s.stderr)
	}
	assertNoKey(t, map[string]string{"stdout": s.stdout, "stderr": s.stderr})
}

// syncBuffer collects output safely across goroutines.
type syncBuffer = testutil.SyncBuffer
