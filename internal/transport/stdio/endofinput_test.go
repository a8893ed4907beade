package stdio

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// The end of input, wired as alfe-mcp stdio wires it (see stdioServer).

const (
	initialized = `{"jsonrpc":"2.0","method":"notifications/initialized"}`
	oauthWait   = `{"jsonrpc":"2.0","id":"wait","method":"tools/call","params":{"name":"get_oauth_status","arguments":{"provider":"github","waitSeconds":50}}}`
	listCall    = `{"jsonrpc":"2.0","id":"list","method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`
)

// At the end of input an OAuth wait in flight responds at once with its
// last status and a note to call again (the drain timeout here is an hour:
// nothing else ends it), and Serve returns nil.
func TestEndOfInputEndsOAuthWait(t *testing.T) {
	up := testutil.NewRecorder(t) // github: not connected
	_, _, in, out, done := stdioServer(t, up.URL, time.Hour)
	writeLines(t, in, legacyInit, initialized, oauthWait)
	polled := func() bool {
		return slices.ContainsFunc(up.Requests(), func(r testutil.Request) bool { return r.Path == "/agent/integrations/oauth/status" })
	}
	if err := up.Wait(t.Context(), polled); err != nil {
		t.Fatalf("the wait never polled: %v", err)
	}
	in.Close()

	var response string
	for out.Scan() {
		if strings.Contains(out.Text(), `"id":"wait"`) {
			response = out.Text()
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
	done <- nil // for the cleanup
}

// At the end of input the other calls get the drain timeout, not more:
// Serve returns nil though a call is still held upstream.
func TestEndOfInputBoundsOtherCalls(t *testing.T) {
	up := testutil.NewRecorder(t)
	release := up.Hold("/agent/integrations")
	defer release()
	_, _, in, out, done := stdioServer(t, up.URL, 10*time.Millisecond)
	go func() {
		for out.Scan() { // a pipe blocks the writer until read
		}
	}()
	writeLines(t, in, legacyInit, initialized, listCall)
	<-up.Entered
	in.Close()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
}

// A 2026-07-28 subscriptions/listen stream responds only when it ends: the
// end of input ends it, and Serve returns without waiting for it (the drain
// timeout here is an hour).
func TestEndOfInputEndsListen(t *testing.T) {
	up := testutil.NewRecorder(t)
	_, _, in, out, done := stdioServer(t, up.URL, time.Hour)
	writeLines(t, in, `{"jsonrpc":"2.0","id":"listen","method":"subscriptions/listen","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"t","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}},"notifications":{"resourcesListChanged":true}}}`)
	for out.Scan() {
		if strings.Contains(out.Text(), "notifications/subscriptions/acknowledged") {
			break
		}
	}
	in.Close()
	go func() {
		for out.Scan() {
		}
	}()
	if err := <-done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	done <- nil // for the cleanup
}
