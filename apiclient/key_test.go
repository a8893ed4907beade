package apiclient

import (
	"crypto/sha256"
	"errors"
	"strings"
	"testing"
)

// TestCheckKey: a key is at least AssumedMinKeyLength characters of RFC
// 6750's b64token alphabet, not all of them characters of a JSON number;
// the error says what is wrong and never repeats the key.
func TestCheckKey(t *testing.T) {
	tests := []struct {
		key  string
		want string // a fragment of the error; "" for a valid key
	}{
		{"sk_sandbox_local", ""}, // the sandbox's key: exactly the minimum
		{testKey, ""},
		{"alfe_sk_" + strings.Repeat("x", 56), ""},
		{"abcdefghijklmno=", ""},
		{"abcdefghijklmn==", ""}, // b64token may end in "=" padding
		{"A", "1 character"},
		{"sk_test_SECRET", "14 characters"},
		{"abcdefghijklmno", "15 characters"},
		{`sk_live_"abcdefgh`, "character"},
		{"sk_live_abc defgh", "character"},
		{"sk_live_abcdéfgh", "character"},
		{"sk_live_abc=defgh", "character"}, // "=" only at the end
		{"sk_live_<abcdefgh>", "character"},
		{"1234567890123456", "number"},
		{"-1.25e+123456789", "number"},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			err := CheckKey(tt.key)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("CheckKey: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckKey accepted it")
			}
			if !errors.Is(err, ErrInvalidKey) || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "16") {
				t.Errorf("error %q: want ErrInvalidKey mentioning %q and the minimum", err, tt.want)
			}
			if len(tt.key) > 3 && strings.Contains(err.Error(), tt.key) {
				t.Errorf("the error repeats the key: %q", err)
			}
		})
	}
	if err := CheckKey(""); err == nil {
		t.Error(`CheckKey("") accepted no key`)
	}
}

// TestNoKeyAltersAResult is the fault of short keys: redaction replaces the
// key wherever it occurs, so a key of "A" turned installedAt into
// installed[REDACTED]t, even in structuredContent. A key shorter than the
// minimum is refused before anything is sent, by New and by every call of a
// WithAPIKey copy; and for keys the client accepts, a response that does
// not echo the key comes back byte for byte, words and numbers included.
func TestNoKeyAltersAResult(t *testing.T) {
	const body = `{"data":[{"integrationId":"github","status":"active","version":"1.0.3","installedAt":"2026-01-02T03:04:05Z",` +
		`"config":{"A":"Bearer A","n":12345678901234567890,"words":"installedAtinstalledAtinstalledAt","b64":"sk_sandbox_loca/sk_sandbox_loca="}}]}`
	u := newUpstream(t, respond(200, body))
	for _, short := range []string{"A", "e", "t", "sk_test_SECRET", "installedAtinsta"[:15]} {
		t.Run("refused/"+short, func(t *testing.T) {
			if _, err := New(Options{BaseURL: u.URL, APIKey: short}); !errors.Is(err, ErrInvalidKey) {
				t.Errorf("New with a %d-character key: %v, want ErrInvalidKey", len(short), err)
			}
			before := len(u.requests())
			c := newClient(t, u.URL).WithAPIKey(short)
			list, err := c.ListIntegrations(t.Context())
			if !errors.Is(err, ErrInvalidKey) {
				t.Errorf("a call with a %d-character key: %+v, %v; want ErrInvalidKey", len(short), list, err)
			}
			if n := len(u.requests()) - before; n != 0 {
				t.Errorf("%d requests reached the upstream", n)
			}
		})
	}
	for _, key := range []string{testKey, "sk_sandbox_local", "1234567890123456a", "sk_sandbox_locb=", "Bearer_A_Bearer_A"} {
		t.Run("kept/"+key, func(t *testing.T) {
			c := newClient(t, u.URL, func(o *Options) { o.APIKey = key })
			list, err := c.ListIntegrations(t.Context())
			if err != nil || len(list) != 1 {
				t.Fatalf("ListIntegrations: %v, %v", list, err)
			}
			got := string(mustMarshal(t, list[0]))
			for _, want := range []string{`"installedAt":"2026-01-02T03:04:05Z"`, `"A":"Bearer A"`, `"n":12345678901234567890`, `"words":"installedAtinstalledAtinstalledAt"`, `"b64":"sk_sandbox_loca/sk_sandbox_loca="`} {
				if !strings.Contains(got, want) {
					t.Errorf("result %s lacks %s: redaction altered it", got, want)
				}
			}
		})
	}
}

// TestKeyFingerprint: clients of one key share a fingerprint, whatever
// else differs; clients of different keys do not; the fingerprint is the
// key's SHA-256, and holds no byte run of the key.
func TestKeyFingerprint(t *testing.T) {
	a, err := New(Options{BaseURL: "http://127.0.0.1:1", APIKey: "alfe_sk_AAAAAAAAAAAAAAAA"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		c    *Client
		same bool
	}{
		{"the same client", a, true},
		{"a copy with the same key", a.WithAPIKey("alfe_sk_AAAAAAAAAAAAAAAA"), true},
		{"another key", a.WithAPIKey("alfe_sk_BBBBBBBBBBBBBBBB"), false},
		{"no key", a.WithAPIKey(""), false},
	}
	for _, tt := range tests {
		if got := tt.c.KeyFingerprint() == a.KeyFingerprint(); got != tt.same {
			t.Errorf("%s: same fingerprint %v, want %v", tt.name, got, tt.same)
		}
	}
	fp := a.KeyFingerprint()
	if fp != sha256.Sum256([]byte("alfe_sk_AAAAAAAAAAAAAAAA")) || strings.Contains(string(fp[:]), "alfe_sk") {
		t.Errorf("fingerprint %x is not the key's SHA-256", fp)
	}
}
