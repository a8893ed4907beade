package apiclient

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

// decodeRecordByMap is the decoding decodeRecord replaced (issue 13): the
// whole object into a map, then each named field decoded from it. It is
// kept here as the reference FuzzDecodeRecord holds decodeRecord to.
func decodeRecordByMap(b []byte, dst any, extra *map[string]json.RawMessage) error {
	var all map[string]json.RawMessage
	if err := json.Unmarshal(b, &all); err != nil {
		return err
	}
	v := reflect.ValueOf(dst).Elem()
	t := v.Type()
	for i := range t.NumField() {
		name, ok := jsonName(t.Field(i))
		if !ok {
			continue
		}
		raw, present := all[name]
		if !present {
			continue
		}
		delete(all, name)
		if string(raw) == "null" {
			continue
		}
		field := v.Field(i).Addr().Interface()
		if rm, isRaw := field.(*json.RawMessage); isRaw {
			if firstByte(raw) != '{' {
				return fmt.Errorf("field %q is not a JSON object", name)
			}
			*rm = raw
			continue
		}
		if err := json.Unmarshal(raw, field); err != nil {
			return fmt.Errorf("field %q: %w", name, err)
		}
	}
	if len(all) == 0 {
		all = nil
	}
	*extra = all
	return nil
}

// FuzzDecodeRecord holds decodeRecord to decodeRecordByMap: the same fields,
// the same extra members and the same error, for every record type.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"integrationId":"github","status":"active","version":"1.0.3","config":{"a":[1,{"b":"}"}]},"installedAt":"2026-01-02T03:04:05Z"}`,
		` { "integrationId" : "a\"b" , "status":"\u00e9t\u00e9", "x": [ 1 , 2 ] , "y" : null } `,
		`{"integrationId":1}`, `{"config":"x"}`, `{"config":null,"status":null}`, `{"status":"a","status":"b"}`,
		`{"status":1,"status":"ok"}`, `{"\u0073tatus":"escaped key"}`, "{\"status\":\"\xff\"}", "{\"k\xff\":1}",
		`{"integrations":[{"id":"m","x":{"y":"]"}}],"total":2}`, `{"url":"u","expiresIn":600}`, `{"expiresIn":1.5}`,
		`{"provider":"p","connected":true,"lastError":"e"}`, `{"connected":"yes"}`,
		`null`, `[]`, `"s"`, `1`, `{`, `{"a":}`, `{"a":1}x`, ``, `{}`, `{"":""}`, `{"config":{}}`,
	} {
		f.Add([]byte(s))
	}
	targets := []func() (any, any){
		func() (any, any) { return new(IntegrationFields), new(IntegrationFields) },
		func() (any, any) { return new(RegistryFields), new(RegistryFields) },
		func() (any, any) { return new(RegistryEntryFields), new(RegistryEntryFields) },
		func() (any, any) { return new(IntegrationConfigFields), new(IntegrationConfigFields) },
		func() (any, any) { return new(OAuthURLFields), new(OAuthURLFields) },
		func() (any, any) { return new(OAuthStatusFields), new(OAuthStatusFields) },
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, newPair := range targets {
			got, want := newPair()
			var gotExtra, wantExtra map[string]json.RawMessage
			gotErr := decodeRecord(b, got, &gotExtra)
			wantErr := decodeRecordByMap(b, want, &wantExtra)
			if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
				t.Fatalf("%T of %q: error %v, want %v", got, b, gotErr, wantErr)
			}
			if wantErr != nil {
				continue
			}
			if !reflect.DeepEqual(got, want) || !reflect.DeepEqual(gotExtra, wantExtra) {
				t.Fatalf("%T of %q:\n got %+v %q\nwant %+v %q", got, b, got, gotExtra, want, wantExtra)
			}
		}
	})
}

// FuzzDecodeRecords holds decodeValidRecords to json.Unmarshal of the same
// valid JSON: the same records and the same error.
func FuzzDecodeRecords(f *testing.F) {
	for _, s := range []string{
		`[]`, ` [ ] `, `[{"integrationId":"a","x":1},{"status":"s","config":{"k":[1,"]"]}}]`, `[{},{}]`,
		`[{"integrationId":1}]`, `[null]`, `[{"a":1},null]`, `[1,"two",null]`, `[[]]`, `[{"a":1}`, `{"a":1}`, `null`, ``,
		` [ { "integrationId" : "\u0061" } , { "config" : "x" } ] `, "[{\"k\xff\":\"\xff\"}]",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var got, want []Integration
		if !json.Valid(b) {
			return // decodeValidRecords is only given valid JSON
		}
		gotErr := decodeValidRecords(bytes.Clone(b), &got)
		wantErr := json.Unmarshal(b, &want)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) {
			t.Fatalf("%q: error %v, want %v", b, gotErr, wantErr)
		}
		if wantErr == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %+v\nwant %+v", b, got, want)
		}
	})
}

// unwrapDataByUnmarshal is the unwrapData that decoded the envelope with
// json.Unmarshal, kept as the reference of FuzzUnwrapData (issue 13).
func unwrapDataByUnmarshal(raw []byte) (json.RawMessage, error) {
	trimmed := bytes.TrimSpace(raw)
	if len(trimmed) == 0 {
		return nil, nil
	}
	if trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return nil, errors.New("its body is not valid JSON")
		}
		return nil, errors.New(`its body is not the {"data": ...} envelope`)
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(trimmed, &env); err != nil {
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return nil, errors.New("its body is not valid JSON")
		}
		return nil, fmt.Errorf(`its body is not the {"data": ...} envelope: %v`, err)
	}
	if env.Data == nil {
		return nil, errors.New(`its body has no "data" field`)
	}
	if string(env.Data) == "null" {
		return nil, nil
	}
	return env.Data, nil
}

// FuzzUnwrapData holds unwrapData to unwrapDataByUnmarshal.
func FuzzUnwrapData(f *testing.F) {
	for _, s := range []string{
		``, ` `, `null`, `[]`, `{}`, `{"data":null}`, `{"data":[1,2]}`, ` { "meta" : 1 , "data" : { "a" : "}" } } `,
		`{"DATA":1}`, `{"Data":1,"data":2}`, `{"data":1,"Data":2}`, `{"d\u0061ta":3}`, `{"dataa":1}`, `{"data":}`,
		`{"data":1}x`, `<html>`, "{\"\xffdata\":1}", `{"ſata":1}`, `{"data":"a","data":"b"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, gotErr := unwrapData(b)
		want, wantErr := unwrapDataByUnmarshal(b)
		if fmt.Sprint(gotErr) != fmt.Sprint(wantErr) || !bytes.Equal(got, want) || (got == nil) != (want == nil) {
			t.Fatalf("%q: %q, %v; want %q, %v", b, got, gotErr, want, wantErr)
		}
	})
}

// FuzzRecordAppendJSON holds Record.AppendJSON to json.Marshal, for records
// decoded from the input and for extra members no decoding makes (named
// fields, invalid or uncompacted JSON, HTML in strings).
func FuzzRecordAppendJSON(f *testing.F) {
	for _, s := range []string{
		`{"integrationId":"github","status":"active","version":"1.0.3","config":{ "a" : [1, "<b>"] },"installedAt":"2026","z":{"y": "&"}}`,
		`{}`, `{"x":1}`, `{"config":{}}`, `{"a":"\u2028"}`, `{"integrationId":"<&>"}`,
	} {
		f.Add([]byte(s))
	}
	check := func(t *testing.T, r Integration) {
		want, wantErr := json.Marshal(r)
		got, gotErr := r.AppendJSON([]byte("prefix"))
		if (gotErr != nil) != (wantErr != nil) || wantErr == nil && string(got) != "prefix"+string(want) {
			t.Fatalf("AppendJSON of %+v = %s, %v; want %s, %v", r, got, gotErr, want, wantErr)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Integration
		if json.Unmarshal(b, &r) != nil {
			return
		}
		check(t, r)
		r.Extra = map[string]json.RawMessage{"status": json.RawMessage(`"shadow"`), "bad": json.RawMessage(`{`), "sp": json.RawMessage(" [ 1 , \"<\" ] ")}
		check(t, r)
	})
}
