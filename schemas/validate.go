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
	"unicode"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// Limits on arguments, enforced before any request is made.
const (
	MaxIDLen         = 128      // integrationId and provider
	MaxVersionLen    = 64       // version
	MaxScopes        = 50       // scopes per OAuth request
	MaxScopeLen      = 256      // one scope
	MaxConfigBytes   = 64 << 10 // config, as JSON
	MaxArgumentBytes = 96 << 10 // all arguments of one call, as JSON
	MaxWaitSeconds   = 50       // get_oauth_status waitSeconds
	maxFilterLen     = 64
	maxQueryLen      = 200
)

// isID reports whether v matches ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$. (A
// regexp of that pattern compiles to 128 copies of the class: 2,500
// allocations at every start.)
func isID(v string) bool {
	if len(v) == 0 || len(v) > MaxIDLen || !isAlnum(v[0]) {
		return false
	}
	for i := 1; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '_' && c != '.' && c != '-' {
			return false
		}
	}
	return true
}

// isVersion reports whether v matches ^[A-Za-z0-9._+-]{1,64}$.
func isVersion(v string) bool {
	if len(v) == 0 || len(v) > MaxVersionLen {
		return false
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; !isAlnum(c) && c != '.' && c != '_' && c != '+' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

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
	if len(raw) == 0 || string(raw) == "null" {
		raw = []byte("{}")
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
	if cfg, ok := fields["config"]; ok && len(cfg) > MaxConfigBytes {
		return &ArgumentError{Argument: "config", Rule: fmt.Sprintf("is %d bytes of JSON, over the limit of %d (64 KiB)", len(cfg), MaxConfigBytes)}
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

func checkID(arg, v string) error {
	switch {
	case v == "":
		return &ArgumentError{Argument: arg, Rule: "is required"}
	case len(v) > MaxIDLen:
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("is %d characters long, over the limit of %d", len(v), MaxIDLen)}
	case !isID(v):
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("%q is not an id: use letters, digits, '_', '.' and '-', starting with a letter or digit (pattern ^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$)", v)}
	}
	return nil
}

func checkVersion(v string) error {
	if v == "" {
		return nil
	}
	if !isVersion(v) {
		return &ArgumentError{Argument: "version", Rule: fmt.Sprintf("%q is not a version: at most 64 characters of letters, digits, '.', '_', '+' and '-', e.g. 1.0.3", prose.Clip(v, 80))}
	}
	return nil
}

func checkScopes(scopes []string) error {
	if len(scopes) > MaxScopes {
		return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("has %d scopes, over the limit of %d", len(scopes), MaxScopes)}
	}
	for i, s := range scopes {
		switch {
		case s == "":
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d is empty", i)}
		case len(s) > MaxScopeLen:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d is over %d characters", i, MaxScopeLen)}
		case strings.ContainsRune(s, ','):
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %q contains a comma; pass each scope as its own array item", prose.Clip(s, 80))}
		case strings.IndexFunc(s, unicode.IsSpace) >= 0:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %q contains whitespace; pass each scope as its own array item", prose.Clip(s, 80))}
		case !utf8.ValidString(s) || strings.IndexFunc(s, unicode.IsControl) >= 0:
			return &ArgumentError{Argument: "scopes", Rule: fmt.Sprintf("scope %d contains control characters", i)}
		}
	}
	return nil
}

func checkLength(arg, v string, minLen, maxLen int) error {
	if n := utf8.RuneCountInString(v); n < minLen || n > maxLen {
		return &ArgumentError{Argument: arg, Rule: fmt.Sprintf("must be %d to %d characters long", minLen, maxLen)}
	}
	return nil
}
