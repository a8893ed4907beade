package tools_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestReadOnlyAndAllowlist: --read-only and --tools register only the
// selected tools (the read-only ones by their hint in the catalogue); the others are refused without any upstream request, and
// the selected ones work.
func TestReadOnlyAndAllowlist(t *testing.T) {
	all := slices.Sorted(slices.Values(tools.Names()))
	var readOnly []string
	for _, tool := range tools.Catalogue() {
		if tool.Hints.ReadOnly {
			readOnly = append(readOnly, tool.Name)
		}
	}
	slices.Sort(readOnly)
	tests := []struct {
		name     string
		readOnly bool
		allow    []string
		want     []string
	}{
		{name: "everything by default", want: all},
		{name: "read-only", readOnly: true, want: readOnly},
		{name: "allowlist", allow: []string{"install_integration", "get_registry"}, want: []string{"get_registry", "install_integration"}},
		{name: "read-only and allowlist", readOnly: true, allow: []string{"install_integration", "get_registry"}, want: []string{"get_registry"}},
	}
	forEachEra(t, func(t *testing.T, e era) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				upstream := newCountingUpstream(t, sandbox.NewHandler(sandbox.Options{APIKey: testKey}))
				f := newFixture(t, upstream.URL, serverOptions{tools: func(o *tools.Options) {
					o.ReadOnly = tt.readOnly
					o.Tools = tt.allow
				}})
				c := f.connect(t, e, inProcess)

				if got := listToolNames(t, c); !slices.Equal(got, tt.want) {
					t.Fatalf("tools/list = %v, want %v", got, tt.want)
				}
				for _, name := range all {
					before := upstream.requests.Load()
					res, err := callToolErr(context.Background(), c, name, testutil.ToolCallOf(t, name).Args, nil)
					if slices.Contains(tt.want, name) {
						if err != nil {
							t.Errorf("%s: %v", name, err)
						} else {
							wantSuccess(t, res)
						}
						continue
					}
					if err == nil && !res.IsError {
						t.Errorf("%s is not enabled but the call succeeded: %+v", name, res.Content)
					}
					if n := upstream.requests.Load() - before; n != 0 {
						t.Errorf("%s is not enabled but made %d upstream requests", name, n)
					}
				}
			})
		}
	})
}

// TestAllowlistUnknownToolFails: an unknown name in the allowlist is a
// configuration error that names it and lists the known tools.
func TestAllowlistUnknownToolFails(t *testing.T) {
	for _, allow := range [][]string{{"list_integration"}, {"get_registry", "delete_everything"}} {
		_, err := tools.NewServer(tools.Options{Client: tools.StaticClient(nil), Tools: allow})
		if err == nil {
			t.Fatalf("NewServer with Tools %v: no error", allow)
		}
		unknown := allow[len(allow)-1]
		if !strings.Contains(err.Error(), unknown) || !strings.Contains(err.Error(), "list_integrations") {
			t.Errorf("error %q should name %q and list the known tools", err, unknown)
		}
	}
}

// listToolNames returns the names tools/list returns, sorted.
func listToolNames(t *testing.T, c *client.Client) []string {
	t.Helper()
	res, err := c.ListTools(context.Background(), mcp.ListToolsRequest{})
	if err != nil {
		t.Fatalf("tools/list: %v", err)
	}
	var names []string
	for _, tool := range res.Tools {
		names = append(names, tool.Name)
	}
	slices.Sort(names)
	return names
}

// TestNothingLeftToServe: read-only mode that leaves out every tool named
// in the tools to serve is a configuration error, not a server with no
// tools; it names the read-only tools one could name instead.
func TestNothingLeftToServe(t *testing.T) {
	_, err := tools.NewServer(tools.Options{Client: tools.StaticClient(nil), ReadOnly: true, Tools: []string{"remove_integration", "install_integration"}})
	if err == nil {
		t.Fatal("NewServer served no tool without an error")
	}
	for _, want := range []string{"no tool left to serve", "remove_integration, install_integration", "list_integrations"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}
