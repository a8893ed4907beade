package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync/atomic"
	"time"
)

// httpServer is a running `alfe-mcp http` and an MCP client of it that POSTs
// JSON-RPC to /mcp (streamable HTTP, legacy handshake).
type httpServer struct {
	cmd     *exec.Cmd
	stderr  *tail
	url     string
	hc      *http.Client
	session string
	nextID  atomic.Int64
	timeout time.Duration
	bad     atomic.Int64
	exited  chan struct{}
}

// httpSupport reports whether bin has the http command and whether it takes
// --stateless, from `help` and `http -h`.
func httpSupport(bin string) (has, stateless bool) {
	run := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = serverEnv(nil)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	help, _ := run("help")
	has = regexp.MustCompile(`(?m)^\s*alfe-mcp http\b`).MatchString(help)
	flags, err := run("http", "-h")
	if !has && err == nil && !strings.Contains(flags, "unknown command") {
		has = true
	}
	return has, has && strings.Contains(flags, "-stateless")
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close() //nolint:errcheck
	return addr, nil
}

// startHTTP starts `bin http` on a free loopback port and waits until it
// accepts connections.
func startHTTP(bin, apiURL string, stateless bool, args []string, timeout time.Duration) (*httpServer, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	a := []string{"http", "--addr", addr, "--api-url", apiURL}
	if stateless {
		a = append(a, "--stateless")
	}
	cmd := exec.Command(bin, append(a, args...)...)
	cmd.Env = serverEnv(nil)
	h := &httpServer{cmd: cmd, stderr: &tail{}, url: "http://" + addr + "/mcp", timeout: timeout,
		hc: &http.Client{Transport: &http.Transport{MaxIdleConns: 128, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute}}}
	cmd.Stderr = h.stderr
	cmd.Stdout = h.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	h.exited = make(chan struct{})
	go func() { cmd.Wait(); close(h.exited) }() //nolint:errcheck
	// Wait up to 5 s for the port.
	if err := waitListening(addr, h.exited); err != nil {
		h.stop()
		return nil, fmt.Errorf("alfe-mcp http: %w: %s", err, h.stderr)
	}
	return h, nil
}

// waitListening waits up to 5 s for addr to accept connections, unless the
// process exits first (exited is closed).
func waitListening(addr string, exited <-chan struct{}) error {
	for range 500 {
		select {
		case <-exited:
			return errors.New("exited at start")
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close() //nolint:errcheck
			return nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	return fmt.Errorf("did not listen on %s within 5s", addr)
}

// post sends one JSON-RPC message and returns the JSON reply (nil for 202)
// and the round-trip time.
func (h *httpServer) post(body []byte, wantReply bool) ([]byte, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), h.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.url, bytes.NewReader(body))
	if err != nil {
		return nil, 0, err
	}
	hd := req.Header
	hd["Content-Type"] = []string{"application/json"}
	hd["Accept"] = []string{"application/json, text/event-stream"}
	hd["Authorization"] = []string{"Bearer " + benchKey}
	hd["Mcp-Protocol-Version"] = []string{protocolVersion}
	if h.session != "" {
		hd["Mcp-Session-Id"] = []string{h.session}
	}
	t0 := time.Now()
	resp, err := h.hc.Do(req)
	if err != nil {
		return nil, 0, fmt.Errorf("POST /mcp: %w; server stderr:\n%s", err, h.stderr)
	}
	defer resp.Body.Close()
	if s := resp.Header.Get("Mcp-Session-Id"); s != "" && h.session == "" {
		h.session = s
	}
	if resp.StatusCode/100 != 2 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return nil, 0, fmt.Errorf("POST /mcp: %s: %s", resp.Status, b)
	}
	if !wantReply {
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		return nil, time.Since(t0), nil
	}
	var line []byte
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if d, ok := bytes.CutPrefix(sc.Bytes(), []byte("data:")); ok {
				d = bytes.TrimSpace(d)
				if _, isReply := replyID(d); isReply {
					line = bytes.Clone(d)
					break
				}
			}
		}
	} else {
		line, err = io.ReadAll(resp.Body)
	}
	d := time.Since(t0)
	if err != nil || line == nil {
		return nil, 0, fmt.Errorf("POST /mcp: no reply (%v)", err)
	}
	if isFailure(line) {
		h.bad.Add(1)
	}
	return line, d, nil
}

func (h *httpServer) call(method, params string) ([]byte, time.Duration, error) {
	b := request(h.nextID.Add(1), method, params)
	return h.post(b[:len(b)-1], true)
}

func (h *httpServer) initialize() error {
	line, _, err := h.call("initialize", initParams)
	if err != nil {
		return err
	}
	if !bytes.Contains(line, []byte(`"protocolVersion"`)) {
		return fmt.Errorf("initialize over HTTP failed: %s", line)
	}
	_, _, err = h.post([]byte(`{"jsonrpc":"2.0","method":"notifications/initialized"}`), false)
	return err
}

func (h *httpServer) stop() {
	h.hc.CloseIdleConnections()
	h.cmd.Process.Signal(os.Interrupt) //nolint:errcheck
	select {
	case <-h.exited:
	case <-time.After(2 * time.Second):
		h.cmd.Process.Kill() //nolint:errcheck
		<-h.exited
	}
}
