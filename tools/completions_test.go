package tools_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"
)

// complete asks the server for completions of arg (typed so far: value)
// of ref, and fails the test on a protocol error.
func complete(t *testing.T, c *client.Client, ref any, arg, value string) *mcp.Completion {
	t.Helper()
	req := mcp.CompleteRequest{}
	req.Params.Ref = ref
	req.Params.Argument = mcp.CompleteArgument{Name: arg, Value: value}
	res, err := c.Complete(context.Background(), req)
	if err != nil {
		t.Fatalf("completion/complete: %v", err)
	}
	if res.Completion.Values == nil {
		t.Fatalf("completion without a values array")
	}
	return &res.Completion
}

var (
	promptRef   = mcp.PromptReference{Type: "ref/prompt", Name: "connect_integration"}
	templateRef = mcp.ResourceReference{Type: "ref/resource", URI: "alfe://integrations/{integrationId}/config"}
)

// TestCompletions: completion/complete in both eras and over both of the
// harness's transports. The prompt's integrationId completes from the
// registry, the template's from the installed integrations, matching the
// typed prefix whatever its case; the server advertises the completions
// capability.
func TestCompletions(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		sb := newSandbox(t)
		f := newFixture(t, sb.URL(), serverOptions{})
		c := f.connect(t, e, tr)
		if c.GetServerCapabilities().Completions == nil {
			t.Errorf("the server does not advertise the completions capability")
		}
		wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "slack"}))
		wantSuccess(t, callTool(t, c, "install_integration", map[string]any{"integrationId": "stripe"}))
		list := wantSuccess(t, callTool(t, c, "list_integrations", nil))
		var installed []string
		for _, in := range list["integrations"].([]any) {
			installed = append(installed, in.(map[string]any)["integrationId"].(string))
		}

		rows := []struct {
			name  string
			ref   any
			arg   string
			value string
			want  []string // nil: compute from installed with the prefix
		}{
			{"prompt, prefix", promptRef, "integrationId", "GI", []string{"github"}},
			{"prompt, another prefix", promptRef, "integrationId", "s", []string{"slack", "salesforce", "stripe", "sync"}},
			{"prompt, no match", promptRef, "integrationId", "zzz", []string{}},
			{"prompt, another argument", promptRef, "other", "g", []string{}},
			{"unknown prompt", mcp.PromptReference{Type: "ref/prompt", Name: "nope"}, "integrationId", "g", []string{}},
			{"template, every installed", templateRef, "integrationId", "", nil},
			{"template, prefix", templateRef, "integrationId", "ST", []string{"stripe"}},
			{"unknown template", mcp.ResourceReference{Type: "ref/resource", URI: "alfe://registry"}, "integrationId", "", []string{}},
		}
		for _, row := range rows {
			got := complete(t, c, row.ref, row.arg, row.value)
			want := row.want
			if want == nil {
				want = installed
			}
			if !sameSet(got.Values, want) {
				t.Errorf("%s: values %q, want %q", row.name, got.Values, want)
			}
			if got.Total != len(want) || got.HasMore {
				t.Errorf("%s: total %d, hasMore %v; want %d, false", row.name, got.Total, got.HasMore, len(want))
			}
		}
	})
}

// sameSet reports whether a and b hold the same strings.
func sameSet(a, b []string) bool {
	return len(a) == len(b) && !slices.ContainsFunc(a, func(s string) bool { return !slices.Contains(b, s) })
}

// TestCompletionsBounded: a registry of 150 matching ids completes to the
// first 100, with the total and hasMore; an upstream that fails gives an
// empty completion, not an error, in both eras.
func TestCompletionsBounded(t *testing.T) {
	forEachEra(t, func(t *testing.T, e era) {
		var ids []map[string]any
		for i := range 150 {
			ids = append(ids, map[string]any{"id": fmt.Sprintf("tool%03d", i)})
		}
		up := newCountingUpstream(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch r.URL.Path {
			case "/integrations/registry":
				writeData(w, http.StatusOK, map[string]any{"integrations": ids})
			default: // the installed integrations: the API fails
				writeJSON(w, http.StatusInternalServerError, `{"error":{"message":"boom"}}`)
			}
		}))
		f := newFixture(t, up.URL, serverOptions{})
		c := f.connect(t, e, stdio)
		got := complete(t, c, promptRef, "integrationId", "TOOL")
		if len(got.Values) != 100 || got.Total != 150 || !got.HasMore || got.Values[0] != "tool000" {
			t.Errorf("values %d (first %q), total %d, hasMore %v; want the first 100 of 150, hasMore", len(got.Values), first(got.Values), got.Total, got.HasMore)
		}
		got = complete(t, c, templateRef, "integrationId", "")
		if len(got.Values) != 0 || got.HasMore {
			t.Errorf("completion with the upstream failing: %+v, want empty", got)
		}
		if log := f.logs.String(); !strings.Contains(log, "completion without values") {
			t.Errorf("the failure is not logged:\n%s", log)
		}
	})
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
