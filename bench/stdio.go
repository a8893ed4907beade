package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// protocolVersion is the legacy (initialize) protocol the bench speaks.
const protocolVersion = "2025-11-25"

const initParams = `{"protocolVersion":"` + protocolVersion + `","capabilities":{},"clientInfo":{"name":"alfe-bench","version":"1"}}`

// callParams is the tools/call of list_integrations.
const callParams = `{"name":"list_integrations","arguments":{}}`

// reply is one response line and when the reader saw it.
type reply struct {
	line []byte
	at   time.Time
}

// stdioServer is a running `alfe-mcp stdio` spoken to with raw JSON-RPC
// lines. Requests may be in flight concurrently; the reader routes replies by
// id.
type stdioServer struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  *tail
	wmu     sync.Mutex
	mu      sync.Mutex
	pending map[int64]chan reply
	nextID  atomic.Int64
	done    chan struct{} // closed when stdout ends
	timeout time.Duration
	bad     atomic.Int64 // replies that were JSON-RPC errors or isError results
}

// tail keeps the last bytes written to it (a child's stderr, for errors).
type tail struct {
	mu  sync.Mutex
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	if len(t.buf) > 8<<10 {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-4<<10:]...)
	}
	t.mu.Unlock()
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// serverEnv is the child's environment: the bench's, plus the key, minus
// anything that would redirect it elsewhere.
func serverEnv(extra []string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if bytes.HasPrefix([]byte(kv), []byte("ALFE_")) {
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "ALFE_API_KEY="+benchKey)
	return append(env, extra...)
}

// startStdio starts bin in stdio mode against apiURL. It does not initialize.
func startStdio(bin, apiURL string, args []string, env []string, timeout time.Duration) (*stdioServer, time.Time, error) {
	cmd := exec.Command(bin, append([]string{"stdio", "--api-url", apiURL}, args...)...)
	cmd.Env = serverEnv(env)
	s := &stdioServer{cmd: cmd, stderr: &tail{}, pending: map[int64]chan reply{}, done: make(chan struct{}), timeout: timeout}
	cmd.Stderr = s.stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, time.Time{}, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, time.Time{}, err
	}
	s.stdin = in
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, t0, err
	}
	go s.read(out)
	return s, t0, nil
}

// read routes reply lines to their callers until stdout ends.
func (s *stdioServer) read(out io.Reader) {
	defer close(s.done)
	r := bufio.NewReaderSize(out, 1<<20)
	var long []byte
	for {
		chunk, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, chunk...)
			continue
		}
		if err != nil {
			return
		}
		at := time.Now()
		line := chunk
		if long != nil {
			line = append(long, chunk...)
			long = nil
		}
		id, ok := replyID(line)
		if !ok {
			continue // a notification or a server-to-client request
		}
		s.mu.Lock()
		ch := s.pending[id]
		delete(s.pending, id)
		s.mu.Unlock()
		if ch != nil {
			ch <- reply{line: bytes.Clone(line), at: at}
		}
	}
}

// replyID reads the id of a response line. mcp-go writes
// {"jsonrpc":"2.0","id":N,...}; anything else is parsed in full.
func replyID(line []byte) (int64, bool) {
	const prefix = `{"jsonrpc":"2.0","id":`
	if bytes.HasPrefix(line, []byte(prefix)) {
		rest := line[len(prefix):]
		n := 0
		for n < len(rest) && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n > 0 && n < len(rest) && rest[n] == ',' {
			id, err := strconv.ParseInt(string(rest[:n]), 10, 64)
			return id, err == nil
		}
	}
	var m struct {
		ID     *int64 `json:"id"`
		Method string `json:"method"`
	}
	if json.Unmarshal(line, &m) != nil || m.ID == nil || m.Method != "" {
		return 0, false
	}
	return *m.ID, true
}

// isFailure reports a JSON-RPC error or an isError tool result.
func isFailure(line []byte) bool {
	return bytes.Contains(line, []byte(`"error":{`)) || bytes.Contains(line, []byte(`"isError":true`))
}

func request(id int64, method, params string) []byte {
	b := make([]byte, 0, 64+len(method)+len(params))
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendInt(b, id, 10)
	b = append(b, `,"method":"`...)
	b = append(b, method...)
	b = append(b, '"')
	if params != "" {
		b = append(b, `,"params":`...)
		b = append(b, params...)
	}
	return append(b, "}\n"...)
}

func (s *stdioServer) register() (int64, chan reply) {
	id := s.nextID.Add(1)
	ch := make(chan reply, 1)
	s.mu.Lock()
	s.pending[id] = ch
	s.mu.Unlock()
	return id, ch
}

func (s *stdioServer) write(b []byte) error {
	s.wmu.Lock()
	_, err := s.stdin.Write(b)
	s.wmu.Unlock()
	return err
}

func (s *stdioServer) wait(id int64, ch chan reply) (reply, error) {
	t := time.NewTimer(s.timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		if isFailure(r.line) {
			s.bad.Add(1)
		}
		return r, nil
	case <-s.done:
		return reply{}, fmt.Errorf("server stdout closed while waiting for id %d; stderr:\n%s", id, s.stderr)
	case <-t.C:
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
		return reply{}, fmt.Errorf("no reply to id %d within %v; stderr:\n%s", id, s.timeout, s.stderr)
	}
}

// call sends one request and returns its reply line and the time from
// the write to the reader seeing the reply.
func (s *stdioServer) call(method, params string) ([]byte, time.Duration, error) {
	id, ch := s.register()
	b := request(id, method, params)
	t0 := time.Now()
	if err := s.write(b); err != nil {
		return nil, 0, fmt.Errorf("write: %w; stderr:\n%s", err, s.stderr)
	}
	r, err := s.wait(id, ch)
	if err != nil {
		return nil, 0, err
	}
	return r.line, r.at.Sub(t0), nil
}

// notify sends a notification.
func (s *stdioServer) notify(method string) error {
	return s.write([]byte(`{"jsonrpc":"2.0","method":"` + method + `"}` + "\n"))
}

// initialize runs the legacy handshake.
func (s *stdioServer) initialize() (time.Time, error) {
	line, _, err := s.call("initialize", initParams)
	if err != nil {
		return time.Time{}, err
	}
	at := time.Now()
	if !bytes.Contains(line, []byte(`"protocolVersion"`)) {
		return at, fmt.Errorf("initialize failed: %s", line)
	}
	return at, s.notify("notifications/initialized")
}

// batch writes n tools/call requests in one write and waits for all of
// them; it returns the wall time from the write to the last reply.
func (s *stdioServer) batch(n int, method, params string) (time.Duration, error) {
	ids := make([]int64, n)
	chs := make([]chan reply, n)
	var buf []byte
	for i := range n {
		ids[i], chs[i] = s.register()
		buf = append(buf, request(ids[i], method, params)...)
	}
	t0 := time.Now()
	if err := s.write(buf); err != nil {
		return 0, err
	}
	var last time.Time
	for i := range n {
		r, err := s.wait(ids[i], chs[i])
		if err != nil {
			return 0, err
		}
		if r.at.After(last) {
			last = r.at
		}
	}
	return last.Sub(t0), nil
}

func (s *stdioServer) pid() int { return s.cmd.Process.Pid }

// stop closes stdin (the server exits on EOF) and kills it if its stdout
// has not closed within two seconds.
func (s *stdioServer) stop() {
	s.stdin.Close() //nolint:errcheck
	select {
	case <-s.done:
	case <-time.After(2 * time.Second):
		s.cmd.Process.Kill() //nolint:errcheck
		<-s.done
	}
	s.cmd.Wait() //nolint:errcheck
}
