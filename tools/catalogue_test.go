package tools_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/tools"
)

var update = flag.Bool("update", false, "rewrite the generated files instead of checking them (go generate ./... runs the tests with it)")

const goldenPath = "testdata/tools.golden.json"

// TestToolListGolden compares tools/list (tools.ListJSON of the default
// options, indented) with testdata/tools.golden.json, so that every change to
// a name, description, hint or schema shows up in review. go generate ./...
// rewrites it (with -update).
func TestToolListGolden(t *testing.T) {
	got := goldenJSON(t)
	if *update {
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, got, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", goldenPath)
		return
	}
	want, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("%v; run go generate ./... to write it", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("tools/list differs from %s at line %d:\n got: %s\nwant: %s\nIf the change is intended, run go generate ./... and review the diff", goldenPath, i+1, g, w)
			}
		}
	}
}

func goldenJSON(t *testing.T) []byte {
	t.Helper()
	raw, err := tools.ListJSON(tools.Options{})
	if err != nil {
		t.Fatalf("ListJSON: %v", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		t.Fatalf("indent: %v", err)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// TestToolListOverTheWire lists the tools through the protocol in both eras:
// the whole result marshals (the RawInputSchema trap breaks tools/list for
// every tool), the tools on the wire are exactly those of tools.ListJSON, and
// every tool follows the portability rules.
func TestToolListOverTheWire(t *testing.T) {
	var golden struct {
		Tools []json.RawMessage `json:"tools"`
	}
	if err := json.Unmarshal(goldenJSON(t), &golden); err != nil {
		t.Fatal(err)
	}
	forEachEraAndTransport(t, func(t *testing.T, e era, tr transportKind) {
		f := newFixture(t, "http://127.0.0.1:1", serverOptions{}) // never called
		var wire *syncBuffer
		var res *mcp.ListToolsResult
		var err error
		if tr == stdio {
			wire = &syncBuffer{}
			c := f.connectStdio(t, e, wire)
			if err := c.Start(context.Background()); err != nil {
				t.Fatal(err)
			}
			initialize(t, c, e)
			res, err = c.ListTools(context.Background(), mcp.ListToolsRequest{})
		} else {
			res, err = f.connect(t, e, tr).ListTools(context.Background(), mcp.ListToolsRequest{})
		}
		if err != nil {
			t.Fatalf("tools/list: %v", err)
		}
		if _, err := json.Marshal(res); err != nil {
			t.Fatalf("json.Marshal of the tools/list result: %v", err)
		}
		if len(res.Tools) != len(golden.Tools) {
			t.Fatalf("tools/list has %d tools, want %d", len(res.Tools), len(golden.Tools))
		}
		if wire == nil {
			return
		}

		raw, line := wireToolList(t, wire.String())
		// The bench measures the legacy era's line; a 2026-07-28 result also
		// carries the protocol's own metadata (serverInfo, resultType,
		// ttlMs, cacheScope: about 170 bytes that mcp-go adds to every
		// result), the same tools array.
		if e.Name == "legacy" && len(line) >= toolsListBudget {
			t.Errorf("the tools/list response is %d bytes on the wire, over the %d-byte budget every session pays: shorten a description", len(line), toolsListBudget)
		}
		if len(raw) != len(golden.Tools) {
			t.Fatalf("wire tools/list has %d tools, want %d", len(raw), len(golden.Tools))
		}
		for i := range raw {
			if !jsonBytesEqual(raw[i], golden.Tools[i]) {
				t.Errorf("tool %d on the wire differs from tools.ListJSON:\nwire:   %s\ngolden: %s", i, raw[i], golden.Tools[i])
			}
		}
		checkPortable(t, raw)
	})
}

// TestPortabilityCheckerCatchesViolations makes sure the checker itself
// rejects what it should, so that a silent pass of TestToolListOverTheWire
// means something.
func TestPortabilityCheckerCatchesViolations(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"name": "ok_tool", "title": "OK", "description": "Does a thing. Returns it.",
			"annotations": map[string]any{"readOnlyHint": true, "destructiveHint": false, "idempotentHint": true, "openWorldHint": false},
			"inputSchema": map[string]any{"type": "object", "additionalProperties": false, "properties": map[string]any{
				"a": map[string]any{"type": "string", "description": "An a."},
			}},
			"outputSchema": map[string]any{"type": "object", "properties": map[string]any{}},
		}
	}
	in := func(m map[string]any) map[string]any { return m["inputSchema"].(map[string]any) }
	prop := func(m map[string]any) map[string]any {
		return in(m)["properties"].(map[string]any)["a"].(map[string]any)
	}
	tests := []struct {
		name    string
		breakIt func(m map[string]any)
	}{
		{"bad name", func(m map[string]any) { m["name"] = "Bad-Name" }},
		{"no title", func(m map[string]any) { delete(m, "title") }},
		{"four sentences", func(m map[string]any) { m["description"] = "One. Two. Three. Four." }},
		{"hint missing", func(m map[string]any) { delete(m["annotations"].(map[string]any), "openWorldHint") }},
		{"input open", func(m map[string]any) { delete(in(m), "additionalProperties") }},
		{"output closed", func(m map[string]any) { m["outputSchema"].(map[string]any)["additionalProperties"] = false }},
		{"$ref", func(m map[string]any) { prop(m)["$ref"] = "#/$defs/x" }},
		{"anyOf", func(m map[string]any) { prop(m)["anyOf"] = []any{} }},
		{"exclusiveMinimum", func(m map[string]any) { prop(m)["exclusiveMinimum"] = 0 }},
		{"numeric enum", func(m map[string]any) { prop(m)["enum"] = []any{1, 2} }},
		{"format uri", func(m map[string]any) { prop(m)["format"] = "uri" }},
		{"schema-valued additionalProperties", func(m map[string]any) {
			prop(m)["type"] = "object"
			prop(m)["properties"] = map[string]any{}
			prop(m)["additionalProperties"] = map[string]any{"type": "string"}
		}},
		{"object without properties", func(m map[string]any) { prop(m)["type"] = "object" }},
		{"property without description", func(m map[string]any) { delete(prop(m), "description") }},
	}
	ok := base()
	if problems := portabilityProblems(ok); len(problems) != 0 {
		t.Fatalf("the valid tool is rejected: %v", problems)
	}
	for _, tt := range tests {
		m := base()
		tt.breakIt(m)
		if problems := portabilityProblems(m); len(problems) == 0 {
			t.Errorf("%s: not caught", tt.name)
		}
	}
}

// toolsListBudget bounds the bytes of the tools/list response line: the
// tokens every session pays before its first call (issue 13; the bench
// reports the same figure).
const toolsListBudget = 8192

// wireToolList finds the tools/list response among the lines the server
// wrote, and returns its tools and the whole line.
func wireToolList(t *testing.T, stream string) ([]json.RawMessage, string) {
	t.Helper()
	for _, line := range strings.Split(stream, "\n") {
		var msg struct {
			Result struct {
				Tools []json.RawMessage `json:"tools"`
			} `json:"result"`
		}
		if json.Unmarshal([]byte(line), &msg) == nil && len(msg.Result.Tools) > 0 {
			return msg.Result.Tools, line
		}
	}
	t.Fatalf("no tools/list response in the server's output:\n%s", stream)
	return nil, ""
}

func jsonBytesEqual(a, b []byte) bool {
	var va, vb any
	if json.Unmarshal(a, &va) != nil || json.Unmarshal(b, &vb) != nil {
		return false
	}
	return bytes.Equal(mustJSON(va), mustJSON(vb))
}

// checkPortable reports every tool that breaks a portability rule.
func checkPortable(t *testing.T, raw []json.RawMessage) {
	t.Helper()
	for _, r := range raw {
		var tool map[string]any
		if err := json.Unmarshal(r, &tool); err != nil {
			t.Fatalf("tool is not a JSON object: %v", err)
		}
		for _, p := range portabilityProblems(tool) {
			t.Errorf("%v: %s", tool["name"], p)
		}
	}
}

var (
	toolNameRE = regexp.MustCompile(`^[a-z0-9_]{1,40}$`)
	sentenceRE = regexp.MustCompile(`[.!?](\s|$)`)
)

// portabilityProblems lists how one tool of tools/list breaks the rules that
// make it acceptable to every MCP host (see shared/MCP-NOTES.md).
func portabilityProblems(tool map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }

	name, _ := tool["name"].(string)
	if !toolNameRE.MatchString(name) {
		add("name %q does not match %s", name, toolNameRE)
	}
	if title, _ := tool["title"].(string); strings.TrimSpace(title) == "" {
		add("no title")
	}
	desc, _ := tool["description"].(string)
	plain := strings.NewReplacer("e.g.", "eg", "i.e.", "ie").Replace(desc)
	if n := len(sentenceRE.FindAllString(plain, -1)); n < 1 || n > 3 || !strings.HasSuffix(strings.TrimSpace(desc), ".") {
		add("description has %d sentences (want 1 to 3, ending with a period): %q", n, desc)
	}
	annotations, _ := tool["annotations"].(map[string]any)
	for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"} {
		if _, ok := annotations[hint].(bool); !ok {
			add("annotation %s is not set explicitly", hint)
		}
	}

	for _, which := range []string{"inputSchema", "outputSchema"} {
		schema, ok := tool[which].(map[string]any)
		if !ok {
			add("no %s object", which)
			continue
		}
		if schema["type"] != "object" {
			add("%s: root type is %v, want object", which, schema["type"])
		}
		if _, ok := schema["properties"].(map[string]any); !ok {
			add("%s: root has no properties", which)
		}
		switch ap := schema["additionalProperties"]; which {
		case "inputSchema":
			if ap != false {
				add("inputSchema: additionalProperties is %v, want false", ap)
			}
			props, _ := schema["properties"].(map[string]any)
			for pname, p := range props {
				if d, _ := p.(map[string]any)["description"].(string); strings.TrimSpace(d) == "" {
					add("inputSchema: property %s has no description", pname)
				}
			}
		case "outputSchema":
			if ap == false {
				add("outputSchema: additionalProperties is false; outputs must allow fields the API adds")
			}
		}
		walkSchema(which, "", schema, add)
	}
	return problems
}

// walkSchema checks a schema node and its subschemas.
func walkSchema(path, propName string, node map[string]any, add func(string, ...any)) {
	for _, key := range []string{"$ref", "$defs", "definitions", "$schema", "$id", "anyOf", "oneOf", "allOf", "exclusiveMinimum", "exclusiveMaximum"} {
		if _, ok := node[key]; ok {
			add("%s: has %s", path, key)
		}
	}
	if typ, ok := node["type"]; ok {
		if _, isString := typ.(string); !isString {
			add("%s: type %v is not a single string", path, typ)
		}
	}
	if enum, ok := node["enum"]; ok {
		values, _ := enum.([]any)
		for _, v := range values {
			if _, isString := v.(string); !isString {
				add("%s: enum value %v is not a string", path, v)
			}
		}
	}
	if format, ok := node["format"]; ok && format != "date-time" {
		add("%s: format %v (only date-time is portable)", path, format)
	}
	if ap, ok := node["additionalProperties"]; ok {
		if _, isBool := ap.(bool); !isBool {
			add("%s: additionalProperties has a schema value", path)
		}
	}
	props, hasProps := node["properties"].(map[string]any)
	if node["type"] == "object" && !hasProps && propName != "config" {
		add("%s: object without properties (only the free-form config may have none)", path)
	}
	for name, p := range props {
		if child, ok := p.(map[string]any); ok {
			walkSchema(path+".properties."+name, name, child, add)
		} else {
			add("%s.properties.%s: not a schema object", path, name)
		}
	}
	switch items := node["items"].(type) {
	case map[string]any:
		walkSchema(path+".items", "", items, add)
	case []any:
		add("%s: items is an array (tuple validation)", path)
	}
}
