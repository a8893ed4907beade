package e2e

// The binary under test: built once, run as a host or a person runs it, with
// an environment free of the caller's ALFE_ variables; runBinary runs it to
// its end, while startStdio and serve start a process that the test talks
// to and watches (its stderr line by line) as it runs. The tests of the
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
	"io"
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
const cliKey = "sk_test_SECRET_E2E"

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

// process is one run of the binary that the test watches while it runs:
// its stderr is read line by line into stderr, and exited is closed once
// it has exited.
type process struct {
	cmd    *exec.Cmd
	stderr *logLines
	exited chan struct{} // closed when the process has exited
	err    error         // cmd.Wait's, once exited is closed
	term   sync.Once     // SIGTERM is sent once
	killed bool          // the test killed it: its exit status says nothing
}

// newProcess prepares `alfe-mcp args...` with env (see childEnv); the
// caller may set its standard input and output before start. Its run is
// bounded by processLimit.
func newProcess(t *testing.T, env []string, args ...string) *process {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), processLimit)
	t.Cleanup(cancel)
	cmd := exec.CommandContext(ctx, binary(t), args...)
	cmd.Env = childEnv(env...)
	return &process{cmd: cmd, stderr: newLogLines(), exited: make(chan struct{})}
}

// start starts the process and reads its stderr. When the test ends the
// process is killed if it still runs (callers that want a clean exit stop it
// first, in a cleanup of their own).
func (p *process) start(t *testing.T) {
	t.Helper()
	pipe, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			p.stderr.add(sc.Text())
		}
		p.err = p.cmd.Wait() // stderr is read to its end: Wait may close it
		close(p.exited)
	}()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill() // nothing when it has exited
		<-p.exited
	})
}

// terminate sends SIGTERM, once: the signal that starts a server's
// shutdown.
func (p *process) terminate(t *testing.T) {
	t.Helper()
	p.term.Do(func() {
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
			t.Errorf("SIGTERM: %v", err)
		}
	})
}

// stop sends SIGTERM (once), waits for the exit and returns its status.
func (p *process) stop(t *testing.T) int {
	t.Helper()
	p.terminate(t)
	return p.wait(t)
}

// kill ends the process at once, for a test that has seen what it wanted
// before the process would end by itself; its exit status is then not
// checked.
func (p *process) kill(t *testing.T) {
	t.Helper()
	p.killed = true
	_ = p.cmd.Process.Kill()
	<-p.exited
}

// wait waits for the process to exit and returns its exit status; it
// fails the test when the process could not be waited for.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	<-p.exited
	var exitErr *exec.ExitError
	if p.err != nil && !errors.As(p.err, &exitErr) {
		t.Fatalf("wait: %v", p.err)
	}
	return p.cmd.ProcessState.ExitCode()
}

// waitForLog returns the first stderr line that contains every fragment,
// once the process has logged it; it fails the test if the process exits
// first. (A process that hangs is killed at processLimit.)
func (p *process) waitForLog(t *testing.T, fragments ...string) string {
	t.Helper()
	for {
		line, more := p.stderr.find(fragments)
		if line != "" {
			return line
		}
		select {
		case <-more:
		case <-p.exited:
			if line, _ := p.stderr.find(fragments); line != "" { // logged just before the exit
				return line
			}
			t.Fatalf("exited (%v) before logging %q:\n%s", p.err, fragments, p.stderr)
		}
	}
}

// logLines is a process's stderr, line by line, for several goroutines.
type logLines struct {
	mu    sync.Mutex
	lines []string
	more  chan struct{} // closed, and replaced, when a line comes
}

func newLogLines() *logLines { return &logLines{more: make(chan struct{})} }

// add appends a line and wakes the waiters.
func (l *logLines) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, line)
	close(l.more)
	l.more = make(chan struct{})
}

// find returns the first line that contains every fragment ("" for none
// yet), and a channel closed when the next line comes.
func (l *logLines) find(fragments []string) (string, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if containsAll(line, fragments) {
			return line, nil
		}
	}
	return "", l.more
}

// String returns the lines so far, each ended by a newline.
func (l *logLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var b strings.Builder
	for _, line := range l.lines {
		b.WriteString(line + "\n")
	}
	return b.String()
}

// containsAll reports whether s contains every one of fragments.
func containsAll(s string, fragments []string) bool {
	for _, f := range fragments {
		if !strings.Contains(s, f) {
			return false
		}
	}
	return true
}

// stdioProcess is `alfe-mcp stdio` on pipes the test holds, as a host
// runs it: the test writes requests to stdin and reads stdout.
type stdioProcess struct {
	*process
	stdin  io.WriteCloser
	stdout io.Reader // ends when the process and its stdout are done
}

// startStdio starts `alfe-mcp stdio args...` with env (see childEnv).
// Its stdout is a pipe of the test's own, so that the test may read it to
// its end whenever the process exits.
func startStdio(t *testing.T, env []string, args ...string) *stdioProcess {
	t.Helper()
	p := newProcess(t, env, append([]string{"stdio"}, args...)...)
	stdin, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	// Not cmd.StdoutPipe, which Wait closes as soon as the process exits,
	// while the test may still be reading it.
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	p.cmd.Stdout = w
	p.start(t)
	w.Close() // the child holds its own copy
	return &stdioProcess{process: p, stdin: stdin, stdout: r}
}

// served is the binary serving http or sse on a free loopback port.
type served struct {
	*process
	base string // http://127.0.0.1:port
}

// serve runs `alfe-mcp command --addr 127.0.0.1:0 --api-url api
// --log-format json --drain-delay 0s args...` with env (args may set those
// flags again: the last value counts), and waits until it logs that it
// serves (no drain delay: no load balancer is watching). When the test
// ends it is sent SIGTERM and must exit 0, unless the test killed it, with
// no key in its logs.
func serve(t *testing.T, api *testutil.Recorder, env []string, command string, args ...string) *served {
	t.Helper()
	argv := append([]string{command, "--addr", "127.0.0.1:0", "--api-url", api.URL, "--log-format", "json", "--drain-delay", "0s"}, args...)
	p := newProcess(t, env, argv...)
	p.start(t)
	var rec struct{ URL string }
	if err := json.Unmarshal([]byte(p.waitForLog(t, `"msg":"alfe-mcp serving"`)), &rec); err != nil {
		t.Fatalf("the serving line: %v", err)
	}
	s := &served{process: p, base: strings.TrimSuffix(strings.TrimSuffix(rec.URL, "/mcp"), "/sse")}
	t.Cleanup(func() {
		if code := s.stop(t); code != 0 && !s.killed {
			t.Errorf("exit status %d after SIGTERM, want 0\n%s", code, s.stderr)
		}
		noKeyIn(t, "the logs", s.stderr.String())
	})
	return s
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
