package stdio

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// endUpstream responds to the OAuth status with "not connected" (counting the
// polls) and holds GET /agent/integrations until the test ends.
func endUpstream(t *testing.T) (url string, polls *atomic.Int32, held chan struct{}) {
	t.Helper()
	polls, held = &atomic.Int32{}, make(chan struct{}, 8)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/agent/integrations/oauth/status":
			polls.Add(1)
			fmt.Fprint(w, `{"data":{"provider":"github","connected":false}}`)
		case "/agent/integrations":
			held <- struct{}{}
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusNotFound)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL, polls, held
}

// serveEnding runs ServeWith over pipes with the tools wired as alfe-mcp
// stdio wires them: the end of input closes StopWaiting. It returns the
// input's writer, the output's lines and Serve's result.
func serveEnding(t *testing.T, upstream string, drain time.Duration) (*io.PipeWriter, <-chan string, <-chan error) {
	t.Helper()
	c, err := apiclient.New(apiclient.Options{BaseURL: upstream, APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	stop := make(chan struct{})
	s, err := tools.NewServer(tools.Options{Client: tools.StaticClient(c), StopWaiting: stop, PollInterval: 10 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ServeWith(ctx, s, inR, outW, Options{EndOfInput: func() { close(stop) }, DrainTimeout: drain})
		outW.Close()
	}()
	lines := make(chan string, 16)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(outR)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	t.Cleanup(func() { cancel(); inW.Close(); outR.Close() })
	return inW, lines, done
}

const (
	endInit        = `{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	endInitialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	endWait        = `{"jsonrpc":"2.0","id":"wait","method":"tools/call","params":{"name":"get_oauth_status","arguments":{"provider":"github","waitSeconds":50}}}`
	endList        = `{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`
)

// waitFor polls cond until it holds, failing after a generous minute.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// At the end of input an OAuth wait in flight responds at once with its
// last status and a note to call again (the drain timeout here is an hour:
// nothing else ends it), and Serve returns nil.
func TestEndOfInputEndsOAuthWait(t *testing.T) {
	upstream, polls, _ := endUpstream(t)
	in, out, done := serveEnding(t, upstream, time.Hour)
	for _, l := range []string{endInit, endInitialized, endWait} {
		fmt.Fprintln(in, l)
	}
	waitFor(t, "the wait to poll", func() bool { return polls.Load() > 0 })
	in.Close()

	var response string
	for line := range out {
		if strings.Contains(line, `"id":"wait"`) {
			response = line
		}
	}
	var msg struct {
		Result struct {
			IsError bool `json:"isError"`
			Content []struct {
				Text string `json:"text"`
			} `json:"content"`
			Structured map[string]any `json:"structuredContent"`
		} `json:"result"`
	}
	if err := json.Unmarshal([]byte(response), &msg); err != nil {
		t.Fatalf("no response to the wait: %q", response)
	}
	if msg.Result.IsError || msg.Result.Structured["connected"] != false || len(msg.Result.Content) != 2 ||
		!strings.Contains(msg.Result.Content[1].Text, "call get_oauth_status again") {
		t.Errorf("the wait's response is %s, want its last status and a note to call again", response)
	}
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// At the end of input the other calls get the drain timeout, not more:
// Serve returns nil though a call is still held upstream.
func TestEndOfInputBoundsOtherCalls(t *testing.T) {
	upstream, _, held := endUpstream(t)
	in, out, done := serveEnding(t, upstream, 10*time.Millisecond)
	go func() {
		for range out {
		}
	}()
	for _, l := range []string{endInit, endInitialized, endList} {
		fmt.Fprintln(in, l)
	}
	<-held
	in.Close()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
