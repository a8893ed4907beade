package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os/exec"
	"strings"
	"sync"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// approver is the person in front of the host: it opens a consent page and
// approves it, through the page's form (HTTP) or by clicking in a browser.
// It runs in the client's handler, off the test's goroutine: it reports
// failures as errors.
type approver func(ctx context.Context, consentURL string) error

// approveByForm approves as the page's form does: it reads the page's
// form, and posts its state with the decision approve.
func approveByForm(ctx context.Context, consentURL string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, consentURL, nil)
	if err != nil {
		return err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK {
		return fmt.Errorf("consent page: %s %v", resp.Status, err)
	}
	m, s := formRe.FindStringSubmatch(string(body)), stateRe.FindStringSubmatch(string(body))
	if m == nil || s == nil {
		return fmt.Errorf("consent page has no decision form")
	}
	base, _ := url.Parse(consentURL)
	ref, err := url.Parse(m[1])
	if err != nil {
		return err
	}
	resp, err = httpClient.PostForm(base.ResolveReference(ref).String(), url.Values{"state": {s[1]}, "decision": {"approve"}})
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("approval: %s", resp.Status)
	}
	return nil
}

// TestConsentShownByTheHost: `alfe-mcp stdio --sandbox` with the official
// Go SDK client declaring URL-mode elicitation, in both eras. The host is
// asked to show the consent page (the model never sees its URL), the person
// approves it on the sandbox's page, the call returns connected, the
// client gets notifications/elicitation/complete for the elicitation's id,
// and the integration is active.
func TestConsentShownByTheHost(t *testing.T) {
	runConsentShownByTheHost(t, approveByForm)
}

// runConsentShownByTheHost is TestConsentShownByTheHost with approve as the
// person (TestConsentShownByTheHostInBrowser clicks in Chromium).
func runConsentShownByTheHost(t *testing.T, approve approver) {
	for _, e := range sdkEras {
		t.Run(e.name, func(t *testing.T) {
			cmd := exec.Command(binary(t), "stdio", "--sandbox")
			cmd.Env = childEnv()
			var stderr syncBuffer
			cmd.Stderr = &stderr
			var (
				changes   testutil.Changes
				mu        sync.Mutex
				shown     []*sdk.ElicitParams
				completed []string
			)
			c := sdk.NewClient(&sdk.Implementation{Name: "alfe-mcp-e2e", Version: "1"}, &sdk.ClientOptions{
				Capabilities: &sdk.ClientCapabilities{Elicitation: &sdk.ElicitationCapabilities{URL: &sdk.URLElicitationCapabilities{}}},
				ElicitationHandler: func(ctx context.Context, req *sdk.ElicitRequest) (*sdk.ElicitResult, error) {
					mu.Lock()
					shown = append(shown, req.Params)
					mu.Unlock()
					if req.Params.Mode != "url" {
						return &sdk.ElicitResult{Action: "decline"}, nil
					}
					if err := approve(ctx, req.Params.URL); err != nil {
						t.Errorf("the person could not approve: %v", err)
						return &sdk.ElicitResult{Action: "cancel"}, nil
					}
					return &sdk.ElicitResult{Action: "accept"}, nil
				},
				ElicitationCompleteHandler: func(_ context.Context, req *sdk.ElicitationCompleteNotificationRequest) {
					mu.Lock()
					completed = append(completed, req.Params.ElicitationID)
					mu.Unlock()
					changes.Changed()
				},
			})
			cs, err := c.Connect(t.Context(), &sdk.CommandTransport{Command: cmd, TerminateDuration: processLimit}, &sdk.ClientSessionOptions{ProtocolVersion: e.version})
			if err != nil {
				t.Fatalf("connect: %v", err)
			}
			t.Cleanup(func() { _ = cs.Close() })

			if _, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "install_integration", Arguments: map[string]any{"integrationId": "slack"}}); err != nil {
				t.Fatal(err)
			}
			res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "get_oauth_url", Arguments: map[string]any{"provider": "slack"}})
			if err != nil {
				t.Fatalf("get_oauth_url: %v", err)
			}
			var out struct {
				Status string `json:"status"`
				URL    string `json:"url"`
			}
			b, _ := json.Marshal(res.StructuredContent)
			if err := json.Unmarshal(b, &out); err != nil || res.IsError {
				t.Fatalf("get_oauth_url: %s (%v)", b, err)
			}
			if out.Status != "connected" || out.URL != "" {
				t.Fatalf("get_oauth_url: %s, want connected without the url", b)
			}
			mu.Lock()
			asked := append([]*sdk.ElicitParams(nil), shown...)
			mu.Unlock()
			if len(asked) != 1 || asked[0].Mode != "url" || asked[0].ElicitationID == "" || !strings.Contains(asked[0].Message, "slack") {
				t.Fatalf("the host was asked %d times: %+v; want once, to show the slack consent page", len(asked), asked)
			}
			ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
			defer cancel()
			if err := changes.Wait(ctx, func() bool { mu.Lock(); defer mu.Unlock(); return len(completed) > 0 }); err != nil {
				t.Fatal("no notifications/elicitation/complete")
			}
			mu.Lock()
			if len(completed) != 1 || completed[0] != asked[0].ElicitationID {
				t.Errorf("completions %q, want one for %q", completed, asked[0].ElicitationID)
			}
			mu.Unlock()
			list, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations"})
			if err != nil {
				t.Fatal(err)
			}
			if b, _ := json.Marshal(list.StructuredContent); !strings.Contains(string(b), `"status":"active"`) {
				t.Errorf("list_integrations after the consent: %s, want slack active", b)
			}
			noKeyIn(t, "stderr", stderr.String())
		})
	}
}
