package apiclient

import (
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf16"
)

// The API key never appears in what the client returns, however the
// upstream echoes it.

// keyEcho returns a handler that echoes the request's bearer key in the
// response's headers and in the body made by body.
func keyEcho(status int, contentType string, body func(key string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		w.Header().Set("X-Request-Id", key)
		w.Header().Set("Retry-After", key)
		w.Header().Set("X-Echo", key)
		w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token", token="`+key+`"`)
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body(key))
	}
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// jsonStringUEscaped encodes s as a JSON string with every character
// \u-escaped, as some encoders do for non-ASCII or "unsafe" text.
func jsonStringUEscaped(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		if r > 0xFFFF {
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
			continue
		}
		fmt.Fprintf(&b, `\u%04x`, r)
	}
	b.WriteByte('"')
	return b.String()
}

// jsonStringSlashEscaped encodes s as a JSON string with "/" escaped as "\/",
// as PHP's json_encode does.
func jsonStringSlashEscaped(s string) string {
	return strings.ReplaceAll(jsonString(s), "/", `\/`)
}

// TestKeySecrecy has the upstream echo the key everywhere; no error text and
// no returned value may carry it.
func TestKeySecrecy(t *testing.T) {
	// testKey holds every character a key may have (CheckKey refuses the
	// others); TestRedact covers the escapes of those no client sends.
	keys := []string{testKey, "AAAAAAAAAAAAAAAA"}
	bodies := []struct {
		name        string
		status      int
		contentType string
		body        func(key string) string
	}{
		{"json error object", 401, "application/json", func(k string) string {
			return `{"error":{"code":` + jsonString(k) + `,"message":` + jsonString("bad key "+k) + `}}`
		}},
		{"json error string", 403, "application/json", func(k string) string {
			return `{"error":` + jsonString("key "+k+" is revoked") + `}`
		}},
		{"json data error", 500, "application/json", func(k string) string {
			return `{"data":{"error":` + jsonString(k) + `}}`
		}},
		{"plain text", 500, "text/plain", func(k string) string { return "your key is " + k + "\n" }},
		{"html title", 502, "text/html", func(k string) string {
			return "<html><head><title>key " + html.EscapeString(k) + "</title></head></html>"
		}},
		{"html raw title", 502, "text/html", func(k string) string {
			return "<html><head><title>key " + k + "</title></head></html>"
		}},
		{"success envelope", 200, "application/json", func(k string) string {
			return `{"data":{"integrationId":"github","agentId":` + jsonString(k) + `,"tenantId":` + jsonString(k) +
				`,"provider":` + jsonString(k) + `,"url":` + jsonString("https://x.test/?k="+k) +
				`,"status":` + jsonString(k) + `,"config":{"token":` + jsonString(k) + `,"nested":{"k":` + jsonString(k) + `}}` +
				`,"integrations":[{"id":` + jsonString(k) + `,"integrationId":"github","config":{"k":` + jsonString(k) + `}}]` +
				`,"echo":` + jsonString(k) + `,` + jsonString(k) + `:1}}`
		}},
		{"success list", 200, "application/json", func(k string) string {
			return `{"data":[{"integrationId":` + jsonString(k) + `,"config":{"token":` + jsonString(k) + `}}]}`
		}},
		{"not json on 200", 200, "application/json", func(k string) string { return "{" + k }},
		{"success all escaped", 200, "application/json", func(k string) string {
			e := jsonStringUEscaped(k)
			return `{"data":{"integrationId":"github","agentId":` + e + `,"provider":` + e + `,"url":` + e +
				`,"config":{"token":` + e + `},"integrations":[{"id":` + e + `}],"echo":` + e + `}}`
		}},
		{"success slash escaped", 200, "application/json", func(k string) string {
			e := jsonStringSlashEscaped(k)
			return `{"data":{"integrationId":"github","agentId":` + e + `,"provider":` + e + `,"url":` + e +
				`,"config":{"token":` + e + `},"integrations":[{"id":` + e + `}],"echo":` + e + `}}`
		}},
		{"success list all escaped", 200, "application/json", func(k string) string {
			return `{"data":[{"integrationId":"github","config":{"token":` + jsonStringUEscaped(k) + `}}]}`
		}},
		{"error all escaped", 400, "application/json", func(k string) string {
			return `{"error":{"code":` + jsonStringUEscaped(k) + `,"message":` + jsonStringUEscaped("bad "+k) + `}}`
		}},
		{"error slash escaped", 400, "application/json", func(k string) string {
			return `{"error":` + jsonStringSlashEscaped(k) + `}`
		}},
	}
	for ki, key := range keys {
		for _, b := range bodies {
			for _, cl := range allCalls {
				t.Run(fmt.Sprintf("key%d/%s/%s", ki, b.name, cl.name), func(t *testing.T) {
					u := newUpstream(t, keyEcho(b.status, b.contentType, b.body))
					c := newClient(t, u.URL, func(o *Options) { o.APIKey = key; o.MaxAttempts = 1 })
					res, err := cl.run(t.Context(), c)
					if got := u.only(t).Header.Get("Authorization"); got != "Bearer "+key {
						t.Fatalf("upstream saw Authorization %q", got)
					}
					if err != nil {
						assertNoKey(t, "error", err.Error(), key)
						assertNoKey(t, "error (%+v)", fmt.Sprintf("%+v", err), key)
						var apiErr *APIError
						if errors.As(err, &apiErr) {
							assertNoKey(t, "APIError fields", fmt.Sprintf("%#v", *apiErr), key)
						}
						var de *DecodeError
						if errors.As(err, &de) {
							assertNoKey(t, "DecodeError fields", fmt.Sprintf("%#v", *de), key)
						}
					}
					if b.status >= 300 && err == nil {
						t.Fatalf("status %d gave no error", b.status)
					}
					if res != nil {
						out := mustMarshal(t, res)
						assertNoKey(t, "marshalled result", string(out), key)
						assertNoKey(t, "result", fmt.Sprintf("%#v", res), key)
						if esc := jsonString(key); strings.Contains(string(out), esc[1:len(esc)-1]) {
							t.Errorf("marshalled result contains the JSON-escaped key: %s", out)
						}
					}
				})
			}
		}
	}
}

// TestKeySecrecyNetworkError has the upstream respond with the key as a
// malformed status line, which Go's HTTP client quotes in its error.
func TestKeySecrecyNetworkError(t *testing.T) {
	u := newUpstream(t, hijacker(t, func(conn net.Conn) {
		defer conn.Close()
		_, _ = io.WriteString(conn, testKey+"\r\n\r\n")
	}))
	c := newClient(t, u.URL)
	_, err := c.Whoami(t.Context())
	var ne *NetworkError
	if !errors.As(err, &ne) {
		t.Fatalf("err = %v (%T), want a *NetworkError", err, err)
	}
	assertNoKey(t, "NetworkError", err.Error(), testKey)
	assertNoKey(t, "NetworkError cause", ne.Err.Error(), testKey)
	if !strings.Contains(err.Error(), redacted) {
		t.Errorf("NetworkError %q does not show the redaction (the test did not reach the key)", err)
	}
}

// TestKeySecrecyTransportErrors checks the texts of the other transport
// failures.
func TestKeySecrecyTransportErrors(t *testing.T) {
	stall := newUpstream(t, func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	for _, tt := range []struct {
		name string
		base string
		opts func(*Options)
	}{
		{"refused", "http://" + closedAddr(t), nil},
		{"timeout", stall.URL, func(o *Options) { o.Timeout = 50 * time.Millisecond }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mods := []func(*Options){}
			if tt.opts != nil {
				mods = append(mods, tt.opts)
			}
			c := newClient(t, tt.base, mods...)
			_, err := c.ListIntegrations(t.Context())
			if err == nil {
				t.Fatal("no error")
			}
			assertNoKey(t, "error", err.Error(), testKey)
			var ne *NetworkError
			var te *TimeoutError
			if !errors.As(err, &ne) && !errors.As(err, &te) {
				t.Errorf("err = %v (%T)", err, err)
			}
		})
	}
}

// TestRedact checks the redaction helper on its own.
func TestRedact(t *testing.T) {
	c := &Client{key: `a"b<c`}
	got := string(c.redact([]byte(`x a"b<c y "a\"b\u003cc" z`)))
	if want := `x [REDACTED] y "[REDACTED]" z`; got != want {
		t.Errorf("redact = %q, want %q", got, want)
	}
	empty := &Client{}
	if got := string(empty.redact([]byte("abc"))); got != "abc" {
		t.Errorf("redact without a key = %q", got)
	}
}

// TestRawExtraKeptVerbatim checks that data without the key is not
// rewritten: escapes and number spellings in Extra survive byte for byte.
func TestRawExtraKeptVerbatim(t *testing.T) {
	_, c := serveOnce(t, 200, `{"data":{"agentId":"agt_1","tenantId":"t","note":"caf\u00e9 \/ ok","n":1.50e3}}`)
	id, err := c.Whoami(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if got := string(id.Extra["note"]); got != `"caf\u00e9 \/ ok"` {
		t.Errorf("Extra[note] = %s", got)
	}
	if got := string(id.Extra["n"]); got != `1.50e3` {
		t.Errorf("Extra[n] = %s", got)
	}
}
