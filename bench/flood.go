package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The flood phases (go run ./bench -phase flood) measure what a client that
// never lets go can make alfe-mcp http or sse hold, the figures of issue 11:
//
//   - sessions: N initialize requests over streamable HTTP, each with a bearer
//     of its own (nothing is checked upstream at initialize), none DELETEd;
//     then, when the binary has --session-idle-timeout, the sessions idle
//     out and a second flood shows whether their memory is reused.
//   - sse: one GET /sse whose client reads the endpoint event and then
//     nothing, and N calls posted to its session; then the time SIGINT takes
//     to stop the server.
//   - conns: N idle TCP connections to alfe-mcp http that never send a
//     request.
//
// Each phase starts a fresh server and reports its RSS and the latency of a
// concurrent client (GET /healthz, 200 times on its kept-alive connection,
// and 50 times on a new connection each) before the flood and while the
// flood holds what it took.

// floodSettings are the flags of the flood phases.
type floodSettings struct {
	Phases   string
	Sessions int
	Calls    int
	Conns    int
	Workers  int
	Idle     time.Duration
}

// probe is the latency of the concurrent client.
type probe struct {
	KeptAlive Dist `json:"keptAliveHealthz"`
	NewConn   Dist `json:"newConnectionHealthz"`
	Failed    int  `json:"newConnectionFailures"` // no response within 5 s
}

// floodResult is one phase's figures.
type floodResult struct {
	Phase     string         `json:"phase"`
	Args      []string       `json:"serverArgs"`
	RSSBefore Mem            `json:"rssBefore"`
	RSSAfter  Mem            `json:"rssAfter"`
	RSSAgain  *Mem           `json:"rssAfterSecondFlood,omitempty"`
	FDs       int            `json:"serverFDsAfter"`
	Before    probe          `json:"before"`
	After     probe          `json:"after"`
	Statuses  map[string]int `json:"statuses"`
	Again     map[string]int `json:"statusesSecondFlood,omitempty"`
	StopTime  time.Duration  `json:"stopTime,omitempty"`
	Note      string         `json:"note,omitempty"`
}

// runFlood runs the flood phases on bin against the upstream at apiURL.
func runFlood(bin, apiURL string, fs floodSettings) ([]floodResult, error) {
	var out []floodResult
	for _, phase := range strings.Split(fs.Phases, ",") {
		logf("flood phase %s", phase)
		var r floodResult
		var err error
		switch strings.TrimSpace(phase) {
		case "sessions":
			r, err = floodSessions(bin, apiURL, fs)
		case "sse":
			r, err = floodSSE(bin, apiURL, fs)
		case "conns":
			r, err = floodConns(bin, apiURL, fs)
		default:
			err = fmt.Errorf("unknown flood phase %q (use sessions, sse, conns)", phase)
		}
		if err != nil {
			return out, fmt.Errorf("flood %s: %w", phase, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// floodServer is a running alfe-mcp http or sse.
type floodServer struct {
	cmd    *exec.Cmd
	addr   string
	stderr *tail
	exited chan struct{}
}

// hasFlag reports whether bin's command takes --flag.
func hasFlag(bin, command, flag string) bool {
	out, _ := exec.Command(bin, command, "--help").CombinedOutput()
	return strings.Contains(string(out), "--"+flag+" ")
}

func startFlood(bin, command, apiURL string, args []string) (*floodServer, error) {
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	a := append([]string{command, "--addr", addr, "--api-url", apiURL, "--log-level", "error"}, args...)
	cmd := exec.Command(bin, a...)
	cmd.Env = serverEnv(nil)
	fsrv := &floodServer{cmd: cmd, addr: addr, stderr: &tail{}, exited: make(chan struct{})}
	cmd.Stderr, cmd.Stdout = fsrv.stderr, fsrv.stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(fsrv.exited) }() //nolint:errcheck
	if err := waitListening(addr, fsrv.exited); err != nil {
		fsrv.kill()
		return nil, fmt.Errorf("%s: %w: %s", command, err, fsrv.stderr)
	}
	return fsrv, nil
}

func (f *floodServer) kill() {
	f.cmd.Process.Kill() //nolint:errcheck
	<-f.exited
}

// stop sends SIGINT and returns how long the server took to exit (killing
// it after a minute).
func (f *floodServer) stop() time.Duration {
	t0 := time.Now()
	f.cmd.Process.Signal(os.Interrupt) //nolint:errcheck
	select {
	case <-f.exited:
	case <-time.After(time.Minute):
		f.kill()
	}
	return time.Since(t0)
}

// fds counts the server's open file descriptors.
func (f *floodServer) fds() int {
	ents, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", f.cmd.Process.Pid))
	return len(ents)
}

// measureProbe times the concurrent client: GET /healthz on its kept-alive
// connection, and on a new connection each.
func measureProbe(addr string, kept *http.Client) probe {
	var p probe
	var lat []time.Duration
	for range 200 {
		t0 := time.Now()
		resp, err := kept.Get("http://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()              //nolint:errcheck
			lat = append(lat, time.Since(t0))
		}
	}
	p.KeptAlive = summarize(lat)
	fresh := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	lat = nil
	for range 50 {
		t0 := time.Now()
		resp, err := fresh.Get("http://" + addr + "/healthz")
		if err != nil {
			p.Failed++
			continue
		}
		io.Copy(io.Discard, resp.Body) //nolint:errcheck
		resp.Body.Close()              //nolint:errcheck
		lat = append(lat, time.Since(t0))
	}
	p.NewConn = summarize(lat)
	return p
}

// keptClient is the concurrent client's own kept-alive connection.
func keptClient() *http.Client {
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
}

// parallel runs do(i) for i in [0, n) on workers goroutines and counts the
// outcomes it returns.
func parallel(n, workers int, do func(i int) string) map[string]int {
	var next atomic.Int64
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				k := do(i)
				mu.Lock()
				counts[k]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return counts
}

// postJSON posts body to url with a bearer and returns the status (or the
// error's text) and the response's session id.
func postJSON(hc *http.Client, url, key, body string) (string, string) {
	req, _ := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		return "error", ""
	}
	io.Copy(io.Discard, resp.Body) //nolint:errcheck
	resp.Body.Close()              //nolint:errcheck
	return fmt.Sprint(resp.StatusCode), resp.Header.Get("Mcp-Session-Id")
}

// beginFlood starts a phase's server and takes the figures before the
// flood: the concurrent client's latency and the RSS.
func beginFlood(bin, command, apiURL string, args []string, r *floodResult) (*floodServer, *http.Client, error) {
	srv, err := startFlood(bin, command, apiURL, args)
	if err != nil {
		return nil, nil, err
	}
	kept := keptClient()
	r.Before = measureProbe(srv.addr, kept)
	if r.RSSBefore, err = memOf(srv.cmd.Process.Pid); err != nil {
		srv.kill()
		return nil, nil, err
	}
	return srv, kept, nil
}

// endFlood takes the figures while the flood holds what it took: the
// concurrent client's latency, the RSS and the open files.
func endFlood(srv *floodServer, kept *http.Client, r *floodResult) error {
	r.After = measureProbe(srv.addr, kept)
	var err error
	if r.RSSAfter, err = memOf(srv.cmd.Process.Pid); err != nil {
		return err
	}
	r.FDs = srv.fds()
	return nil
}

func floodSessions(bin, apiURL string, fs floodSettings) (floodResult, error) {
	r := floodResult{Phase: "sessions"}
	reuse := hasFlag(bin, "http", "session-idle-timeout")
	if reuse {
		r.Args = []string{"--session-idle-timeout", fs.Idle.String()}
	}
	srv, kept, err := beginFlood(bin, "http", apiURL, r.Args, &r)
	if err != nil {
		return r, err
	}
	defer srv.kill()
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: fs.Workers}}
	body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":` + initParams + `}`
	flood := func(round int) map[string]int {
		return parallel(fs.Sessions, fs.Workers, func(i int) string {
			status, _ := postJSON(hc, "http://"+srv.addr+"/mcp", fmt.Sprintf("flood-key-%d-%d", round, i), body)
			return status
		})
	}
	r.Statuses = flood(1)
	if err := endFlood(srv, kept, &r); err != nil {
		return r, err
	}
	if reuse {
		// The sweeper runs every max(timeout/2, 1 s): two timeouts and a
		// sweep later, every session of the first flood has ended.
		time.Sleep(2*fs.Idle + 2*time.Second)
		r.Again = flood(2)
		m, err := memOf(srv.cmd.Process.Pid)
		if err != nil {
			return r, err
		}
		r.RSSAgain = &m
	} else {
		r.Note = "no --session-idle-timeout: sessions never expire"
	}
	return r, nil
}

func floodSSE(bin, apiURL string, fs floodSettings) (floodResult, error) {
	r := floodResult{Phase: "sse"}
	if hasFlag(bin, "sse", "drain-delay") {
		r.Args = []string{"--drain-delay", "0s"} // measure the stop, not the drain
	}
	srv, kept, err := beginFlood(bin, "sse", apiURL, r.Args, &r)
	if err != nil {
		return r, err
	}
	defer srv.kill()
	// The unread stream: read the endpoint event, then nothing.
	conn, err := net.Dial("tcp", srv.addr)
	if err != nil {
		return r, err
	}
	defer conn.Close()
	conn.(*net.TCPConn).SetReadBuffer(4 << 10) //nolint:errcheck
	fmt.Fprintf(conn, "GET /sse HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nAuthorization: Bearer bench-key\r\n\r\n", srv.addr)
	br := bufio.NewReader(conn)
	endpoint := ""
	conn.SetReadDeadline(time.Now().Add(10 * time.Second)) //nolint:errcheck
	for endpoint == "" {
		line, err := br.ReadString('\n')
		if err != nil {
			return r, fmt.Errorf("the stream's endpoint: %w", err)
		}
		if rest, ok := strings.CutPrefix(line, "data: "); ok {
			endpoint = strings.TrimSpace(rest)
		}
	}
	if !strings.HasPrefix(endpoint, "/") { // a relative endpoint
		endpoint = "/" + strings.TrimPrefix(endpoint, "./")
	}
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: fs.Workers}}
	call := `{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`
	r.Statuses = parallel(fs.Calls, fs.Workers, func(i int) string {
		status, _ := postJSON(hc, "http://"+srv.addr+endpoint, "bench-key", fmt.Sprintf(call, i))
		return status
	})
	if err := endFlood(srv, kept, &r); err != nil {
		return r, err
	}
	hc.CloseIdleConnections()
	kept.CloseIdleConnections()
	r.StopTime = srv.stop()
	return r, nil
}

func floodConns(bin, apiURL string, fs floodSettings) (floodResult, error) {
	r := floodResult{Phase: "conns"}
	srv, kept, err := beginFlood(bin, "http", apiURL, nil, &r)
	if err != nil {
		return r, err
	}
	defer srv.kill()
	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close() //nolint:errcheck
		}
	}()
	d := net.Dialer{Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r.Statuses = parallel(fs.Conns, fs.Workers, func(int) string {
		c, err := d.DialContext(ctx, "tcp", srv.addr)
		if err != nil {
			return "dial error"
		}
		mu.Lock()
		conns = append(conns, c)
		mu.Unlock()
		return "open"
	})
	if err := endFlood(srv, kept, &r); err != nil {
		return r, err
	}
	return r, nil
}

// printFlood writes the flood figures as a table.
func printFlood(w io.Writer, rs []floodResult) {
	for _, r := range rs {
		fmt.Fprintf(w, "\nflood %s (server args %q)\n", r.Phase, r.Args)
		fmt.Fprintf(w, "  outcomes: %v", r.Statuses)
		if r.Again != nil {
			fmt.Fprintf(w, "; second flood, after the idle timeout: %v", r.Again)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  RSS: %.1f MiB before, %.1f MiB after", r.RSSBefore.RSS, r.RSSAfter.RSS)
		if r.RSSAgain != nil {
			fmt.Fprintf(w, ", %.1f MiB after the second flood", r.RSSAgain.RSS)
		}
		fmt.Fprintf(w, "; server fds after: %d\n", r.FDs)
		for _, x := range []struct {
			name string
			p    probe
		}{{"before", r.Before}, {"after", r.After}} {
			fmt.Fprintf(w, "  /healthz %s: kept-alive p50 %.0f µs p99 %.0f µs; new connection p50 %.0f µs p99 %.0f µs, %d of 50 without a response in 5 s\n",
				x.name, x.p.KeptAlive.P50, x.p.KeptAlive.P99, x.p.NewConn.P50, x.p.NewConn.P99, x.p.Failed)
		}
		if r.StopTime > 0 {
			fmt.Fprintf(w, "  SIGINT to exit: %v\n", r.StopTime.Round(time.Millisecond))
		}
		if r.Note != "" {
			fmt.Fprintf(w, "  note: %s\n", r.Note)
		}
	}
}
