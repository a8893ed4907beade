package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/schemas"
	"github.com/alfe-mcp/alfe-mcp/schemas/schemagen"
)

// updating reports whether the test binary runs with -update (the flag is
// defined by the catalogue's golden-file test).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// The schema files are exactly what the Go types of the catalogue's tools
// generate: none missing, none stale, none left over from a tool that is
// gone. With -update (go generate ./...) it writes them instead.
func TestGeneratedSchemas(t *testing.T) {
	want := map[string]bool{} // the files the catalogue needs
	for _, tool := range Catalogue() {
		for _, kind := range []struct {
			name string
			got  json.RawMessage
			typ  reflect.Type
			open bool // an output schema allows fields the API adds
		}{
			{"input", tool.InputSchema, tool.inType, false},
			{"output", tool.OutputSchema, tool.outType, true},
		} {
			schema, err := schemagen.ForType(kind.typ, kind.open)
			if err != nil {
				t.Fatalf("%s %s: %v", tool.Name, kind.name, err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, schema, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			file := tool.Name + "." + kind.name + ".json"
			want[file] = true
			path := filepath.Join("jsonschema", file)
			switch {
			case updating():
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			case kind.got == nil:
				t.Errorf("tools/%s is missing; run go generate ./...", path)
			case !bytes.Equal(kind.got, pretty.Bytes()):
				t.Errorf("tools/%s is out of date with the Go types of %s; run go generate ./...", path, tool.Name)
			}
		}
	}
	files, err := os.ReadDir("jsonschema")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if want[f.Name()] {
			continue
		}
		path := filepath.Join("jsonschema", f.Name())
		if updating() {
			if err := os.Remove(path); err != nil {
				t.Fatal(err)
			}
			continue
		}
		t.Errorf("tools/%s belongs to no tool of the catalogue; run go generate ./... (it removes it)", path)
	}
}

// A tool whose generated schema is missing stops the server at start, with
// an error that names the file and the command that generates it, instead
// of serving the tool without a schema.
func TestMissingSchemaFailsAtStart(t *testing.T) {
	noSchema := define("no_such_tool", "No schema", "Has no generated schema.", Hints{ReadOnly: true},
		func(context.Context, *Call, schemas.ListIntegrationsInput) (schemas.ListIntegrationsOutput, error) {
			return schemas.ListIntegrationsOutput{}, nil
		})
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"enabled", Options{}},
		{"not enabled", Options{Tools: []string{"list_integrations"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := selectFrom([]Tool{listIntegrations(), noSchema}, tt.opts)
			if err == nil {
				t.Fatal("no error for a tool without its generated schemas")
			}
			for _, want := range []string{"no_such_tool", "tools/jsonschema/no_such_tool.input.json", "tools/jsonschema/no_such_tool.output.json", "go generate ./..."} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
		})
	}
	// The catalogue itself has every schema: the server starts.
	if _, err := NewServer(Options{Client: StaticClient(nil)}); err != nil {
		t.Fatalf("NewServer: %v", err)
	}
}
