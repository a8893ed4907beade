// Package schemagen turns the Go types of package schemas into JSON Schemas
// that every MCP host accepts: a root object with properties, no $ref, $defs,
// $schema or $id, no anyOf/oneOf/allOf. Input schemas are closed
// (additionalProperties: false); output schemas allow fields the API may add.
// Every property has a description: from its struct tag for the types of
// package schemas, from schemas.RecordDescriptions for apiclient's records.
// A field whose type is schemas.Constrained gets its keywords (minLength,
// maxLength, pattern, maxItems, minimum, maximum) from its Constraints, and
// each {keyword} phrase of its description, e.g. "(at most {maxBytes})",
// gets the value: every limit is written once, in package schemas.
//
// It runs at build time, not in the server: the tools' schemas are generated
// into tools/jsonschema/ (go generate ./..., see tools/generate.go)
// and embedded, so the binary carries neither the reflector nor its
// dependencies and does no reflection at start-up. A test fails when the
// embedded files differ from what this package generates.
package schemagen

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/invopop/jsonschema"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
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
	constrain(t, s)
	if problems := checkDescriptions(s); len(problems) > 0 {
		return nil, fmt.Errorf("schema of %v: %s", t, strings.Join(problems, "; "))
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

// constrain writes the keywords of each field of struct type t that is
// schemas.Constrained onto its property of s, and fills the {keyword}
// phrases of the property's description. Inputs are flat: nested structs
// are not visited.
func constrain(t reflect.Type, s *jsonschema.Schema) {
	if t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		p, ok := s.Properties.Get(name)
		if !ok {
			continue
		}
		c, ok := reflect.Zero(f.Type).Interface().(schemas.Constrained)
		if !ok {
			continue
		}
		phrases := keywords(p, c.Constraints())
		p.Description = strings.NewReplacer(phrases...).Replace(p.Description)
	}
}

// keywords sets the keywords of c on p and returns, as pairs for a
// strings.Replacer, each {keyword} phrase with its value.
func keywords(p *jsonschema.Schema, c schemas.Constraints) []string {
	var phrases []string
	count := func(keyword string, n int, dst **uint64) {
		if n > 0 {
			v := uint64(n)
			*dst = &v
			phrases = append(phrases, "{"+keyword+"}", strconv.Itoa(n))
		}
	}
	count("minLength", c.MinLength, &p.MinLength)
	count("maxLength", c.MaxLength, &p.MaxLength)
	count("maxItems", c.MaxItems, &p.MaxItems)
	if c.Pattern != "" {
		p.Pattern = c.Pattern
	}
	if c.Range != nil {
		p.Minimum = json.Number(strconv.Itoa(c.Range[0]))
		p.Maximum = json.Number(strconv.Itoa(c.Range[1]))
		phrases = append(phrases, "{minimum}", strconv.Itoa(c.Range[0]), "{maximum}", strconv.Itoa(c.Range[1]))
	}
	if c.MaxBytes > 0 {
		phrases = append(phrases, "{maxBytes}", prose.ByteSize(c.MaxBytes))
	}
	return phrases
}

// checkDescriptions lists what is wrong with the descriptions of the
// properties of s and its subschemas: a property without one (give it a
// jsonschema_description tag, or an entry in schemas.RecordDescriptions for
// a field of an apiclient record), or a {keyword} phrase that its field's
// schemas.Constraints do not fill.
func checkDescriptions(s *jsonschema.Schema) []string {
	var problems []string
	eachProperty(s, "", func(path string, p *jsonschema.Schema) {
		if p.Description == "" {
			problems = append(problems, "no description for "+path)
		}
		for _, k := range [...]string{"{minLength}", "{maxLength}", "{maxItems}", "{minimum}", "{maximum}", "{maxBytes}"} {
			if strings.Contains(p.Description, k) {
				problems = append(problems, fmt.Sprintf("the description of %s names %s, which its type does not constrain", path, k))
			}
		}
	})
	return problems
}

// eachProperty calls visit with each property of s and of its subschemas,
// and the property's JSON pointer from path.
func eachProperty(s *jsonschema.Schema, path string, visit func(path string, p *jsonschema.Schema)) {
	if s.Properties != nil {
		for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
			p := path + "/properties/" + pair.Key
			visit(p, pair.Value)
			eachProperty(pair.Value, p, visit)
		}
	}
	if s.Items != nil {
		eachProperty(s.Items, path+"/items", visit)
	}
}
