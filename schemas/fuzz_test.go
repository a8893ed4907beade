package schemas

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

// FuzzDecode feeds arbitrary arguments to Decode for every tool input type.
// Decode never panics; it fails only with an *ArgumentError whose message
// is valid UTF-8; an accepted input passes Validate, encodes, and decodes
// again to the same value.
//
//	go test -run '^$' -fuzz '^FuzzDecode$' -fuzztime 30s ./schemas
func FuzzDecode(f *testing.F) {
	for _, seed := range []string{
		``, `null`, `{}`, `[]`, `"x"`, `1`,
		`{"integrationId":"github"}`,
		`{"integrationId":"github","version":"1.0.3","config":{"defaultBranch":"main","limit":12345678901234567890}}`,
		`{"integrationId":"memory","config":{"autoRecall":false,"nested":{"a":[1,2.5e3,null,true]}}}`,
		`{"provider":"github","scopes":["repo","read:org"]}`,
		`{"provider":"github","waitSeconds":50}`,
		`{"provider":"github","waitSeconds":1.5}`,
		`{"status":"active"}`, `{"query":"git"}`,
		`{"IntegrationID":"github"}`,
		`{"integrationId":"../etc"}`,
		`{"integrationId":"a","integrationId":"b"}`,
		`{"integrationId":"\u0000"}`,
		`{"integrationId":"gith` + "\xff" + `ub"}`,
		`{"config":{"a":"<&>"},"integrationId":"x"}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkDecode[ListIntegrationsInput](t, raw)
		checkDecode[GetRegistryInput](t, raw)
		checkDecode[InstallIntegrationInput](t, raw)
		checkDecode[GetIntegrationConfigInput](t, raw)
		checkDecode[UpdateIntegrationConfigInput](t, raw)
		checkDecode[RemoveIntegrationInput](t, raw)
		checkDecode[GetOAuthURLInput](t, raw)
		checkDecode[GetOAuthStatusInput](t, raw)
	})
}

// checkDecode checks Decode's properties for one input type.
func checkDecode[T Input](t *testing.T, raw []byte) {
	t.Helper()
	name := reflect.TypeFor[T]().Name()
	var in T
	err := Decode(raw, &in)
	if err != nil {
		var argErr *ArgumentError
		if !errors.As(err, &argErr) {
			t.Fatalf("%s: Decode(%q) failed with %T, want *ArgumentError: %v", name, raw, err, err)
		}
		if !utf8.ValidString(err.Error()) {
			t.Fatalf("%s: Decode(%q): message is not valid UTF-8: %q", name, raw, err.Error())
		}
		return
	}
	if err := in.Validate(); err != nil {
		t.Fatalf("%s: Decode(%q) accepted %+v, which fails Validate: %v", name, raw, in, err)
	}
	enc, err := json.Marshal(in)
	if err != nil {
		t.Fatalf("%s: accepted %+v does not encode: %v", name, in, err)
	}
	// Encoding may grow the JSON (invalid UTF-8 becomes \ufffd, "<" becomes
	// \u003c), past the size limits; decode it plainly then.
	var again T
	if len(enc) <= MaxConfigBytes {
		err = Decode(enc, &again)
	} else {
		err = decodeExact(enc, &again)
	}
	if err != nil {
		t.Fatalf("%s: the encoding %s of accepted %q does not decode: %v", name, enc, raw, err)
	}
	// Compared as encoded: "scopes": [] and no scopes are the same call.
	if enc2, err := json.Marshal(again); err != nil || !bytes.Equal(enc, enc2) {
		t.Fatalf("%s: round trip of %q changed it:\n first %#v\nsecond %#v", name, raw, in, again)
	}
}

// decodeExact decodes as Decode does, without its checks.
func decodeExact(b []byte, dst any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec.Decode(dst)
}
