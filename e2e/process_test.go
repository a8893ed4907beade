package e2e

// The binary under test: built once, run as a host or a person runs it, with
// an environment free of the caller's ALFE_ variables. The tests of the
// binary are split by command: stdio_test.go, http_test.go, sse_test.go,
// call_test.go, check_test.go and cli_test.go (the other commands, exit
// statuses, the tools command).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// cliKey is the key the command tests put in ALFE_API_KEY. No output of any
// command may carry it.
const cliKey = "sk_test_SECRET"

// processLimit bounds each run of the binary; it is never asserted on.
const processLimit = 60 * time.Second

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds alfe-mcp once per test binary (with the race detector when
// the tests run with it) and returns its path. It goes
// into go test's own work directory when the tests run under go test (which
// removes it afterwards), otherwise into a new temporary directory.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		goTool, err := exec.LookPath("go")
		if err != nil {
			buildErr = fmt.Errorf("the go command is needed to build alfe-mcp: %w", err)
			return
		}
		dir, err := os.MkdirTemp(scratchDir(), "alfe-mcp-e2e-")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "alfe-mcp")
		args := []string{"build", "-o", binPath}
		if testutil.RaceEnabled() {
			args = append(args, "-race") // the binary's own races fail its tests too
		}
		cmd := exec.Command(goTool, append(args, ".")...)
		cmd.Dir = ".." // the module root: the tests run in e2e/
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// scratchDir is the directory of the test binary when it lies in go test's
// work directory ($WORK/b001/), which go test removes when it is done; ""
// (the system's temporary directory) otherwise.
func scratchDir() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	dir := filepath.Dir(exe)
	if strings.Contains(dir, string(filepath.Separator)+"go-build") {
		return dir
	}
	return ""
}

// ran is the outcome of one run of the binary.
type ran struct {
	code           int
	stdout, stderr string
}

// runBinary runs alfe-mcp with args and an environment free of the caller's
// ALFE_ variables, plus env. Its standard input is empty.
func runBinary(t *testing.T, env []string, args ...string) ran {
	t.Helper()
	bin := binary(t)
	ctx, cancel := context.WithTimeout(context.Background(), processLimit)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ALFE_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := ran{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case ctx.Err() != nil:
		t.Fatalf("alfe-mcp %s did not finish within %s\nstderr: %s", strings.Join(args, " "), processLimit, r.stderr)
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run alfe-mcp: %v", err)
	}
	return r
}

// want checks a run against the expected exit code and output, and that the
// key appears nowhere.
func (r ran) want(t *testing.T, code int, stdout *regexp.Regexp, stderr ...string) {
	t.Helper()
	if r.code != code {
		t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", r.code, code, r.stdout, r.stderr)
	}
	if stdout == nil {
		if r.stdout != "" {
			t.Errorf("stdout is not empty: %q", r.stdout)
		}
	} else if !stdout.MatchString(r.stdout) {
		t.Errorf("stdout %q does not match %s", r.stdout, stdout)
	}
	for _, s := range stderr {
		if !strings.Contains(r.stderr, s) {
			t.Errorf("stderr does not mention %q: %s", s, r.stderr)
		}
	}
	for _, out := range []string{r.stdout, r.stderr} {
		if strings.Contains(out, cliKey) {
			t.Errorf("the output carries the API key:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
		}
	}
}

// childEnv is this process's environment without ALFE_* and NO_COLOR,
// plus extra ("NAME=value").
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ALFE_") && !strings.HasPrefix(kv, "NO_COLOR=") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Keys of the tests that serve: a client's, another client's, and the
// server's own (ALFE_API_KEY). The recording API accepts any key; none may
// appear in a log line.
const (
	clientKey = "alfe_sk_E2E_CLIENT_A_5e1d"
	serverKey = "alfe_sk_E2E_SERVER_c3b2"
)

// noKeyIn fails the test when a key of the tests appears in out.
func noKeyIn(t *testing.T, what, out string) {
	t.Helper()
	for _, k := range []string{cliKey, clientKey, serverKey} {
		if strings.Contains(out, k) {
			t.Errorf("a key appears in %s:\n%s", what, out)
		}
	}
}

// connectSDK opens a session of the official MCP Go SDK (a client
// independent of the server's library) over tr, in the protocol era
// version ("" for the SDK's latest, the stateless 2026-07-28).
func connectSDK(t *testing.T, tr sdk.Transport, version string) *sdk.ClientSession {
	t.Helper()
	c := sdk.NewClient(&sdk.Implementation{Name: "alfe-mcp-e2e", Version: "1"}, nil)
	cs, err := c.Connect(t.Context(), tr, &sdk.ClientSessionOptions{ProtocolVersion: version})
	if err != nil {
		t.Fatalf("connect (protocol %q): %v", version, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// sdkEras are the protocol eras as the SDK client asks for them.
var sdkEras = []struct{ name, version string }{
	{"legacy", "2025-11-25"},
	{"modern", ""},
}

// wantCatalogue lists the session's tools and fails unless they are the
// catalogue's.
func wantCatalogue(t *testing.T, cs *sdk.ClientSession) {
	t.Helper()
	list, err := cs.ListTools(t.Context(), nil)
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range list.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	if want := slices.Sorted(slices.Values(tools.Names())); !slices.Equal(names, want) {
		t.Errorf("tools/list: %v, want the catalogue's %v", names, want)
	}
}

// callReaches calls tool with its row of the shared test table and fails
// unless it succeeds after exactly the row's request to api, carrying auth.
func callReaches(t *testing.T, cs *sdk.ClientSession, api *testutil.Recorder, tool, auth string) {
	t.Helper()
	row := testutil.ToolCallOf(t, tool)
	before := len(api.Requests())
	res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: tool, Arguments: row.Args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	if res.IsError {
		t.Fatalf("%s: isError: %v", tool, res.Content)
	}
	want := []testutil.Request{{Method: row.Method, Path: row.Path, Auth: auth}}
	if got := api.Requests()[before:]; !slices.Equal(got, want) {
		t.Errorf("%s reached the API as %v, want %v", tool, got, want)
	}
}

// served is the binary serving http or sse on a free loopback port.
type served struct {
	base   string // http://127.0.0.1:port
	cmd    *exec.Cmd
	stderr *syncBuffer
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, once exited is closed
	term   sync.Once     // SIGTERM is sent once: a second one would kill
}

// serve runs `alfe-mcp command --addr 127.0.0.1:0 --api-url api
// --log-format json --drain-delay 0s args...` with env, and waits until it
// logs that it serves (no drain delay: no load balancer is watching). When the test ends it is sent SIGTERM and must exit 0, with no
// key in its logs.
func serve(t *testing.T, api *testutil.Recorder, env []string, command string, args ...string) *served {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processLimit)
	t.Cleanup(cancel)
	argv := append([]string{command, "--addr", "127.0.0.1:0", "--api-url", api.URL, "--log-format", "json", "--drain-delay", "0s"}, args...)
	cmd := exec.CommandContext(ctx, binary(t), argv...)
	cmd.Env = childEnv(env...)
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, stderr: &syncBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	url := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pipe)
		for sc.Scan() {
			line := sc.Text()
			s.stderr.Write([]byte(line + "\n"))
			var rec struct{ Msg, URL string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "alfe-mcp serving" {
				url <- rec.URL
			}
		}
		s.err = cmd.Wait()
		close(s.exited)
	}()
	select {
	case u := <-url:
		s.base = strings.TrimSuffix(strings.TrimSuffix(u, "/mcp"), "/sse")
	case <-s.exited:
		t.Fatalf("alfe-mcp %s exited: %v\n%s", command, s.err, s.stderr.String())
	}
	t.Cleanup(func() {
		if code := s.stop(t); code != 0 {
			t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, s.stderr.String())
		}
		noKeyIn(t, "the logs", s.stderr.String())
	})
	return s
}

// stop sends SIGTERM (once), waits for the exit and returns its status.
func (s *served) stop(t *testing.T) int {
	t.Helper()
	s.term.Do(func() { _ = s.cmd.Process.Signal(syscall.SIGTERM) })
	<-s.exited
	var exitErr *exec.ExitError
	if s.err != nil && !errors.As(s.err, &exitErr) {
		t.Fatalf("wait: %v", s.err)
	}
	return s.cmd.ProcessState.ExitCode()
}

// waitForLog returns once the server has logged a line containing want.
func (s *served) waitForLog(t *testing.T, want string) {
	t.Helper()
	for !strings.Contains(s.stderr.String(), want) {
		select {
		case <-s.exited:
			t.Fatalf("exited before logging %q:\n%s", want, s.stderr.String())
		case <-t.Context().Done():
			t.Fatalf("no %q in the logs", want)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// connect opens an SDK session to the server's endpoint (/sse or /mcp)
// with key ("" for none) in the protocol era version.
func (s *served) connect(t *testing.T, key, version string) *sdk.ClientSession {
	t.Helper()
	hc := &http.Client{Transport: bearer{key: key, next: &http.Transport{}}}
	t.Cleanup(hc.CloseIdleConnections)
	var tr sdk.Transport
	if slices.Contains(s.cmd.Args, "sse") {
		tr = &sdk.SSEClientTransport{Endpoint: s.base + "/sse", HTTPClient: hc}
	} else {
		tr = &sdk.StreamableClientTransport{Endpoint: s.base + "/mcp", HTTPClient: hc, MaxRetries: -1}
	}
	return connectSDK(t, tr, version)
}

// bearer adds Authorization: Bearer key to every request (none when key
// is empty), as a remote host configured with a key does.
type bearer struct {
	key  string
	next http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if b.key != "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.key)
	}
	return b.next.RoundTrip(r)
}
