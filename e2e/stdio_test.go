package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// TestStdio launches `alfe-mcp stdio` as a host does, with the SDK client
// in both eras: the session lists the catalogue, a call reaches the API with
// the configured key, the server logs the call on stderr, and it exits 0
// when the client closes its stdin. (Every tool over stdio is tested in
// process by package tools.)
func TestStdio(t *testing.T) {
	for _, e := range sdkEras {
		t.Run(e.name, func(t *testing.T) {
			api := testutil.NewRecorder(t)
			cmd := exec.Command(binary(t), "stdio", "--api-url", api.URL)
			cmd.Env = childEnv("ALFE_API_KEY=" + clientKey)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			cs := connectSDK(t, &sdk.CommandTransport{Command: cmd, TerminateDuration: processLimit}, e.version)
			if name := cs.InitializeResult().ServerInfo.Name; name != "alfe-mcp" {
				t.Errorf("server name %q, want alfe-mcp", name)
			}
			wantCatalogue(t, cs)
			callReaches(t, cs, api, "list_integrations", "Bearer "+clientKey)
			if err := cs.Close(); err != nil { // closes stdin, waits for the exit
				t.Errorf("the server's exit: %v\nstderr:\n%s", err, stderr.String())
			}
			if !strings.Contains(stderr.String(), "tool call") {
				t.Errorf("stderr has no 'tool call' line:\n%s", stderr.String())
			}
			noKeyIn(t, "stderr", stderr.String())
		})
	}
}

// rpcMessage is a JSON-RPC 2.0 message read from stdout.
type rpcMessage struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Result  *struct {
		IsError bool `json:"isError"`
	} `json:"result"`
	Error *struct {
		Code int `json:"code"`
	} `json:"error"`
}

// session is one run of the binary fed raw lines on stdin.
type session struct {
	stdout, stderr string
	code           int
	byID           map[string]rpcMessage // responses by raw id, e.g. "3"
}

// legacyInit starts a legacy session.
var legacyInit = []string{
	`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw-test","version":"1.0.0"}}}`,
	`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
}

// toolCall is a tools/call line.
func toolCall(id int, tool, args string) string {
	return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":%q,"arguments":%s}}`, id, tool, args)
}

// runSession writes lines to `alfe-mcp stdio args...`'s stdin, waits until
// every id in wantIDs has its response on stdout, then closes stdin and
// reads stdout to the end; with no wantIDs it closes stdin right after the
// last line. Every stdout line must be a JSON-RPC 2.0 message.
func runSession(t *testing.T, env []string, lines []string, wantIDs []string, args ...string) session {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), processLimit)
	defer cancel()
	p := startStdio(t, env, args...)

	type line struct {
		raw string
		msg rpcMessage
		err error
	}
	linesCh := make(chan line)
	go func() {
		defer close(linesCh)
		sc := bufio.NewScanner(p.stdout)
		sc.Buffer(make([]byte, 0, 64<<10), 16<<20)
		for sc.Scan() {
			l := line{raw: sc.Text()}
			l.err = json.Unmarshal(sc.Bytes(), &l.msg)
			linesCh <- l
		}
	}()
	closeAtOnce := len(wantIDs) == 0
	go func() {
		for _, l := range lines {
			if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
				return
			}
		}
		if closeAtOnce {
			p.stdin.Close()
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
			p.stdin.Close()
			stdinOpen = false
		}
		select {
		case l, ok := <-linesCh:
			if !ok {
				linesCh = nil
				if stdinOpen {
					t.Errorf("stdout ended before the responses to ids %v\nstderr:\n%s", missing(), p.stderr)
					p.stdin.Close()
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
			t.Fatalf("timed out; missing responses %v\nstdout:\n%s\nstderr:\n%s", missing(), stdout.String(), p.stderr)
		}
	}
	s.code = p.wait(t)
	var exitErr *exec.ExitError
	if p.err != nil && !(errors.As(p.err, &exitErr) && exitErr.Exited()) {
		t.Fatalf("wait: %v\nstderr:\n%s", p.err, p.stderr)
	}
	s.stdout, s.stderr = stdout.String(), p.stderr.String()
	noKeyIn(t, "stdout", s.stdout)
	noKeyIn(t, "stderr", s.stderr)
	return s
}

// TestStdioRawPipes feeds the binary raw lines, as a host's pipes do, with
// debug logs in JSON: stdout carries nothing but JSON-RPC, every request
// gets its response (a line that is not JSON a parse error), and stderr
// carries one JSON object a line, among them the call and its upstream
// request. (The response to each kind of malformed input is tested in
// process by internal/transport/stdio.)
func TestStdioRawPipes(t *testing.T) {
	api := testutil.NewRecorder(t)
	lines := append(slices.Clone(legacyInit),
		toolCall(2, "list_integrations", `{}`),
		toolCall(3, "get_integration_config", `{"integrationId":"stripe"}`), // not installed: an isError result
		toolCall(4, "no_such_tool", `{}`),
		`this is not JSON`,
		`{"jsonrpc":"2.0","id":5,"method":"ping"}`,
	)
	s := runSession(t, []string{"ALFE_API_KEY=" + clientKey}, lines, []string{"1", "2", "3", "4", "5"},
		"--api-url", api.URL, "--log-level", "debug", "--log-format", "json")
	if s.code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
	}
	if m := s.byID["2"]; m.Result == nil || m.Result.IsError {
		t.Errorf("list_integrations: %+v", m)
	}
	if m := s.byID["3"]; m.Result == nil || !m.Result.IsError {
		t.Errorf("get_integration_config of an integration not installed: %+v, want an isError result", m)
	}
	if !strings.Contains(s.stdout, `"code":-32700`) {
		t.Errorf("no parse error for the line that is not JSON:\n%s", s.stdout)
	}
	var sawCall, sawUpstream bool
	for _, line := range strings.Split(strings.TrimSpace(s.stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("stderr line is not JSON: %q", line)
			continue
		}
		sawCall = sawCall || rec["msg"] == "tool call" && rec["tool"] == "list_integrations"
		sawUpstream = sawUpstream || rec["msg"] == "upstream request"
	}
	if !sawCall || !sawUpstream {
		t.Errorf("stderr lacks the JSON records of the call (%v) or of its upstream request (%v):\n%s", sawCall, sawUpstream, s.stderr)
	}
}

// TestStdioEndOfInput closes stdin right after the last request, as
// `printf ... | alfe-mcp` does: the server still writes only JSON-RPC on
// stdout, with no JSON-RPC error for a tool call, and exits 0.
func TestStdioEndOfInput(t *testing.T) {
	api := testutil.NewRecorder(t)
	lines := slices.Clone(legacyInit)
	for id := 2; id < 12; id++ {
		lines = append(lines, toolCall(id, "get_registry", `{"query":"slack"}`), toolCall(100+id, "get_integration_config", `{"integrationId":"../x"}`))
	}
	s := runSession(t, []string{"ALFE_API_KEY=" + clientKey}, lines, nil, "--api-url", api.URL)
	if s.code != 0 {
		t.Errorf("exit status %d, want 0\nstderr:\n%s", s.code, s.stderr)
	}
	if m := s.byID["1"]; m.Result == nil {
		t.Errorf("no response to initialize:\n%s", s.stdout)
	}
	for id, m := range s.byID {
		if m.Error != nil {
			t.Errorf("id %s: JSON-RPC error %+v; a tool call's response is a result", id, m.Error)
		}
	}
}

// TestStdioEndOfInputEndsOAuthWait: closing stdin while an OAuth wait is in
// flight ends the wait at once, and its response is the last status with a
// note to call again; the process exits 0. (Before issue 11 it polled on for
// the whole 50 s and responded without a note.)
func TestStdioEndOfInputEndsOAuthWait(t *testing.T) {
	api := testutil.NewRecorder(t)
	p := startStdio(t, []string{"ALFE_API_KEY=" + clientKey}, "--api-url", api.URL, "--log-level", "debug", "--log-format", "json")
	for _, l := range append(slices.Clone(legacyInit), toolCall(2, "get_oauth_status", `{"provider":"github","waitSeconds":50}`)) {
		if _, err := io.WriteString(p.stdin, l+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	// The wait has read a status and is waiting for the next poll.
	p.waitForLog(t, `"msg":"upstream request"`, `"path":"/agent/integrations/oauth/status"`)
	p.stdin.Close()

	var response string
	sc := bufio.NewScanner(p.stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"id":2`) {
			response = sc.Text()
		}
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("exit status %d, want 0\nstderr:\n%s", code, p.stderr)
	}
	var msg rpcMessage
	if err := json.Unmarshal([]byte(response), &msg); err != nil || msg.Result == nil {
		t.Fatalf("no response to the wait: %q", response)
	}
	if msg.Result.IsError || !strings.Contains(response, `\"connected\":false`) || !strings.Contains(response, "call get_oauth_status again") {
		t.Errorf("the wait's response is %s, want its last status and a note to call again", response)
	}
	noKeyIn(t, "stderr", p.stderr.String())
}

// TestStdioSignals: SIGTERM or SIGINT stops a serving stdio server, which
// exits 0.
func TestStdioSignals(t *testing.T) {
	for _, sig := range []os.Signal{syscall.SIGTERM, os.Interrupt} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			api := testutil.NewRecorder(t)
			// Its stdin is held open: only the signal stops the server.
			p := startStdio(t, []string{"ALFE_API_KEY=" + clientKey}, "--api-url", api.URL, "--log-level", "debug")
			// The response to initialize means the server is serving, so
			// its signal handler is installed.
			if _, err := io.WriteString(p.stdin, legacyInit[0]+"\n"); err != nil {
				t.Fatal(err)
			}
			sc := bufio.NewScanner(p.stdout)
			if !sc.Scan() {
				t.Fatalf("no response to initialize: %v\nstderr:\n%s", sc.Err(), p.stderr)
			}
			if err := p.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			go io.Copy(io.Discard, p.stdout)
			if code := p.wait(t); p.err != nil || code != 0 {
				t.Errorf("after %s: exit status %d (%v), want 0\nstderr:\n%s", sig, code, p.err, p.stderr)
			}
			noKeyIn(t, "stderr", p.stderr.String())
		})
	}
}
