package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
)

// startBinary starts alfe-mcp with args, the sandbox and debug logs in
// JSON, and returns its stdin, its stdout, a channel of its stderr lines and
// the command. It is killed if it is still running when the test ends.
func startBinary(t *testing.T, args ...string) (io.WriteCloser, io.Reader, <-chan string, *exec.Cmd) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processLimit)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary(t), append(args, "--sandbox", "--log-level", "debug", "--log-format", "json")...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ALFE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // nobody reads any more
			}
		}
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // ends os/exec's own goroutines; its error is the test's business
	})
	return stdin, stdout, lines, cmd
}

// waitLog returns the first stderr line that contains all of fragments.
func waitLog(t *testing.T, lines <-chan string, fragments ...string) string {
	t.Helper()
	for line := range lines {
		match := true
		for _, f := range fragments {
			match = match && strings.Contains(line, f)
		}
		if match {
			return line
		}
	}
	t.Fatalf("no log line with %q", fragments)
	return ""
}

// Closing stdin while an OAuth wait is in flight: the wait answers at once
// with its last status and a note to call again, and the process exits 0
// (on main it polled on for the whole 50 s and answered without a note).
func TestStdioEndOfInputEndsOAuthWait(t *testing.T) {
	stdin, stdout, logs, cmd := startBinary(t, "stdio")
	for _, l := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/initialized"}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_oauth_status","arguments":{"provider":"github","waitSeconds":50}}}`,
	} {
		fmt.Fprintln(stdin, l)
	}
	waitLog(t, logs, "upstream request", "/agent/integrations/oauth/status")
	stdin.Close()

	var answer string
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		if strings.Contains(sc.Text(), `"id":2`) {
			answer = sc.Text()
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit: %v", err)
	}
	var msg struct {
		Result mcp.CallToolResult `json:"result"`
	}
	if err := json.Unmarshal([]byte(answer), &msg); err != nil {
		t.Fatalf("no answer to the wait: %q", answer)
	}
	if msg.Result.IsError || !strings.Contains(answer, `\"connected\":false`) || !strings.Contains(answer, "call get_oauth_status again") {
		t.Errorf("the wait answered %s, want its last status and a note to call again", answer)
	}
}

// On SIGTERM, alfe-mcp http drains: /healthz answers 503 while the
// listener still accepts, a new session gets 503, and an OAuth wait in
// flight answers at once with its last status and a note. (The drain delay
// is an hour here; its end is tested in httpserver with an injected clock.)
func TestHTTPDrainsOnSIGTERM(t *testing.T) {
	_, _, logs, cmd := startBinary(t, "http", "--addr", "127.0.0.1:0", "--drain-delay", "1h")
	var served struct{ URL string }
	_ = json.Unmarshal([]byte(waitLog(t, logs, `"alfe-mcp serving"`)), &served)
	base := strings.TrimSuffix(served.URL, "/mcp")

	c, err := client.NewStreamableHttpClient(served.URL, transport.WithHTTPHeaders(map[string]string{"Authorization": "Bearer " + apiKey}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.Initialize(t.Context(), mcp.InitializeRequest{Params: mcp.InitializeParams{ProtocolVersion: mcp.ProtocolVersion20251125,
		ClientInfo: mcp.Implementation{Name: "e2e", Version: "1"}}}); err != nil {
		t.Fatalf("initialize: %v", err)
	}
	waited := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, _ := c.CallTool(t.Context(), mcp.CallToolRequest{Params: mcp.CallToolParams{Name: "get_oauth_status", Arguments: map[string]any{"provider": "github", "waitSeconds": 50}}})
		waited <- res
	}()
	waitLog(t, logs, "upstream request", "/agent/integrations/oauth/status")

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	res := <-waited
	if res == nil || res.IsError || len(res.Content) != 2 || !strings.Contains(text(res), "connected") {
		t.Fatalf("the OAuth wait answered %s", describe(res))
	}
	if note, ok := res.Content[1].(mcp.TextContent); !ok || !strings.Contains(note.Text, "call get_oauth_status again") {
		t.Errorf("no note to call again: %s", describe(res.Content))
	}
	waitLog(t, logs, "draining")
	hc := &http.Client{Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Get(base + "/healthz")
	if err != nil {
		t.Fatalf("the listener closed during the drain: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/healthz while draining: %d, want 503", resp.StatusCode)
	}
	req, _ := http.NewRequest("POST", served.URL, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+apiKey)
	resp, err = hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a new session while draining: %d, want 503", resp.StatusCode)
	}
}
