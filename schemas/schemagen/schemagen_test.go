package schemagen_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
	"github.com/alfe-mcp/alfe-mcp/schemas"
	"github.com/alfe-mcp/alfe-mcp/schemas/schemagen"
)

// schemaCase is one generated schema.
type schemaCase struct {
	name   string
	gen    func() (json.RawMessage, error)
	input  bool
	fields reflect.Type // the Go type, for the property names
}

func inputCase[T schemas.Input](name string) schemaCase {
	return schemaCase{name, schemagen.InputSchema[T], true, reflect.TypeFor[T]()}
}

func outputCase[T any](name string) schemaCase {
	return schemaCase{name, schemagen.OutputSchema[T], false, reflect.TypeFor[T]()}
}

var schemaCases = []schemaCase{
	inputCase[schemas.ListIntegrationsInput]("ListIntegrationsInput"),
	inputCase[schemas.GetRegistryInput]("GetRegistryInput"),
	inputCase[schemas.InstallIntegrationInput]("InstallIntegrationInput"),
	inputCase[schemas.GetIntegrationConfigInput]("GetIntegrationConfigInput"),
	inputCase[schemas.UpdateIntegrationConfigInput]("UpdateIntegrationConfigInput"),
	inputCase[schemas.RemoveIntegrationInput]("RemoveIntegrationInput"),
	inputCase[schemas.GetOAuthURLInput]("GetOAuthURLInput"),
	inputCase[schemas.GetOAuthStatusInput]("GetOAuthStatusInput"),
	outputCase[schemas.ListIntegrationsOutput]("ListIntegrationsOutput"),
	outputCase[schemas.GetRegistryOutput]("GetRegistryOutput"),
	outputCase[schemas.IntegrationOutput]("IntegrationOutput"),
	outputCase[schemas.IntegrationConfigOutput]("IntegrationConfigOutput"),
	outputCase[schemas.RemoveIntegrationOutput]("RemoveIntegrationOutput"),
	outputCase[schemas.OAuthURLOutput]("OAuthURLOutput"),
	outputCase[schemas.OAuthStatusOutput]("OAuthStatusOutput"),
}

func TestSchemas(t *testing.T) {
	for _, tt := range schemaCases {
		t.Run(tt.name, func(t *testing.T) {
			raw, err := tt.gen()
			if err != nil {
				t.Fatal(err)
			}
			var s map[string]any
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatalf("not a JSON object: %v", err)
			}
			if s["type"] != "object" {
				t.Errorf("root type %v, want object", s["type"])
			}
			props, ok := s["properties"].(map[string]any)
			if !ok {
				t.Fatalf("root has no properties object: %s", raw)
			}
			var names []string
			for name := range props {
				names = append(names, name)
			}
			slices.Sort(names)
			wantNames, wantRequired := jsonFields(tt.fields)
			if !slices.Equal(names, wantNames) {
				t.Errorf("properties %v, want %v", names, wantNames)
			}
			if !slices.Equal(required(s), wantRequired) {
				t.Errorf("required %v, want %v", required(s), wantRequired)
			}
			ap, hasAP := s["additionalProperties"]
			switch {
			case tt.input && ap != false:
				t.Errorf("input schema: additionalProperties %v, want false", ap)
			case !tt.input && hasAP && ap != true:
				t.Errorf("output schema: additionalProperties %v, want absent or true", ap)
			}
			walk(t, "#", s, tt.input)
		})
	}
}

// walk checks what every host accepts, in every subschema.
func walk(t *testing.T, path string, v any, input bool) {
	t.Helper()
	switch v := v.(type) {
	case map[string]any:
		for _, banned := range []string{"$schema", "$id", "$ref", "$defs", "definitions", "anyOf", "oneOf", "allOf", "exclusiveMinimum", "exclusiveMaximum", "nullable"} {
			if _, ok := v[banned]; ok {
				t.Errorf("%s has %s", path, banned)
			}
		}
		if f, ok := v["format"]; ok && f != "date-time" {
			t.Errorf("%s has format %v", path, f)
		}
		if ap, ok := v["additionalProperties"]; ok {
			if _, isBool := ap.(bool); !isBool {
				t.Errorf("%s has additionalProperties with a schema value: %v", path, ap)
			}
		}
		if typ, ok := v["type"]; ok {
			if _, isString := typ.(string); !isString {
				t.Errorf("%s has type %v, want one string", path, typ)
			}
		}
		if enum, ok := v["enum"].([]any); ok {
			for _, e := range enum {
				if _, isString := e.(string); !isString {
					t.Errorf("%s has a non-string enum value %v", path, e)
				}
			}
		}
		if props, ok := v["properties"].(map[string]any); ok {
			for name, p := range props {
				ps, _ := p.(map[string]any)
				if ps["description"] == nil {
					t.Errorf("%s/properties/%s has no description", path, name)
				}
				walk(t, path+"/properties/"+name, p, input)
			}
		}
		if items, ok := v["items"]; ok {
			walk(t, path+"/items", items, input)
		}
	}
}

// jsonFields lists the JSON names of a type's fields, and those of them
// without omitempty or omitzero, sorted; the fields of a field tagged
// ",inline" (a record's Fields) count as the type's own.
func jsonFields(t reflect.Type) (names, required []string) {
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		switch {
		case !f.IsExported() || name == "-":
			continue
		case name == "" && opts == "inline":
			n, r := jsonFields(f.Type)
			names, required = append(names, n...), append(required, r...)
			continue
		case name == "":
			name = f.Name
		}
		names = append(names, name)
		if !strings.Contains(opts, "omitempty") && !strings.Contains(opts, "omitzero") {
			required = append(required, name)
		}
	}
	slices.Sort(names)
	slices.Sort(required)
	return names, required
}

func required(s map[string]any) []string {
	var names []string
	list, _ := s["required"].([]any)
	for _, r := range list {
		names = append(names, r.(string))
	}
	slices.Sort(names)
	return names
}

// TestStringRulesAgree checks that the pattern and lengths of each string
// argument in the input schemas accept exactly what Validate accepts.
func TestStringRulesAgree(t *testing.T) {
	x := strings.Repeat
	tests := []struct {
		property string
		schema   func() (json.RawMessage, error)
		input    func(v string) schemas.Input
		values   []string
	}{
		{"integrationId", schemagen.InputSchema[schemas.GetIntegrationConfigInput],
			func(v string) schemas.Input { return schemas.GetIntegrationConfigInput{IntegrationID: schemas.ID(v)} },
			[]string{"github", "a", "A.b_c-9", x("x", 128), x("x", 129), "", "../etc/passwd", "a/b", ".x", "-x", "x y", "é", "x\n"}},
		{"provider", schemagen.InputSchema[schemas.GetOAuthStatusInput],
			func(v string) schemas.Input { return schemas.GetOAuthStatusInput{Provider: schemas.ID(v)} },
			[]string{"google", x("g", 128), x("g", 129), "", "a,b", "_x"}},
		{"version", schemagen.InputSchema[schemas.InstallIntegrationInput],
			func(v string) schemas.Input {
				return schemas.InstallIntegrationInput{IntegrationID: "x", Version: schemas.Version(v)}
			},
			[]string{"", "1.0.3", "v2.0.0-rc.1+build_5", x("1", 64), x("1", 65), "1.0 beta", "../1", "é", "1\n"}},
		{"status", schemagen.InputSchema[schemas.ListIntegrationsInput],
			func(v string) schemas.Input { return schemas.ListIntegrationsInput{Status: schemas.StatusFilter(v)} },
			[]string{"", "active", x("a", 64), x("é", 64), x("a", 65), x("é", 65)}},
		{"query", schemagen.InputSchema[schemas.GetRegistryInput],
			func(v string) schemas.Input { return schemas.GetRegistryInput{Query: schemas.Query(v)} },
			[]string{"", "git hub", x("q", 200), x("€", 200), x("q", 201)}},
	}
	for _, tt := range tests {
		t.Run(tt.property, func(t *testing.T) {
			raw, err := tt.schema()
			if err != nil {
				t.Fatal(err)
			}
			var s struct {
				Properties map[string]struct {
					Pattern   string `json:"pattern"`
					MinLength int    `json:"minLength"`
					MaxLength *int   `json:"maxLength"`
				} `json:"properties"`
			}
			if err := json.Unmarshal(raw, &s); err != nil {
				t.Fatal(err)
			}
			p := s.Properties[tt.property]
			if p.MaxLength == nil {
				t.Fatalf("%s has no maxLength: %s", tt.property, raw)
			}
			re := regexp.MustCompile(p.Pattern)
			for _, v := range tt.values {
				n := utf8.RuneCountInString(v) // maxLength counts characters
				schemaOK := re.MatchString(v) && n >= p.MinLength && n <= *p.MaxLength
				validateOK := tt.input(v).Validate() == nil
				if schemaOK != validateOK {
					t.Errorf("%s %q: schema accepts %v, Validate accepts %v", tt.property, v, schemaOK, validateOK)
				}
			}
		})
	}
}

// TestConstraints checks the keywords and description phrases that the
// argument types' constraints give, against the named limits.
func TestConstraints(t *testing.T) {
	raw, err := schemagen.InputSchema[schemas.GetOAuthStatusInput]()
	if err != nil {
		t.Fatal(err)
	}
	var oauth struct {
		Properties struct {
			WaitSeconds struct {
				Minimum, Maximum *int
				Description      string
			} `json:"waitSeconds"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(raw, &oauth); err != nil {
		t.Fatal(err)
	}
	w := oauth.Properties.WaitSeconds
	if w.Minimum == nil || *w.Minimum != 0 || w.Maximum == nil || *w.Maximum != schemas.MaxWaitSeconds {
		t.Errorf("waitSeconds minimum %v, maximum %v, want 0 and %d", w.Minimum, w.Maximum, schemas.MaxWaitSeconds)
	}
	if want := fmt.Sprintf("(0 to %d)", schemas.MaxWaitSeconds); !strings.Contains(w.Description, want) {
		t.Errorf("waitSeconds description %q lacks %q", w.Description, want)
	}

	raw, err = schemagen.InputSchema[schemas.UpdateIntegrationConfigInput]()
	if err != nil {
		t.Fatal(err)
	}
	if want := "(at most " + prose.ByteSize(schemas.MaxConfigBytes) + ")"; !strings.Contains(string(raw), want) {
		t.Errorf("update_integration_config input %s lacks %q", raw, want)
	}
	raw, err = schemagen.InputSchema[schemas.GetOAuthURLInput]()
	if err != nil {
		t.Fatal(err)
	}
	if want := fmt.Sprintf(`"maxItems":%d`, schemas.MaxScopes); !strings.Contains(string(raw), want) {
		t.Errorf("get_oauth_url input %s lacks %s", raw, want)
	}
}

// TestUnfilledPhrase checks that a description naming a keyword its field's
// type does not constrain fails the generation.
func TestUnfilledPhrase(t *testing.T) {
	type in struct {
		Q schemas.Query `json:"q" jsonschema_description:"At most {maxLength} characters, {maxBytes} of JSON."`
	}
	_, err := schemagen.InputSchema[in]()
	if err == nil || !strings.Contains(err.Error(), "{maxBytes}") || strings.Contains(err.Error(), "{maxLength}") {
		t.Errorf("error %v, want one naming {maxBytes} only", err)
	}
}

func TestSchemaOfNonObject(t *testing.T) {
	for name, gen := range map[string]func() (json.RawMessage, error){
		"string input":   schemagen.InputSchema[string],
		"slice output":   schemagen.OutputSchema[[]string],
		"int output":     schemagen.OutputSchema[int],
		"map[string]any": schemagen.OutputSchema[map[string]any],
	} {
		t.Run(name, func(t *testing.T) {
			raw, err := gen()
			if name == "map[string]any" {
				// A map reflects to a plain object: allowed.
				if err != nil {
					t.Errorf("error %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), "want object") {
				t.Errorf("schema %s, error %v; want a 'want object' error", raw, err)
			}
		})
	}
}

// TestEveryPropertyDescribed checks that a property without a description,
// in a struct tag or schemas.RecordDescriptions, fails the generation.
func TestEveryPropertyDescribed(t *testing.T) {
	type inner struct {
		B string `json:"b"`
	}
	type undescribed struct {
		A     string  `json:"a" jsonschema_description:"Described."`
		Inner []inner `json:"inner" jsonschema_description:"Described, but not its items' b."`
	}
	_, err := schemagen.OutputSchema[undescribed]()
	if err == nil || !strings.Contains(err.Error(), "/properties/inner/items/properties/b") || strings.Contains(err.Error(), "/properties/a") {
		t.Errorf("error %v, want one naming /properties/inner/items/properties/b only", err)
	}
}

// TestRecordDescriptions checks that every entry of
// schemas.RecordDescriptions names a field of its record, and that every
// field of a described record is described.
func TestRecordDescriptions(t *testing.T) {
	for typ, descs := range schemas.RecordDescriptions() {
		names, _ := jsonFields(typ)
		for name := range descs {
			if !slices.Contains(names, name) {
				t.Errorf("%v has no JSON field %q", typ, name)
			}
		}
		for _, name := range names {
			if descs[name] == "" {
				t.Errorf("%v field %q has no description", typ, name)
			}
		}
	}
}
