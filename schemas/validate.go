package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
)

// ArgumentError is an argument that breaks a rule. Its message names the
// argument and the rule, for a model to correct the call.
type ArgumentError struct {
	Argument string // JSON name, e.g. "integrationId"; empty for the whole object
	Rule     string // what is wrong, e.g. "is required"
}

// Error reads "invalid argument 'integrationId': is required".
func (e *ArgumentError) Error() string {
	if e.Argument == "" {
		return "invalid arguments: " + e.Rule
	}
	return fmt.Sprintf("invalid argument '%s': %s", e.Argument, e.Rule)
}

// Input is a tool input: a struct that can check its own arguments.
type Input interface {
	Validate() error
}

// Decode reads a tool call's raw arguments into dst (a pointer to an input
// struct) and validates them. Absent arguments are an empty object. Unknown
// arguments, wrong JSON types and oversize values are *ArgumentError; numbers
// inside free-form objects are kept exact.
func Decode[T Input](raw []byte, dst *T) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		// No arguments: nothing to decode, only the rules of the empty input
		// to check (issue 13: the most common call, e.g. list_integrations).
		return (*dst).Validate()
	}
	if len(raw) > MaxArgumentBytes {
		return &ArgumentError{Rule: fmt.Sprintf("the arguments are %d bytes, over the limit of %d", len(raw), MaxArgumentBytes)}
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		if !json.Valid(raw) {
			return &ArgumentError{Rule: "are not valid JSON"}
		}
		return &ArgumentError{Rule: "must be a JSON object, not " + jsonKind(raw)}
	}
	// Names must match exactly: encoding/json alone would also accept
	// "IntegrationID" for integrationId, which the input schema forbids.
	t := reflect.TypeFor[T]()
	names := argumentNames(t)
	for _, name := range slices.Sorted(maps.Keys(fields)) {
		if !slices.Contains(names, name) {
			return unknownArgument(name, t)
		}
	}
	if err := checkSizes(t, fields); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(dst); err != nil {
		return decodeError(err, t)
	}
	return (*dst).Validate()
}

// decodeError turns a json decoding error into an ArgumentError.
func decodeError(err error, t reflect.Type) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		name := typeErr.Field
		if i := strings.IndexByte(name, '.'); i >= 0 {
			name = name[:i]
		}
		return &ArgumentError{Argument: name, Rule: fmt.Sprintf("must be %s, not %s", describeType(typeErr.Type), typeErr.Value)}
	}
	msg := err.Error()
	if field, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return unknownArgument(strings.Trim(field, `"`), t)
	}
	return &ArgumentError{Rule: "are not valid JSON"}
}

// unknownArgument reports an argument that input type t does not have.
func unknownArgument(name string, t reflect.Type) error {
	takes := "no arguments"
	if names := argumentNames(t); len(names) > 0 {
		takes = strings.Join(names, ", ")
	}
	return &ArgumentError{Argument: name, Rule: "is not an argument of this tool; it takes " + takes}
}

// jsonKind names the kind of a valid JSON value as encoding/json's errors
// do: array, string, number, bool or null.
func jsonKind(raw []byte) string {
	switch raw[0] {
	case '[':
		return "array"
	case '"':
		return "string"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// describeType names a Go type the way a JSON Schema reader would.
func describeType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "an integer"
	case reflect.Bool:
		return "a boolean"
	case reflect.Map, reflect.Struct:
		return "a JSON object"
	case reflect.Slice, reflect.Array:
		return "an array of " + strings.TrimPrefix(strings.TrimPrefix(describeType(t.Elem()), "a "), "an ") + "s"
	default:
		return "a " + t.Kind().String()
	}
}

// checkSizes checks the JSON size of every argument of type Config, before
// it is decoded.
func checkSizes(t reflect.Type, fields map[string]json.RawMessage) error {
	for i := range t.NumField() {
		if f := t.Field(i); f.Type == reflect.TypeFor[Config]() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if err := (Config{}).checkSize(name, fields[name]); err != nil {
				return err
			}
		}
	}
	return nil
}

// argumentNames lists the JSON names of an input type's fields.
func argumentNames(t reflect.Type) []string {
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return names
}
