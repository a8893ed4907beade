package apiclient

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// TestRecordRoundTrip decodes each record type with unknown fields and big
// integers and checks that marshalling gives the same JSON back.
func TestRecordRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		json string
		into func() any // a pointer to a zero record
	}{
		{"Integration", `{"integrationId":"github","status":"active","version":"1.0.3","config":{"big":` + bigInt + `,"f":1.25,"s":"x","l":[1,{"k":null}]},"future":{"a":[1,2]},"n":` + bigInt + `}`,
			func() any { return new(Integration) }},
		{"Integration minimal", `{"integrationId":"stripe"}`, func() any { return new(Integration) }},
		{"RegistryEntry", `{"id":"memory","name":"Memory","description":"d","category":"platform","version":"1.0.5","configSchema":{"captureMaxChars":{"default":500}},"tags":["a"]}`,
			func() any { return new(RegistryEntry) }},
		{"Registry", `{"integrations":[{"id":"sync","version":"1.0.6","x":true}],"total":1,"next":null}`,
			func() any { return new(Registry) }},
		{"IntegrationConfig", `{"integrationId":"github","config":{"big":` + bigInt + `},"updatedAt":"t"}`,
			func() any { return new(IntegrationConfig) }},
		{"OAuthURL", `{"url":"https://x.test/a?b=c&d=e","expiresIn":600,"state":"s","pkce":{"method":"S256"}}`,
			func() any { return new(OAuthURL) }},
		{"OAuthStatus", `{"provider":"github","connected":false,"lastError":"expired"}`,
			func() any { return new(OAuthStatus) }},
		{"Identity", `{"agentId":"agt_1","tenantId":"ten_1","scopes":["integrations:write"],"quota":` + bigInt + `}`,
			func() any { return new(Identity) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := tt.into()
			if err := json.Unmarshal([]byte(tt.json), v); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			out := mustMarshal(t, v)
			if !jsonEqual(t, out, []byte(tt.json)) {
				t.Errorf("round trip\n got %s\nwant %s", out, tt.json)
			}
			if strings.Contains(tt.json, bigInt) && !strings.Contains(string(out), bigInt) {
				t.Errorf("big integer not kept exactly: %s", out)
			}
			// A second round trip is stable.
			v2 := tt.into()
			if err := json.Unmarshal(out, v2); err != nil {
				t.Fatal(err)
			}
			if out2 := mustMarshal(t, v2); !jsonEqual(t, out, out2) {
				t.Errorf("second round trip %s differs from %s", out2, out)
			}
		})
	}
}

func TestRecordExtraHoldsOnlyUnknownFields(t *testing.T) {
	var in Integration
	if err := json.Unmarshal([]byte(`{"integrationId":"github","status":"active","version":"1","config":{"a":1},"x":1,"y":"z"}`), &in); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(in.Extra))
	for k := range in.Extra {
		keys = append(keys, k)
	}
	if len(keys) != 2 || in.Extra["x"] == nil || in.Extra["y"] == nil {
		t.Errorf("Extra keys = %v, want [x y]", keys)
	}
	var none Integration
	if err := json.Unmarshal([]byte(`{"integrationId":"github"}`), &none); err != nil {
		t.Fatal(err)
	}
	if none.Extra != nil {
		t.Errorf("Extra = %v, want nil without unknown fields", none.Extra)
	}
}

func TestRecordMarshalExtraCannotOverrideNamedFields(t *testing.T) {
	in := Integration{
		Fields: IntegrationFields{IntegrationID: "github", Status: "active"},
		Extra: map[string]json.RawMessage{
			"status": json.RawMessage(`"hijacked"`),
			"broken": json.RawMessage(`{not json`),
			"kept":   json.RawMessage(`[1,2]`),
		},
	}
	out := mustMarshal(t, in)
	var got map[string]any
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("marshalled %s: %v", out, err)
	}
	if got["status"] != "active" {
		t.Errorf("status = %v, want the named field to win", got["status"])
	}
	if _, ok := got["broken"]; ok {
		t.Errorf("invalid raw JSON from Extra was written: %s", out)
	}
	if !reflect.DeepEqual(got["kept"], []any{1.0, 2.0}) {
		t.Errorf("kept = %v", got["kept"])
	}
}

func TestRecordNilConfigOmitted(t *testing.T) {
	if out := string(mustMarshal(t, Integration{Fields: IntegrationFields{IntegrationID: "github"}})); out != `{"integrationId":"github"}` {
		t.Errorf("marshal = %s", out)
	}
	cfg := IntegrationConfig{Fields: IntegrationConfigFields{IntegrationID: "github", Config: json.RawMessage(`{}`)}}
	if out := string(mustMarshal(t, cfg)); out != `{"integrationId":"github","config":{}}` {
		t.Errorf("marshal = %s", out)
	}
}

func TestRecordUnmarshalErrors(t *testing.T) {
	for _, tt := range []struct {
		name string
		json string
		into any
	}{
		{"wrong type", `{"integrationId":1}`, new(Integration)},
		{"not an object", `[1]`, new(OAuthStatus)},
		{"list entry wrong type", `{"integrations":[{"id":true}]}`, new(Registry)},
	} {
		if err := json.Unmarshal([]byte(tt.json), tt.into); err == nil {
			t.Errorf("%s: unmarshal %s into %T succeeded", tt.name, tt.json, tt.into)
		}
	}
}

// benchRecords is a list response as the API sends it: records with
// configuration, and fields the records do not name.
func benchRecords(n int) []byte {
	var b strings.Builder
	b.WriteByte('[')
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"integrationId":"github","status":"active","version":"1.0.3","config":{"defaultBranch":"main","limit":` + bigInt + `,"repos":["a","b"]},"connectedAt":"2025-01-01T00:00:00Z","account":{"login":"octo"}}`)
	}
	b.WriteByte(']')
	return []byte(b.String())
}

// BenchmarkRecordDecode decodes a list of 20 install records, the work of
// every list_integrations call (go test -bench Record -benchmem ./apiclient).
func BenchmarkRecordDecode(b *testing.B) {
	data := benchRecords(20)
	b.ReportAllocs()
	for b.Loop() {
		var list []Integration
		if err := json.Unmarshal(data, &list); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRecordEncode encodes the same list, as a tool's result does.
func BenchmarkRecordEncode(b *testing.B) {
	var list []Integration
	if err := json.Unmarshal(benchRecords(20), &list); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(list); err != nil {
			b.Fatal(err)
		}
	}
}

// TestIsIntegrationField holds isIntegrationField, which spares the per-call
// path a look at IntegrationFields' tags, to those tags.
func TestIsIntegrationField(t *testing.T) {
	typ := reflect.TypeFor[IntegrationFields]()
	names := []string{"installedAt", "IntegrationID", "integrationid", "", "Config", "x"}
	for i := range typ.NumField() {
		name, ok := jsonName(typ.Field(i))
		if !ok {
			t.Fatalf("field %s has no JSON name", typ.Field(i).Name)
		}
		if !isIntegrationField(name) {
			t.Errorf("isIntegrationField(%q) = false; it names field %s", name, typ.Field(i).Name)
		}
		names = append(names, name)
	}
	for _, n := range names {
		want := false
		for i := range typ.NumField() {
			if name, _ := jsonName(typ.Field(i)); name == n {
				want = true
			}
		}
		if got := isIntegrationField(n); got != want {
			t.Errorf("isIntegrationField(%q) = %v; want %v", n, got, want)
		}
	}
}
