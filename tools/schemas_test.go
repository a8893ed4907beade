package tools

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
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

// The embedded schemas are exactly what the Go types generate.
func TestGeneratedSchemas(t *testing.T) {
	for _, tool := range Catalogue() {
		for _, kind := range []struct {
			name string
			open bool
			got  json.RawMessage
			typ  any
		}{
			{"input", false, tool.InputSchema, tool.inType},
			{"output", true, tool.OutputSchema, tool.outType},
		} {
			want, err := schemagen.ForType(tool.inType, false)
			if kind.open {
				want, err = schemagen.ForType(tool.outType, true)
			}
			if err != nil {
				t.Fatalf("%s %s: %v", tool.Name, kind.name, err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, want, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			file := filepath.Join("jsonschema", tool.Name+"."+kind.name+".json")
			if updating() {
				if err := os.WriteFile(file, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			if !bytes.Equal(kind.got, pretty.Bytes()) {
				t.Errorf("%s is out of date with the Go types of %s; run: go test ./tools -run TestGeneratedSchemas -update", file, tool.Name)
			}
		}
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
			for _, want := range []string{"no_such_tool", "tools/jsonschema/no_such_tool.input.json", "tools/jsonschema/no_such_tool.output.json", "go generate ./tools"} {
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
