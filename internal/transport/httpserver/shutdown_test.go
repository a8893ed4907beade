package httpserver

import (
	"fmt"
	"strings"
	"testing"
	"time"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// waitListenerClosed returns once Run has closed ts's listener: the server
// has begun to shut down.
func waitListenerClosed(t *testing.T, ts *testServer) {
	t.Helper()
	select {
	case <-ts.closed:
	case <-t.Context().Done():
		t.Fatal("the listener never closed")
	}
}

// A call in flight when the server is told to stop still completes, over
// every transport, and Run then returns nil.
func TestShutdownLetsCallsInFlightFinish(t *testing.T) {
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				cs := connect(t, ts, tc.transport, keyA, era)
				release := ts.up.Hold("/agent/integrations")
				defer release()

				done := testutil.CallInBackground(t.Context(), cs, "list_integrations", map[string]any{})
				<-ts.up.Entered // the call is at the upstream

				ts.stop()
				waitListenerClosed(t, ts)
				release()

				got := <-done
				if got.Err != nil {
					t.Fatalf("the call in flight failed: %v", got.Err)
				}
				if got.Result.IsError || !strings.Contains(resultText(got.Result), "memory") {
					t.Fatalf("the call in flight: %s", resultText(got.Result))
				}
				if err := ts.wait(); err != nil {
					t.Errorf("Run: %v", err)
				}
				if logs := ts.logs.String(); strings.Contains(logs, "cut off") {
					t.Errorf("a call was cut off:\n%s", logs)
				}
			})
		}
	}
}

// A call that outlasts the grace period is cut off, and Run still returns
// nil (the process exits 0).
func TestShutdownGracePeriodEnds(t *testing.T) {
	for _, tc := range transportCases {
		t.Run(tc.name, func(t *testing.T) {
			ts := startServerWith(t, setup{opts: Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey},
				run: RunOptions{ShutdownTimeout: 50 * time.Millisecond}})
			cs := connect(t, ts, tc.transport, keyA, tc.eras[0])
			release := ts.up.Hold("/agent/integrations")
			defer release()
			go cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
			<-ts.up.Entered
			ts.stop()
			if err := ts.wait(); err != nil {
				t.Errorf("Run: %v", err)
			}
			if logs := ts.logs.String(); !strings.Contains(logs, "cut off") {
				t.Errorf("no word of the call cut off:\n%s", logs)
			}
		})
	}
}
