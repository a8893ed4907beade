package e2e

import (
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sync/atomic"
	"testing"
)

// upstream is an API stand-in on loopback that remembers whether it saw the
// key.
type upstream struct {
	url     string
	sawKey  atomic.Bool
	request atomic.Int64
}

func newUpstream(t *testing.T, tlsServer bool, respond http.HandlerFunc) *upstream {
	t.Helper()
	u := &upstream{}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.request.Add(1)
		if r.Header.Get("Authorization") == "Bearer "+cliKey {
			u.sawKey.Store(true)
		}
		respond(w, r)
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
