package e2e

import (
	"context"
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
)

// TestResourceLists: resources/list and resources/templates/list name the
// three JSON views, and resources/list the config resource of each
// integration the sandbox has installed (github and memory).
func TestResourceLists(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		c := newStack(t, sandbox.Options{}).connect(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()

		list, err := c.ListResources(ctx, mcp.ListResourcesRequest{})
		if err != nil {
			t.Fatalf("resources/list: %v", err)
		}
		got := map[string]string{}
		for _, r := range list.Resources {
			got[r.URI] = r.MIMEType
		}
		want := map[string]string{"alfe://integrations": "application/json", "alfe://registry": "application/json",
			"alfe://integrations/github/config": "application/json", "alfe://integrations/memory/config": "application/json"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resources/list: %v, want %v", got, want)
		}

		templates, err := c.ListResourceTemplates(ctx, mcp.ListResourceTemplatesRequest{})
		if err != nil {
			t.Fatalf("resources/templates/list: %v", err)
		}
		got = map[string]string{}
		for _, rt := range templates.ResourceTemplates {
			if rt.URITemplate == nil {
				t.Fatalf("template %q has no URI template", rt.Name)
			}
			got[rt.URITemplate.Raw()] = rt.MIMEType
		}
		want = map[string]string{"alfe://integrations/{integrationId}/config": "application/json"}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("resources/templates/list: %v, want %v", got, want)
		}
	})
}

// TestReadResource: each resource reads as the JSON its tool returns.
func TestReadResource(t *testing.T) {
	cases := []struct {
		uri   string
		tool  string // the tool that returns the same JSON
		args  map[string]any
		check func(t *testing.T, v map[string]any)
	}{
		{
			uri: "alfe://integrations", tool: "list_integrations",
			check: func(t *testing.T, v map[string]any) {
				var out listOut
				decode(t, v, &out)
				got := map[string]string{}
				for _, in := range out.Integrations {
					got[in.IntegrationID] = in.Status
				}
				// The sandbox's initial installs.
				if want := map[string]string{"github": "pending", "memory": "active"}; !reflect.DeepEqual(got, want) {
					t.Errorf("installed %v, want %v", got, want)
				}
			},
		},
		{
			uri: "alfe://registry", tool: "get_registry",
			check: func(t *testing.T, v map[string]any) {
				var out registryOut
				decode(t, v, &out)
				if len(out.Integrations) != 14 || !slices.ContainsFunc(out.Integrations, func(e registryEntry) bool { return e.ID == "slack" }) {
					t.Errorf("registry of %d entries %s, want 14 with slack", len(out.Integrations), describe(out))
				}
			},
		},
		{
			uri: "alfe://integrations/memory/config", tool: "get_integration_config", args: map[string]any{"integrationId": "memory"},
			check: func(t *testing.T, v map[string]any) {
				var out configOut
				decode(t, v, &out)
				want := map[string]any{"autoCapture": true, "autoRecall": true, "captureMaxChars": float64(500)}
				if out.IntegrationID != "memory" || !reflect.DeepEqual(out.Config, want) {
					t.Errorf("config %s, want memory with %v", describe(out), want)
				}
			},
		},
	}
	forEachEra(t, func(t *testing.T, e era) {
		c := newStack(t, sandbox.Options{}).connect(t, e)
		for _, tc := range cases {
			t.Run(tc.uri, func(t *testing.T) {
				got := readJSON(t, c, tc.uri)
				tc.check(t, got)
				res := call(t, c, tc.tool, tc.args)
				if res.IsError {
					t.Fatalf("%s: %s", tc.tool, text(res))
				}
				if !reflect.DeepEqual(any(got), res.StructuredContent) {
					t.Errorf("%s reads %s, but %s returns %s", tc.uri, describe(got), tc.tool, describe(res.StructuredContent))
				}
			})
		}
	})
}

// TestReadResourceErrors: a bad or not-installed id in the template is a
// clear error.
func TestReadResourceErrors(t *testing.T) {
	cases := []struct {
		name      string
		uri       string
		fragments []string
	}{
		{"escaped slash in the id", "alfe://integrations/a%2Fb/config", []string{"integrationId", `"a/b" is not an id`, "nothing was sent"}},
		{"not installed", "alfe://integrations/slack/config", []string{"slack", "not installed"}},
		{"not in the registry", "alfe://integrations/nope/config", []string{"nope", "not installed"}},
	}
	forEachEra(t, func(t *testing.T, e era) {
		c := newStack(t, sandbox.Options{}).connect(t, e)
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
				defer cancel()
				req := mcp.ReadResourceRequest{}
				req.Params.URI = tc.uri
				res, err := c.ReadResource(ctx, req)
				if err == nil {
					t.Fatalf("reading %s succeeded: %s", tc.uri, describe(res))
				}
				for _, f := range tc.fragments {
					if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(f)) {
						t.Errorf("error %q does not mention %q", err, f)
					}
				}
				if strings.Contains(err.Error(), apiKey) {
					t.Errorf("error carries the API key: %v", err)
				}
			})
		}
	})
}

// TestConnectPrompt: the connect_integration prompt walks the model through
// the tools of the flow.
func TestConnectPrompt(t *testing.T) {
	cases := []struct {
		name    string
		args    map[string]string
		wantErr string // empty: success
	}{
		{name: "with integrationId", args: map[string]string{"integrationId": "slack"}},
		{name: "without integrationId", args: nil, wantErr: "'integrationId': is required"},
		{name: "with a malformed integrationId", args: map[string]string{"integrationId": "a/b"}, wantErr: `'integrationId': "a/b" is not an id`},
	}
	forEachEra(t, func(t *testing.T, e era) {
		c := newStack(t, sandbox.Options{}).connect(t, e)
		ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
		defer cancel()
		list, err := c.ListPrompts(ctx, mcp.ListPromptsRequest{})
		if err != nil {
			t.Fatalf("prompts/list: %v", err)
		}
		if len(list.Prompts) != 1 || list.Prompts[0].Name != "connect_integration" ||
			len(list.Prompts[0].Arguments) != 1 || list.Prompts[0].Arguments[0].Name != "integrationId" || !list.Prompts[0].Arguments[0].Required {
			t.Errorf("prompts/list: %s, want connect_integration with the required argument integrationId", describe(list.Prompts))
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				req := mcp.GetPromptRequest{}
				req.Params.Name = "connect_integration"
				req.Params.Arguments = tc.args
				res, err := c.GetPrompt(ctx, req)
				if tc.wantErr != "" {
					if err == nil {
						t.Fatalf("prompts/get succeeded: %s", describe(res))
					}
					if !strings.Contains(err.Error(), tc.wantErr) {
						t.Errorf("error %q does not mention %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatalf("prompts/get: %v", err)
				}
				if len(res.Messages) != 1 || res.Messages[0].Role != mcp.RoleUser {
					t.Fatalf("prompts/get: %s, want one user message", describe(res.Messages))
				}
				tc0, isText := mcp.AsTextContent(res.Messages[0].Content)
				if !isText {
					t.Fatalf("prompt message is %T, want text", res.Messages[0].Content)
				}
				for _, want := range []string{`"slack"`, "get_registry", "install_integration", "get_oauth_url", "get_oauth_status", "waitSeconds"} {
					if !strings.Contains(tc0.Text, want) {
						t.Errorf("prompt does not mention %s:\n%s", want, tc0.Text)
					}
				}
			})
		}
	})
}

// readJSON reads a resource and checks it is one application/json text whose
// URI is the one asked for, decoding it.
func readJSON(t *testing.T, c *client.Client, uri string) map[string]any {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	req := mcp.ReadResourceRequest{}
	req.Params.URI = uri
	res, err := c.ReadResource(ctx, req)
	if err != nil {
		t.Fatalf("resources/read %s: %v", uri, err)
	}
	if len(res.Contents) != 1 {
		t.Fatalf("resources/read %s: %d contents, want 1", uri, len(res.Contents))
	}
	tc, isText := mcp.AsTextResourceContents(res.Contents[0])
	if !isText {
		t.Fatalf("resources/read %s: %T, want text contents", uri, res.Contents[0])
	}
	if tc.URI != uri || tc.MIMEType != "application/json" {
		t.Errorf("resources/read %s: uri %q, mimeType %q; want the same uri and application/json", uri, tc.URI, tc.MIMEType)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(tc.Text), &v); err != nil {
		t.Fatalf("resources/read %s: not a JSON object: %v\n%s", uri, err, tc.Text)
	}
	return v
}

// decode converts a decoded JSON object into out.
func decode(t *testing.T, v map[string]any, out any) {
	t.Helper()
	b, _ := json.Marshal(v)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}
