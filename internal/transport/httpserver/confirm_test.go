package httpserver

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestRemovalConfirmationOverEveryTransport calls remove_integration from a
// client that can show a form, over every transport and in both protocol
// eras. The user is asked exactly where the transport can carry the
// question: over the legacy protocol only where a request from the server
// can reach the client and its response come back (a stateful streamable
// HTTP session), over the modern one wherever the call's result can ask for
// input (streamable HTTP, with or without sessions); never over SSE. Either
// way the integration is removed: the user accepts, or is not asked.
func TestRemovalConfirmationOverEveryTransport(t *testing.T) {
	wantAsked := map[string]map[string]bool{
		"sse":                  {legacy: false, modern: false},
		"streamable":           {legacy: true, modern: true},
		"streamable-stateless": {legacy: false, modern: true},
	}
	for _, tc := range transportCases {
		for _, era := range tc.eras {
			t.Run(fmt.Sprintf("%s/%s", tc.name, eraName(era)), func(t *testing.T) {
				ts := startServer(t, Options{Transport: tc.transport, Stateless: tc.stateless, Loopback: true, DefaultKey: defaultKey})
				var asked atomic.Int32
				cs := connectWith(t, ts, tc.transport, keyA, era, &sdk.ClientOptions{
					ElicitationHandler: func(context.Context, *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
						asked.Add(1)
						return &sdk.ElicitResult{Action: "accept", Content: map[string]any{"integrationId": "github"}}, nil
					},
				})
				res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "remove_integration", Arguments: map[string]any{"integrationId": "github"}})
				if err != nil {
					t.Fatalf("remove_integration: %v", err)
				}
				if res.IsError {
					t.Fatalf("remove_integration: isError: %s", resultText(res))
				}
				if got, want := asked.Load() > 0, wantAsked[tc.name][era]; got != want {
					t.Errorf("the user was asked: %v, want %v", got, want)
				}
				want := []seen{{Method: "DELETE", Path: "/agent/integrations/github", Auth: "Bearer " + keyA}}
				if got := ts.up.Requests(); !slices.Equal(got, want) {
					t.Errorf("upstream got %v, want %v", got, want)
				}
			})
		}
	}
}
