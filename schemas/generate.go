// Package schemas holds the Go types of the tools' inputs and outputs and
// turns them into JSON Schemas that every MCP host accepts: a root object with
// properties, no $ref, $defs, $schema or $id, no anyOf/oneOf/allOf. Input
// schemas are closed (additionalProperties: false); output schemas allow
// fields the API may add.
package schemas

import (
	"encoding/json"
	"fmt"

	"github.com/invopop/jsonschema"
)

// InputSchema returns the JSON Schema of an input type such as
// ListIntegrationsInput.
func InputSchema[T any]() (json.RawMessage, error) {
	return generate[T](false)
}

// OutputSchema returns the JSON Schema of an output type such as
// ListIntegrationsOutput.
func OutputSchema[T any]() (json.RawMessage, error) {
	return generate[T](true)
}

func generate[T any](open bool) (json.RawMessage, error) {
	r := jsonschema.Reflector{
		DoNotReference:            true,
		ExpandedStruct:            true,
		Anonymous:                 true,
		AllowAdditionalProperties: open,
	}
	var zero T
	s := r.Reflect(zero)
	s.Version = ""
	s.ID = ""
	if s.Type != "object" {
		return nil, fmt.Errorf("schema of %T: root type is %q, want object", zero, s.Type)
	}
	if s.Properties == nil {
		s.Properties = jsonschema.NewProperties()
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schema of %T: %w", zero, err)
	}
	return b, nil
}
