package tools

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
)

// The README's tool table stands between these two lines.
const (
	readmePath        = "../README.md"
	readmeToolsBegin  = "<!-- The table below is generated from the catalogue by go generate ./...; edit the tools, not the table. -->\n"
	readmeToolsEnd    = "<!-- end of the generated table -->\n"
	readmeTableHeader = "| tool | what it does | arguments | read-only | destructive | idempotent | open-world |\n" +
		"|---|---|---|---|---|---|---|\n"
)

// TestREADMETools holds the README's tool table to the catalogue: a row per
// tool with its title, its arguments (? when optional, with the range of a
// number) and its four hints. With -update (go generate ./...) it rewrites
// the table instead.
func TestREADMETools(t *testing.T) {
	b, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(b), readmeToolsBegin)
	table, after, ok2 := strings.Cut(rest, readmeToolsEnd)
	if !ok || !ok2 {
		t.Fatalf("README.md lacks the lines that enclose its tool table; put\n%s and\n%s around it, then run go generate ./...", readmeToolsBegin, readmeToolsEnd)
	}
	want := toolTable(t)
	if updating() {
		if err := os.WriteFile(readmePath, []byte(before+readmeToolsBegin+want+readmeToolsEnd+after), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if table != want {
		t.Errorf("README.md's tool table differs from the catalogue; run go generate ./...\nREADME:\n%s\ncatalogue:\n%s", table, want)
	}
}

// toolTable is the README's table of the catalogue, in catalogue order.
func toolTable(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(readmeTableHeader)
	yes := map[bool]string{true: "yes", false: "no"}
	for _, tool := range Catalogue() {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s |\n", tool.Name, tool.Title, arguments(t, tool),
			yes[tool.Hints.ReadOnly], yes[tool.Hints.Destructive], yes[tool.Hints.Idempotent], yes[tool.Hints.OpenWorld])
	}
	return b.String()
}

// arguments lists a tool's arguments in the order of its input type's
// fields: `name`, `name?` when optional, and (min–max) for a bounded
// number; "—" for none.
func arguments(t *testing.T, tool Tool) string {
	t.Helper()
	var schema struct {
		Properties map[string]struct {
			Minimum *float64 `json:"minimum"`
			Maximum *float64 `json:"maximum"`
		} `json:"properties"`
		Required []string `json:"required"`
	}
	if err := json.Unmarshal(tool.InputSchema, &schema); err != nil {
		t.Fatalf("%s: input schema: %v; run go generate ./...", tool.Name, err)
	}
	var args []string
	for i := range tool.inType.NumField() {
		f := tool.inType.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" || !f.IsExported() {
			continue
		}
		arg := "`" + name + "`"
		if !slices.Contains(schema.Required, name) {
			arg = "`" + name + "?`"
		}
		if p := schema.Properties[name]; p.Minimum != nil && p.Maximum != nil {
			arg += fmt.Sprintf(" (%v–%v)", *p.Minimum, *p.Maximum)
		}
		args = append(args, arg)
	}
	if len(args) == 0 {
		return "—"
	}
	return strings.Join(args, ", ")
}
