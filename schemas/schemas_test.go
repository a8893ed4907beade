package schemas

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// decodeCase is one call of Decode for one input type.
type decodeCase struct {
	name string
	// decode runs Decode[T] on raw and returns the decoded value.
	decode func(raw []byte) (any, error)
	raw    string
	want   any      // the decoded value when no error is expected
	errArg string   // ArgumentError.Argument expected ("" with errSub: the whole object)
	errSub []string // substrings of the message; nil means no error
}

// as returns a decode func for input type T.
func as[T Input]() func([]byte) (any, error) {
	return func(raw []byte) (any, error) {
		var v T
		err := Decode(raw, &v)
		return v, err
	}
}

func TestDecode(t *testing.T) {
	var (
		list       = as[ListIntegrationsInput]()
		registry   = as[GetRegistryInput]()
		install    = as[InstallIntegrationInput]()
		getConfig  = as[GetIntegrationConfigInput]()
		update     = as[UpdateIntegrationConfigInput]()
		remove     = as[RemoveIntegrationInput]()
		oauthURL   = as[GetOAuthURLInput]()
		oauthState = as[GetOAuthStatusInput]()
	)
	bigConfig := `{"integrationId":"x","config":{"blob":"` + strings.Repeat("a", MaxConfigBytes) + `"}}`
	maxConfig := `{"integrationId":"x","config":{"b":"` + strings.Repeat("a", MaxConfigBytes-8) + `"}}` // exactly 64 KiB of config
	bigArgs := `{"query":"` + strings.Repeat(" ", MaxArgumentBytes) + `"}`

	tests := []decodeCase{
		// Valid inputs, one or more per type.
		{name: "list: empty", decode: list, raw: `{}`, want: ListIntegrationsInput{}},
		{name: "list: status", decode: list, raw: `{"status":"active"}`, want: ListIntegrationsInput{Status: "active"}},
		{name: "registry: query", decode: registry, raw: `{"query":"git hub"}`, want: GetRegistryInput{Query: "git hub"}},
		{name: "install: id only", decode: install, raw: `{"integrationId":"github"}`, want: InstallIntegrationInput{IntegrationID: "github"}},
		{name: "install: everything", decode: install, raw: `{"integrationId":"memory","version":"1.0.5","config":{"autoCapture":true,"captureMaxChars":500}}`,
			want: InstallIntegrationInput{IntegrationID: "memory", Version: "1.0.5", Config: map[string]any{"autoCapture": true, "captureMaxChars": json.Number("500")}}},
		{name: "install: null config", decode: install, raw: `{"integrationId":"github","config":null}`, want: InstallIntegrationInput{IntegrationID: "github"}},
		{name: "install: config of exactly 64 KiB", decode: install, raw: maxConfig,
			want: InstallIntegrationInput{IntegrationID: "x", Config: map[string]any{"b": strings.Repeat("a", MaxConfigBytes-8)}}},
		{name: "get config", decode: getConfig, raw: `{"integrationId":"github"}`, want: GetIntegrationConfigInput{IntegrationID: "github"}},
		{name: "update", decode: update, raw: `{"integrationId":"github","config":{"defaultBranch":"develop","nested":{"a":[1,"b",null]}}}`,
			want: UpdateIntegrationConfigInput{IntegrationID: "github", Config: map[string]any{"defaultBranch": "develop", "nested": map[string]any{"a": []any{json.Number("1"), "b", nil}}}}},
		{name: "update: empty config", decode: update, raw: `{"integrationId":"github","config":{}}`, want: UpdateIntegrationConfigInput{IntegrationID: "github", Config: map[string]any{}}},
		{name: "remove", decode: remove, raw: `{"integrationId":"google.workspace-2"}`, want: RemoveIntegrationInput{IntegrationID: "google.workspace-2"}},
		{name: "oauth url", decode: oauthURL, raw: `{"provider":"github","scopes":["repo","read:org"]}`, want: GetOAuthURLInput{Provider: "github", Scopes: []string{"repo", "read:org"}}},
		{name: "oauth url: no scopes", decode: oauthURL, raw: `{"provider":"google","scopes":[]}`, want: GetOAuthURLInput{Provider: "google", Scopes: []string{}}},
		{name: "oauth status", decode: oauthState, raw: `{"provider":"github","waitSeconds":50}`, want: GetOAuthStatusInput{Provider: "github", WaitSeconds: 50}},
		{name: "oauth status: whole float", decode: oauthState, raw: `{"provider":"github","waitSeconds":0}`, want: GetOAuthStatusInput{Provider: "github"}},

		// Absent arguments are an empty object.
		{name: "absent", decode: list, raw: ``, want: ListIntegrationsInput{}},
		{name: "whitespace", decode: registry, raw: " \n\t", want: GetRegistryInput{}},
		{name: "null", decode: list, raw: `null`, want: ListIntegrationsInput{}},
		{name: "null with space", decode: registry, raw: ` null `, want: GetRegistryInput{}},
		{name: "absent: required id", decode: getConfig, raw: ``, errArg: "integrationId", errSub: []string{"is required"}},
		{name: "null: required provider", decode: oauthState, raw: `null`, errArg: "provider", errSub: []string{"is required"}},
		{name: "update: config required", decode: update, raw: `{"integrationId":"github"}`, errArg: "config", errSub: []string{"is required", "JSON object"}},
		{name: "update: null config", decode: update, raw: `{"integrationId":"github","config":null}`, errArg: "config", errSub: []string{"is required"}},

		// Unknown arguments name the tool's arguments.
		{name: "unknown: list", decode: list, raw: `{"filter":"x"}`, errArg: "filter", errSub: []string{"is not an argument of this tool; it takes status"}},
		{name: "unknown: install", decode: install, raw: `{"integrationId":"github","name":"GitHub"}`, errArg: "name", errSub: []string{"it takes integrationId, version, config"}},
		{name: "unknown: oauth status", decode: oauthState, raw: `{"provider":"github","wait":5}`, errArg: "wait", errSub: []string{"it takes provider, waitSeconds"}},
		{name: "unknown: case differs", decode: getConfig, raw: `{"IntegrationID":"github"}`, errArg: "IntegrationID", errSub: []string{"it takes integrationId"}},
		{name: "unknown: case differs beside the right one", decode: oauthURL, raw: `{"provider":"github","Scopes":["repo"]}`, errArg: "Scopes", errSub: []string{"it takes provider, scopes"}},
		{name: "unknown: first in sorted order", decode: remove, raw: `{"zeta":1,"alpha":2,"integrationId":"x"}`, errArg: "alpha"},
		{name: "unknown: config on a tool without config", decode: getConfig, raw: `{"integrationId":"github","config":{}}`, errArg: "config", errSub: []string{"is not an argument"}},

		// Wrong JSON types.
		{name: "whole: array", decode: list, raw: `[]`, errSub: []string{"invalid arguments: must be a JSON object, not array"}},
		{name: "whole: string", decode: install, raw: `"github"`, errSub: []string{"must be a JSON object, not string"}},
		{name: "whole: number", decode: registry, raw: `42`, errSub: []string{"must be a JSON object, not number"}},
		{name: "whole: bool", decode: remove, raw: `true`, errSub: []string{"must be a JSON object, not bool"}},
		{name: "whole: invalid JSON", decode: remove, raw: `{"integrationId":`, errSub: []string{"not valid JSON"}},
		{name: "whole: two objects", decode: remove, raw: `{} {}`, errSub: []string{"not valid JSON"}},
		{name: "id: number", decode: getConfig, raw: `{"integrationId":7}`, errArg: "integrationId", errSub: []string{"must be a string, not number"}},
		{name: "id: object", decode: remove, raw: `{"integrationId":{"id":"x"}}`, errArg: "integrationId", errSub: []string{"must be a string, not object"}},
		{name: "status: array", decode: list, raw: `{"status":["active"]}`, errArg: "status", errSub: []string{"must be a string, not array"}},
		{name: "config: array", decode: install, raw: `{"integrationId":"x","config":[1]}`, errArg: "config", errSub: []string{"must be a JSON object, not array"}},
		{name: "config: string", decode: update, raw: `{"integrationId":"x","config":"{\"a\":1}"}`, errArg: "config", errSub: []string{"must be a JSON object, not string"}},
		{name: "scopes: string", decode: oauthURL, raw: `{"provider":"github","scopes":"repo,read:org"}`, errArg: "scopes", errSub: []string{"must be an array of strings, not string"}},
		{name: "scopes: numbers", decode: oauthURL, raw: `{"provider":"github","scopes":[1]}`, errArg: "scopes", errSub: []string{"string", "number"}},
		{name: "waitSeconds: string", decode: oauthState, raw: `{"provider":"github","waitSeconds":"10"}`, errArg: "waitSeconds", errSub: []string{"must be an integer, not string"}},
		{name: "waitSeconds: fraction", decode: oauthState, raw: `{"provider":"github","waitSeconds":1.5}`, errArg: "waitSeconds", errSub: []string{"must be an integer"}},
		{name: "waitSeconds: bool", decode: oauthState, raw: `{"provider":"github","waitSeconds":true}`, errArg: "waitSeconds", errSub: []string{"must be an integer, not bool"}},
		{name: "waitSeconds: overflow", decode: oauthState, raw: `{"provider":"github","waitSeconds":1e40}`, errArg: "waitSeconds", errSub: []string{"must be an integer"}},

		// Sizes.
		{name: "config over 64 KiB", decode: install, raw: bigConfig, errArg: "config", errSub: []string{"over the limit of 65536 (64 KiB)"}},
		{name: "config over 64 KiB on update", decode: update, raw: bigConfig, errArg: "config", errSub: []string{"64 KiB"}},
		{name: "arguments over the limit", decode: registry, raw: bigArgs, errSub: []string{"invalid arguments: the arguments are", "over the limit of 98304"}},

		// Validation runs after decoding.
		{name: "validate: bad id", decode: install, raw: `{"integrationId":"../etc/passwd"}`, errArg: "integrationId", errSub: []string{`"../etc/passwd" is not an id`}},
		{name: "validate: bad version", decode: install, raw: `{"integrationId":"x","version":"1.0 beta"}`, errArg: "version"},
		{name: "validate: scope with comma", decode: oauthURL, raw: `{"provider":"github","scopes":["repo,read:org"]}`, errArg: "scopes", errSub: []string{"comma"}},
		{name: "validate: waitSeconds", decode: oauthState, raw: `{"provider":"github","waitSeconds":51}`, errArg: "waitSeconds", errSub: []string{"from 0 to 50"}},
		{name: "validate: status too long", decode: list, raw: `{"status":"` + strings.Repeat("s", 65) + `"}`, errArg: "status", errSub: []string{"0 to 64"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.decode([]byte(tt.raw))
			if tt.errSub == nil && tt.errArg == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Errorf("decoded\n %#v\nwant\n %#v", got, tt.want)
				}
				return
			}
			var argErr *ArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error %v (%T), want *ArgumentError", err, err)
			}
			if argErr.Argument != tt.errArg {
				t.Errorf("argument %q, want %q (%v)", argErr.Argument, tt.errArg, err)
			}
			for _, sub := range tt.errSub {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q lacks %q", err, sub)
				}
			}
		})
	}
}

// TestDecodeKeepsNumbersExact checks numbers in config are json.Number,
// with neither rounding nor float formatting.
func TestDecodeKeepsNumbersExact(t *testing.T) {
	raw := `{"integrationId":"x","config":{"big":12345678901234567890123,"id":9007199254740993,"f":1.10,"e":1e2,"neg":-0,"list":[0.1,2]}}`
	var in UpdateIntegrationConfigInput
	if err := Decode([]byte(raw), &in); err != nil {
		t.Fatal(err)
	}
	want := Config{
		"big":  json.Number("12345678901234567890123"),
		"id":   json.Number("9007199254740993"),
		"f":    json.Number("1.10"),
		"e":    json.Number("1e2"),
		"neg":  json.Number("-0"),
		"list": []any{json.Number("0.1"), json.Number("2")},
	}
	if !reflect.DeepEqual(in.Config, want) {
		t.Errorf("config %#v, want %#v", in.Config, want)
	}
	out, err := json.Marshal(in.Config)
	if err != nil {
		t.Fatal(err)
	}
	for _, lit := range []string{"12345678901234567890123", "9007199254740993", "1.10", "1e2"} {
		if !strings.Contains(string(out), lit) {
			t.Errorf("re-encoded config %s lacks %s", out, lit)
		}
	}
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	scopes := func(n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = "s"
		}
		return s
	}
	tests := []struct {
		name    string
		in      Input
		errArg  string // "" means valid
		errSubs []string
	}{
		// ids (integrationId and provider share the rule).
		{"id: simple", GetIntegrationConfigInput{IntegrationID: "github"}, "", nil},
		{"id: dots, dashes, underscores", RemoveIntegrationInput{IntegrationID: "A1_b.c-d"}, "", nil},
		{"id: one character", InstallIntegrationInput{IntegrationID: "x"}, "", nil},
		{"id: 128 characters", GetIntegrationConfigInput{IntegrationID: ID(long(128))}, "", nil},
		{"id: 129 characters", GetIntegrationConfigInput{IntegrationID: ID(long(129))}, "integrationId", []string{"129 characters", "limit of 128"}},
		{"id: empty", UpdateIntegrationConfigInput{Config: map[string]any{}}, "integrationId", []string{"is required"}},
		{"id: path traversal", GetIntegrationConfigInput{IntegrationID: "../etc/passwd"}, "integrationId", []string{`"../etc/passwd" is not an id`, "pattern"}},
		{"id: slash", RemoveIntegrationInput{IntegrationID: "a/b"}, "integrationId", []string{`"a/b"`}},
		{"id: dot first", RemoveIntegrationInput{IntegrationID: ".hidden"}, "integrationId", nil},
		{"id: dash first", RemoveIntegrationInput{IntegrationID: "-rf"}, "integrationId", nil},
		{"id: space", InstallIntegrationInput{IntegrationID: "git hub"}, "integrationId", nil},
		{"id: trailing newline", InstallIntegrationInput{IntegrationID: "github\n"}, "integrationId", nil},
		{"id: percent-encoded", InstallIntegrationInput{IntegrationID: "a%2Fb"}, "integrationId", nil},
		{"id: query", GetIntegrationConfigInput{IntegrationID: "a?x=1"}, "integrationId", nil},
		{"id: non-ASCII", GetIntegrationConfigInput{IntegrationID: "gïthub"}, "integrationId", nil},
		{"provider: valid", GetOAuthURLInput{Provider: "microsoft"}, "", nil},
		{"provider: empty", GetOAuthURLInput{}, "provider", []string{"is required"}},
		{"provider: traversal", GetOAuthStatusInput{Provider: "../x"}, "provider", nil},
		{"provider: 129 characters", GetOAuthStatusInput{Provider: ID(long(129))}, "provider", []string{"limit of 128"}},

		// version.
		{"version: absent", InstallIntegrationInput{IntegrationID: "x"}, "", nil},
		{"version: semver", InstallIntegrationInput{IntegrationID: "x", Version: "1.0.3"}, "", nil},
		{"version: pre-release and build", InstallIntegrationInput{IntegrationID: "x", Version: "v2.0.0-rc.1+build_5"}, "", nil},
		{"version: 64 characters", InstallIntegrationInput{IntegrationID: "x", Version: Version(long(64))}, "", nil},
		{"version: 65 characters", InstallIntegrationInput{IntegrationID: "x", Version: Version(long(65))}, "version", []string{"at most 64 characters"}},
		{"version: space", InstallIntegrationInput{IntegrationID: "x", Version: "1.0 beta"}, "version", []string{`"1.0 beta" is not a version`}},
		{"version: slash", InstallIntegrationInput{IntegrationID: "x", Version: "../1"}, "version", nil},
		{"version: long value clipped in the message", InstallIntegrationInput{IntegrationID: "x", Version: Version(strings.Repeat("é", 100))}, "version", []string{"…"}},
		{"id checked before version", InstallIntegrationInput{Version: "bad version"}, "integrationId", nil},

		// scopes.
		{"scopes: none", GetOAuthURLInput{Provider: "github"}, "", nil},
		{"scopes: typical", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo", "read:org", "https://www.googleapis.com/auth/drive.readonly"}}, "", nil},
		{"scopes: 50", GetOAuthURLInput{Provider: "github", Scopes: scopes(50)}, "", nil},
		{"scopes: 51", GetOAuthURLInput{Provider: "github", Scopes: scopes(51)}, "scopes", []string{"51 scopes", "limit of 50"}},
		{"scopes: comma", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo,read:org"}}, "scopes", []string{"contains a comma", "own array item"}},
		{"scopes: space", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo read:org"}}, "scopes", []string{"whitespace"}},
		{"scopes: tab", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo\t"}}, "scopes", []string{"whitespace"}},
		{"scopes: non-breaking space", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo\u00a0x"}}, "scopes", []string{"whitespace"}},
		{"scopes: empty item", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo", ""}}, "scopes", []string{"scope 1 is empty"}},
		{"scopes: 256 characters", GetOAuthURLInput{Provider: "github", Scopes: []string{long(256)}}, "", nil},
		{"scopes: too long", GetOAuthURLInput{Provider: "github", Scopes: []string{long(257)}}, "scopes", []string{"over 256 characters"}},
		{"scopes: control character", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo\x00"}}, "scopes", []string{"control characters"}},
		{"scopes: invalid UTF-8", GetOAuthURLInput{Provider: "github", Scopes: []string{"repo\xff"}}, "scopes", []string{"control characters"}},
		{"scopes: provider checked first", GetOAuthURLInput{Scopes: []string{""}}, "provider", nil},

		// waitSeconds.
		{"waitSeconds: 0", GetOAuthStatusInput{Provider: "github"}, "", nil},
		{"waitSeconds: 50", GetOAuthStatusInput{Provider: "github", WaitSeconds: 50}, "", nil},
		{"waitSeconds: 51", GetOAuthStatusInput{Provider: "github", WaitSeconds: 51}, "waitSeconds", []string{"from 0 to 50"}},
		{"waitSeconds: -1", GetOAuthStatusInput{Provider: "github", WaitSeconds: -1}, "waitSeconds", []string{"from 0 to 50"}},

		// filters.
		{"status: 64 characters", ListIntegrationsInput{Status: StatusFilter(long(64))}, "", nil},
		{"status: 64 runes of 2 bytes", ListIntegrationsInput{Status: StatusFilter(strings.Repeat("é", 64))}, "", nil},
		{"status: 65 characters", ListIntegrationsInput{Status: StatusFilter(long(65))}, "status", []string{"must be 0 to 64 characters long"}},
		{"query: 200 characters", GetRegistryInput{Query: Query(long(200))}, "", nil},
		{"query: 201 characters", GetRegistryInput{Query: Query(long(201))}, "query", []string{"0 to 200"}},

		// config.
		{"update: nil config", UpdateIntegrationConfigInput{IntegrationID: "x"}, "config", []string{"is required"}},
		{"install: nil config", InstallIntegrationInput{IntegrationID: "x"}, "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.in.Validate()
			if tt.errArg == "" {
				if err != nil {
					t.Fatalf("error %v", err)
				}
				return
			}
			var argErr *ArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("error %v (%T), want *ArgumentError", err, err)
			}
			if argErr.Argument != tt.errArg {
				t.Errorf("argument %q, want %q (%v)", argErr.Argument, tt.errArg, err)
			}
			if !strings.HasPrefix(err.Error(), "invalid argument '"+tt.errArg+"': ") {
				t.Errorf("message %q does not name the argument", err)
			}
			for _, sub := range tt.errSubs {
				if !strings.Contains(err.Error(), sub) {
					t.Errorf("error %q lacks %q", err, sub)
				}
			}
		})
	}
}

func TestArgumentErrorMessage(t *testing.T) {
	tests := []struct {
		err  ArgumentError
		want string
	}{
		{ArgumentError{Argument: "integrationId", Rule: "is required"}, "invalid argument 'integrationId': is required"},
		{ArgumentError{Rule: "must be a JSON object, not array"}, "invalid arguments: must be a JSON object, not array"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
