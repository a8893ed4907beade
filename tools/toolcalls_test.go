package tools_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestToolCallsMatchTheCatalogue holds the shared test table to the
// catalogue: a row per tool, and none for a tool the catalogue does not
// have. The tests of every tool, here and in the transports' and e2e
// packages, take their calls from that table.
func TestToolCallsMatchTheCatalogue(t *testing.T) {
	names := tools.Names()
	rows := map[string]int{}
	for _, c := range testutil.ToolCalls() {
		rows[c.Tool]++
	}
	for _, name := range names {
		if rows[name] == 0 {
			t.Errorf("tool %s has no row in the shared test table (ToolCalls in internal/testutil/toolcalls.go): "+
				"add one with arguments that succeed against the sandbox, the upstream request they make and a fragment of the result", name)
		}
	}
	for tool, n := range rows {
		switch {
		case !slices.Contains(names, tool):
			t.Errorf("the shared test table (internal/testutil/toolcalls.go) has a row for %s, which is not in the catalogue: remove it", tool)
		case n > 1:
			t.Errorf("the shared test table (internal/testutil/toolcalls.go) has %d rows for %s; keep one", n, tool)
		}
	}
}

// TestEveryTool calls each tool of the catalogue with its row of the shared
// test table, against the sandbox, over both transports in both eras: the
// result is a success whose structured content holds the row's fragment,
// and the API received exactly the row's request, with the key.
func TestEveryTool(t *testing.T) {
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		for _, name := range tools.Names() {
			t.Run(name, func(t *testing.T) {
				row := testutil.ToolCallOf(t, name)
				api := testutil.NewRecorder(t)
				c := newFixture(t, api.URL, serverOptions{}).connect(t, e, tr)
				out := wantSuccess(t, callTool(t, c, name, row.Args))
				if b, _ := json.Marshal(out); !strings.Contains(string(b), row.Result) {
					t.Errorf("result %s lacks %s", b, row.Result)
				}
				want := []testutil.Request{{Method: row.Method, Path: row.Path, Auth: "Bearer " + testKey}}
				if got := api.Requests(); !slices.Equal(got, want) {
					t.Errorf("the API received %v, want %v", got, want)
				}
			})
		}
	})
}
