package tools

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

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
