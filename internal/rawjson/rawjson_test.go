package rawjson

import (
	"encoding/json"
	"testing"
)

// TestIsCompact checks isCompact against what the encoder does to a raw
// message: it is compact exactly when json.Marshal leaves it as it is.
func TestIsCompact(t *testing.T) {
	for _, raw := range []string{
		`{}`, `{"a":1}`, `{ "a":1}`, `{"a":"x y"}`, `{"a":"<"}`, `{"a":"\u003c"}`, `{"a":"\"<"}`, `{"a":"\\"}`,
		"{\"a\":\"\u2028\"}", "{\"a\":\"\u2027\"}", `[1,2]`, `[1, 2]`, "[1,\n2]", `"s"`, `{"a":{"b":[true,null]}}`,
	} {
		b, err := json.Marshal(json.RawMessage(raw))
		if err != nil {
			t.Fatal(err)
		}
		if got, want := IsCompact([]byte(raw)), string(b) == raw; got != want {
			t.Errorf("IsCompact(%s) = %v; the encoder writes %s", raw, got, b)
		}
	}
}

// TestAppend checks AppendString and AppendRaw against json.Marshal.
func TestAppend(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"uote", "back\\slash", "<&>", "tab\t", "\u2028", "é", "\xff", "\x7f", "ctl\x01"} {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("p"), s); string(got) != "p"+string(want) {
			t.Errorf("AppendString(%q) = %s, want p%s", s, got, want)
		}
	}
	for _, raw := range []string{`{"a":1}`, `{ "a" : [1, "<"] }`, "\"\u2028\"", `1 2`} { // valid JSON, as AppendRaw requires, but for the last, which is not compact
		want, wantErr := json.Marshal(json.RawMessage(raw))
		got, err := AppendRaw([]byte("p"), []byte(raw))
		if (err != nil) != (wantErr != nil) || err == nil && string(got) != "p"+string(want) {
			t.Errorf("AppendRaw(%s) = %s, %v; want p%s, %v", raw, got, err, want, wantErr)
		}
	}
}

// FuzzAppendString holds AppendString to json.Marshal byte for byte.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", `{"a":"b\"c","d":[1,2]}`, "q\"uote", "back\\slash", "<&>", "\u2028", "é", "\xff", "\x7f", "ctl\x01", `\\"\\`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := AppendString([]byte("p"), s); string(got) != "p"+string(want) {
			t.Fatalf("AppendString(%q) = %s, want p%s", s, got, want)
		}
	})
}
