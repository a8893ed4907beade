// Package schemagen turns the Go types of package schemas into JSON Schemas
// that every MCP host accepts: a root object with properties, no $ref, $defs,
// $schema or $id, no anyOf/oneOf/allOf. Input schemas are closed
// (additionalProperties: false); output schemas allow fields the API may add.
//
// It runs at build time, not in the server: the tools' schemas are generated
// into tools/jsonschema/ (go test ./tools -run TestGeneratedSchemas -update)
// and embedded, so the binary carries neither the reflector nor its
// dependencies and does no reflection at start-up. A test fails when the
// embedded files differ from what this package generates.
package schemagen

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"
)

// InputSchema returns the JSON Schema of an input type such as
// ListIntegrationsInput.
func InputSchema[T any]() (json.RawMessage, error) {
	return ForType(reflect.TypeFor[T](), false)
}

// OutputSchema returns the JSON Schema of an output type such as
// ListIntegrationsOutput.
func OutputSchema[T any]() (json.RawMessage, error) {
	return ForType(reflect.TypeFor[T](), true)
}

// ForType returns the schema of type t: closed for inputs, open (allowing
// unknown fields) for outputs.
func ForType(t reflect.Type, open bool) (json.RawMessage, error) {
	r := jsonschema.Reflector{
		DoNotReference:            true,
		ExpandedStruct:            true,
		Anonymous:                 true,
		AllowAdditionalProperties: open,
	}
	s := r.ReflectFromType(t)
	s.Version = ""
	s.ID = ""
	if s.Type != "object" {
		return nil, fmt.Errorf("schema of %v: root type is %q, want object", t, s.Type)
	}
	if s.Properties == nil {
		s.Properties = jsonschema.NewProperties()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schema of %v: %w", t, err)
	}
	return b, nil
}
