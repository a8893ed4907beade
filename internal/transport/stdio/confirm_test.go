package stdio

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// acceptor responds to every elicitation by typing id, and counts them.
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
			el := &acceptor{id: "github"}
			caps := mcp.ClientCapabilities{Elicitation: &mcp.ElicitationCapability{Form: &struct{}{}}}
			c := newToolServer(t, up.URL).connect(t, era, caps, client.WithElicitationHandler(el))
			res, err := callTool(context.Background(), c, "remove_integration", map[string]any{"integrationId": "github"})
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
