package stdio

// Malformed input: raw lines written to Serve over a pipe. Each bad message gets a JSON-RPC error (a notification may get
// none), and the server keeps responding: a valid tools/call after it
// succeeds.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// rpcMessage is a JSON-RPC message as the server writes it.
type rpcMessage struct {
	ID     json.RawMessage `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// rawStdio is a server on pipes, spoken to in raw lines.
type rawStdio struct {
	in   *io.PipeWriter
	msgs chan rpcMessage
}

func newRawStdio(t *testing.T, f *toolServer) *rawStdio {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() {
		served <- Serve(ctx, f.srv, inR, outW, f.logger)
		_ = outW.Close()
	}()
	s := &rawStdio{in: inW, msgs: make(chan rpcMessage, 64)}
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(s.msgs)
		br := bufio.NewReader(outR)
		for {
			line, err := br.ReadString('\n')
			if strings.TrimSpace(line) != "" {
				var m rpcMessage
				if jerr := json.Unmarshal([]byte(line), &m); jerr != nil {
					t.Errorf("the server wrote a line that is not JSON-RPC: %.200q", line)
				}
				s.msgs <- m
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		_ = inW.Close() // end of input: Serve returns
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(waitLimit):
			t.Errorf("Serve did not return within %s of its input closing", waitLimit)
			cancel()
			<-served
		}
		cancel()
		_ = outR.Close()
		for range s.msgs { // drain, so the reader ends
		}
		<-read
	})
	return s
}

// send writes one raw line.
func (s *rawStdio) send(t *testing.T, line string) {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		_, err := io.WriteString(s.in, line+"\n")
		done <- err
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("write to the server: %v", err)
		}
	case <-time.After(waitLimit):
		t.Fatalf("the server did not read a %d-byte line within %s", len(line), waitLimit)
	}
}

// collect reads messages until one has the id wantID, and returns all read.
func (s *rawStdio) collect(t *testing.T, wantID string) []rpcMessage {
	t.Helper()
	var got []rpcMessage
	timeout := time.After(waitLimit)
	for {
		select {
		case m, ok := <-s.msgs:
			if !ok {
				t.Fatalf("the server's output ended before the response to %s; got %+v", wantID, got)
			}
			got = append(got, m)
			if string(m.ID) == wantID {
				return got
			}
		case <-timeout:
			t.Fatalf("no response to %s within %s; got %+v", wantID, waitLimit, got)
		}
	}
}

func TestStdioMalformedInput(t *testing.T) {
	const (
		parseError     = -32700
		invalidRequest = -32600
	)
	bigQuery := strings.Repeat("a", 2<<20)
	tests := []struct {
		name string
		line string
		// The error the line must get: its code and id (raw JSON); code 0
		// for a notification, which may get an id-less error or nothing.
		code int
		id   string
		msg  string // in the error message
	}{
		{name: "garbage", line: "this is not JSON at all", code: parseError, id: "null"},
		{name: "binary garbage", line: "\x00\xff\xfe{{{", code: parseError, id: "null"},
		{name: "truncated message", line: `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"get_reg`, code: parseError, id: "null"},
		{name: "a batch", line: `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, code: parseError, id: "null"},
		{name: "very long garbage line", line: strings.Repeat("x", 2<<20), code: invalidRequest, id: "null", msg: "over 1048576 bytes"},
		{name: "very long valid call", line: `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"get_registry","arguments":{"query":"` + bigQuery + `"}}}`,
			code: invalidRequest, id: "null", msg: "over 1048576 bytes"},
		{name: "params a string", line: `{"jsonrpc":"2.0","id":3,"method":"tools/call","params":"get_registry"}`, code: invalidRequest, id: "3"},
		{name: "params an array", line: `{"jsonrpc":"2.0","id":4,"method":"tools/list","params":[1]}`, code: invalidRequest, id: "4"},
		{name: "name a number", line: `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":42}}`, code: invalidRequest, id: "5"},
		{name: "id an object", line: `{"jsonrpc":"2.0","id":{"a":1},"method":"tools/list"}`, code: invalidRequest, id: "null", msg: "id must be"},
		{name: "id an array", line: `{"jsonrpc":"2.0","id":[1],"method":"ping"}`, code: invalidRequest, id: "null", msg: "id must be"},
		{name: "id a boolean", line: `{"jsonrpc":"2.0","id":true,"method":"tools/call","params":{"name":"list_integrations"}}`, code: invalidRequest, id: "null", msg: "id must be"},
		{name: "method a number", line: `{"jsonrpc":"2.0","id":6,"method":42}`, code: parseError, id: "null"},
		{name: "unknown tool", line: `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"no_such_tool"}}`, code: -32602, id: "7"},
		{name: "unknown method", line: `{"jsonrpc":"2.0","id":8,"method":"no/such/method"}`, code: -32601, id: "8"},
		{name: "notification with params a string", line: `{"jsonrpc":"2.0","method":"notifications/cancelled","params":"x"}`},
		{name: "notification with a wrong requestId", line: `{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}`},
		{name: "unknown notification", line: `{"jsonrpc":"2.0","method":"notifications/nonsense"}`},
	}
	f := newToolServer(t, testutil.NewRecorder(t).URL)
	for _, handshake := range []bool{false, true} {
		for i, tt := range tests {
			t.Run(fmt.Sprintf("handshake=%v/%s", handshake, tt.name), func(t *testing.T) {
				s := newRawStdio(t, f)
				if handshake {
					s.send(t, `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}`)
					s.collect(t, `"init"`)
					s.send(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`)
				}
				s.send(t, tt.line)
				next := fmt.Sprintf(`"next-%d"`, i)
				s.send(t, `{"jsonrpc":"2.0","id":`+next+`,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`)

				want := next
				if tt.code != 0 && tt.id != "null" {
					want = tt.id
				}
				var got []rpcMessage
				for _, id := range []string{want, next} {
					if !containsID(got, id) {
						got = append(got, s.collect(t, id)...)
					}
				}

				// The response to the valid call: a success.
				for _, m := range got {
					if string(m.ID) != next {
						continue
					}
					var res struct {
						IsError bool `json:"isError"`
					}
					if m.Error != nil || json.Unmarshal(m.Result, &res) != nil || res.IsError {
						t.Errorf("the valid call after the bad line failed: %+v %s", m.Error, m.Result)
					}
				}
				// The error for the bad line.
				var errs []rpcMessage
				for _, m := range got {
					if string(m.ID) != next {
						errs = append(errs, m)
					}
				}
				if tt.code == 0 {
					for _, m := range errs {
						if m.Error == nil || string(m.ID) != "null" {
							t.Errorf("a notification got a response that is not an id-less error: %+v", m)
						}
					}
					return
				}
				if len(errs) != 1 {
					t.Fatalf("got %d responses to the bad line, want 1 error: %+v", len(errs), errs)
				}
				e := errs[0]
				if e.Error == nil || e.Error.Code != tt.code || string(e.ID) != tt.id {
					t.Fatalf("response %s %+v %s, want error %d with id %s", e.ID, e.Error, e.Result, tt.code, tt.id)
				}
				if !strings.Contains(e.Error.Message, tt.msg) {
					t.Errorf("error message %q does not mention %q", e.Error.Message, tt.msg)
				}
			})
		}
	}
	if logs := f.logs.String(); !strings.Contains(logs, "dropped a malformed message") {
		t.Errorf("the guard's drops are not logged:\n%.2000s", logs)
	}
}

func containsID(msgs []rpcMessage, id string) bool {
	for _, m := range msgs {
		if string(m.ID) == id {
			return true
		}
	}
	return false
}
