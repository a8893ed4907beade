package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

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

// binary builds alfe-mcp once per test binary and returns its path. It goes
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
		cmd := exec.Command(goTool, "build", "-o", binPath, ".")
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

// TestCall runs `alfe-mcp call` as a process against the sandbox. A real key
// in the environment is never used nor shown with --sandbox.
func TestCall(t *testing.T) {
	allTools := tools.Names()
	cases := []struct {
		name   string
		args   []string
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
			stderr: []string{"must be a JSON object"},
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
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := runBinary(t, []string{"ALFE_API_KEY=" + cliKey}, tc.args...)
			r.want(t, tc.code, tc.stdout, tc.stderr...)
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

// upstream is an API stand-in on loopback that remembers whether it saw the
// key.
type upstream struct {
	url     string
	sawKey  atomic.Bool
	request atomic.Int64
}

func newUpstream(t *testing.T, tlsServer bool, answer http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.request.Add(1)
		if r.Header.Get("Authorization") == "Bearer "+cliKey {
			u.sawKey.Store(true)
		}
		answer(w, r)
	})
	srv := httptest.NewUnstartedServer(h)
	if tlsServer {
		// The client rejects the certificate, by design: keep the server's
		// complaint about the handshake out of the test log.
		srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		srv.StartTLS()
	} else {
		srv.Start()
	}
	t.Cleanup(srv.Close)
	u.url = srv.URL
	return u
}

// closedPort returns the URL of a loopback port nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// TestCheck runs `alfe-mcp check` as a process: against the sandbox, and
// against upstreams that fail in each way it must explain.
func TestCheck(t *testing.T) {
	unauthorized := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":{"code":"unauthorized","message":"invalid API key"}}`))
	}
	html := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<!DOCTYPE html><html><body><h1>Welcome</h1></body></html>"))
	}
	whoami := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"data":{"agentId":"agt_1","tenantId":"tnt_1"}}`))
	}
	cases := []struct {
		name     string
		key      bool                                   // put cliKey in ALFE_API_KEY
		upstream func(t *testing.T) *upstream           // nil: none
		apiURL   func(t *testing.T, u *upstream) string // "" or nil: no --api-url
		sandbox  bool
		code     int
		stdout   *regexp.Regexp
		stderr   []string
		sendsKey bool // the upstream must have seen the key
	}{
		{
			name: "sandbox", key: true, sandbox: true,
			stdout: regexp.MustCompile(`^ok: agent agt_sandbox \(tenant tnt_sandbox\) at http://127\.0\.0\.1:[0-9]+\n$`),
		},
		{
			name: "key accepted", key: true,
			upstream: func(t *testing.T) *upstream { return newUpstream(t, false, whoami) },
			stdout:   regexp.MustCompile(`^ok: agent agt_1 \(tenant tnt_1\) at http://127\.0\.0\.1:[0-9]+\n$`),
			sendsKey: true,
		},
		{
			name: "key rejected", key: true, code: 1,
			upstream: func(t *testing.T) *upstream { return newUpstream(t, false, unauthorized) },
			stderr:   []string{"not ok:", "rejected the key", "401", "ALFE_API_KEY"},
			sendsKey: true,
		},
		{
			name: "API unreachable", key: true, code: 1,
			apiURL: func(t *testing.T, _ *upstream) string { return closedPort(t) },
			stderr: []string{"not ok:", "cannot reach the API", "--api-url"},
		},
		{
			name: "untrusted TLS certificate", key: true, code: 1,
			upstream: func(t *testing.T) *upstream { return newUpstream(t, true, whoami) },
			stderr:   []string{"not ok:", "TLS failure", "certificate"},
		},
		{
			name: "HTML instead of the API", key: true, code: 1,
			upstream: func(t *testing.T) *upstream { return newUpstream(t, false, html) },
			stderr:   []string{"not ok:", "unexpected response", "--api-url"},
			sendsKey: true,
		},
		{
			name: "no key", code: 1,
			upstream: func(t *testing.T) *upstream { return newUpstream(t, false, whoami) },
			stderr:   []string{"not ok:", "no API key", "ALFE_API_KEY", "--api-key-file"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := []string{"check"}
			var env []string
			if tc.key {
				env = append(env, "ALFE_API_KEY="+cliKey)
			}
			var u *upstream
			if tc.upstream != nil {
				u = tc.upstream(t)
				args = append(args, "--api-url", u.url)
			}
			if tc.apiURL != nil {
				args = append(args, "--api-url", tc.apiURL(t, u))
			}
			if tc.sandbox {
				args = append(args, "--sandbox")
			}
			r := runBinary(t, env, args...)
			r.want(t, tc.code, tc.stdout, tc.stderr...)
			if u != nil && u.sawKey.Load() != tc.sendsKey {
				t.Errorf("upstream saw the key: %v, want %v (%d requests)", u.sawKey.Load(), tc.sendsKey, u.request.Load())
			}
			if !tc.key && u != nil && u.request.Load() != 0 {
				t.Errorf("check without a key made %d requests", u.request.Load())
			}
		})
	}
}
