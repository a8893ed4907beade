// Package schemagen turns the Go types of package schemas into JSON Schemas
// that every MCP host accepts: a root object with properties, no $ref, $defs,
// $schema or $id, no anyOf/oneOf/allOf. Input schemas are closed
// (additionalProperties: false); output schemas allow fields the API may add.
// Every property has a description: from its struct tag for the types of
// package schemas, from schemas.RecordDescriptions for apiclient's records.
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
	"slices"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/alfe-mcp/alfe-mcp/schemas"
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
// unknown fields) for outputs. It fails when the root is not an object or a
// property has no description.
func ForType(t reflect.Type, open bool) (json.RawMessage, error) {
	records := schemas.RecordDescriptions()
	r := jsonschema.Reflector{
		DoNotReference:            true,
		ExpandedStruct:            true,
		Anonymous:                 true,
		AllowAdditionalProperties: open,
		Mapper:                    rawObject,
		LookupComment: func(t reflect.Type, field string) string {
			return records[t][jsonFieldName(t, field)]
		},
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
	if missing := undescribed(s, ""); len(missing) > 0 {
		return nil, fmt.Errorf("schema of %v: no description for %s; give it a jsonschema_description tag, or an entry in schemas.RecordDescriptions for a field of an apiclient record",
			t, strings.Join(missing, ", "))
	}
	b, err := json.Marshal(s)
	if err != nil {
		return nil, fmt.Errorf("schema of %v: %w", t, err)
	}
	return b, nil
}

// rawObject maps json.RawMessage to a free-form object: apiclient keeps
// free-form configuration raw, and a record's raw field always holds a JSON
// object (apiclient.Record refuses anything else).
func rawObject(t reflect.Type) *jsonschema.Schema {
	if t == reflect.TypeFor[json.RawMessage]() {
		return &jsonschema.Schema{Type: "object"}
	}
	return nil
}

// jsonFieldName is the JSON name of struct t's field named field (a Go
// name), or "" when t is not a struct or has no such field.
func jsonFieldName(t reflect.Type, field string) string {
	if t.Kind() != reflect.Struct {
		return ""
	}
	f, ok := t.FieldByName(field)
	if !ok || field == "" {
		return ""
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// undescribed lists the properties of s and its subschemas that have no
// description, as JSON pointers from path.
func undescribed(s *jsonschema.Schema, path string) []string {
	var missing []string
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			p := path + "/properties/" + pair.Key
			if pair.Value.Description == "" {
				missing = append(missing, p)
			}
			missing = append(missing, undescribed(pair.Value, p)...)
		}
	}
	if s.Items != nil {
		missing = append(missing, undescribed(s.Items, path+"/items")...)
	}
	return slices.Clip(missing)
}
