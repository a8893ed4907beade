package stdio

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mark3labs/mcp-go/client"
	mcptransport "github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// acceptor answers every elicitation by typing id, and counts them.
type acceptor struct {
	id    string
	asked atomic.Int32
}

func (a *acceptor) Elicit(context.Context, mcp.ElicitationRequest) (*mcp.ElicitationResult, error) {
	a.asked.Add(1)
	res := &mcp.ElicitationResult{}
	res.Action = mcp.ElicitationResponseActionAccept
	res.Content = map[string]any{"integrationId": a.id}
	return res, nil
}

// TestRemovalConfirmationOverStdio: stdio carries the question in both eras
// (a request from the server for a legacy client, an input_required result
// for a modern one), so a client that can show a form is asked before the
// removal.
func TestRemovalConfirmationOverStdio(t *testing.T) {
	for _, era := range testutil.Eras() {
		t.Run(era.Name, func(t *testing.T) {
			up := testutil.NewRecorder(t)
			api, err := apiclient.New(apiclient.Options{BaseURL: up.URL, APIKey: "k"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(api.CloseIdleConnections)
			srv, err := tools.NewServer(tools.Options{Client: tools.StaticClient(api)})
			if err != nil {
				t.Fatal(err)
			}
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				done <- Serve(ctx, srv, inR, outW, slog.New(slog.DiscardHandler))
				outW.Close()
			}()
			el := &acceptor{id: "github"}
			c := client.NewClient(mcptransport.NewIO(outR, inW, nil), append(slices.Clone(era.Opts), client.WithElicitationHandler(el))...)
			t.Cleanup(func() {
				_ = c.Close() // closes the server's stdin
				go func() { _, _ = io.Copy(io.Discard, outR) }()
				if err := <-done; err != nil {
					t.Errorf("Serve: %v", err)
				}
				cancel()
			})
			callCtx, stop := context.WithTimeout(context.Background(), 10*time.Second)
			defer stop()
			if err := c.Start(callCtx); err != nil {
				t.Fatal(err)
			}
			var init mcp.InitializeRequest
			init.Params.ClientInfo = mcp.Implementation{Name: "stdio-test", Version: "1"}
			init.Params.Capabilities.Elicitation = &mcp.ElicitationCapability{Form: &struct{}{}}
			if _, err := c.Initialize(callCtx, init); err != nil {
				t.Fatal(err)
			}
			var req mcp.CallToolRequest
			req.Params.Name = "remove_integration"
			req.Params.Arguments = map[string]any{"integrationId": "github"}
			res, err := c.CallTool(callCtx, req)
			if err != nil {
				t.Fatalf("remove_integration: %v", err)
			}
			if res.IsError {
				t.Fatalf("remove_integration: isError: %v", res.Content)
			}
			if el.asked.Load() != 1 {
				t.Errorf("asked %d times, want once", el.asked.Load())
			}
			if got, want := up.Requests(), []testutil.Request{{Method: "DELETE", Path: "/agent/integrations/github", Auth: "Bearer k"}}; !slices.Equal(got, want) {
				t.Errorf("upstream got %v, want %v", got, want)
			}
		})
	}
}
