package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// fuzzKeys are the keys FuzzErrorBody redacts: a realistic one, and one of
// the characters JSON and HTML escape, which no client sends (CheckKey
// refuses it) but which the redaction helpers still handle.
var fuzzKeys = [...]string{testKey, `sk<&>"q\uote'end`}

// clientFuzzKeys are the keys FuzzDecodeResponses's clients send: a
// realistic one, and one of a single repeated letter, the likeliest of
// accepted keys to occur in ordinary data.
var clientFuzzKeys = [...]string{testKey, "AAAAAAAAAAAAAAAA"}

// FuzzErrorBody feeds arbitrary error responses to newAPIError (and so to
// parseErrorBody and parseRetryAfter), as exchange does: the body redacted
// first. It never panics, never returns the key, and keeps its fields short
// and on one line.
//
//	go test -run '^$' -fuzz '^FuzzErrorBody$' -fuzztime 30s ./apiclient
func FuzzErrorBody(f *testing.F) {
	seeds := []struct {
		status                  int
		contentType, retryAfter string
		requestID               string
		body                    string
		keyIndex                uint8
	}{
		{404, "application/json", "", "req_1", `{"error":{"code":"not_found","message":"integration 'x' is not installed"}}`, 0},
		{400, "application/json", "", "", `{"error":"bad_request","message":"version 9.9.9 does not exist"}`, 0},
		{500, "application/json", "", "", `{"data":{"error":"boom","code":"E1"}}`, 0},
		{401, "application/json", "", "", `{"error":{"message":"bad key ` + testKey + `"}}`, 0},
		{401, "application/json", "", "", `{"error":{"message":"bad key \u0061lfe_sk-Ab.C~d+e\/f=="}}`, 0},
		{429, "application/json", "120", "", `{"message":"slow down"}`, 0},
		{503, "text/html", "Wed, 21 Oct 2015 07:28:00 GMT", "", `<html><title>503 &amp; down</title></html>`, 1},
		{502, "text/html", "", "", `<html><head><title>key sk&lt;&amp;&gt;&quot;q\uote&#39;end</title></head></html>`, 1},
		{500, "text/plain", "-1", "", "plain\ntext\twith   spaces", 0},
		{599, "", "99999999999999999999", "", "\xff\xfe", 0},
		{418, "application/json", "", "", `{"error":{"message":` + strings.Repeat(`"x`, 1) + `}`, 0},
	}
	for _, s := range seeds {
		f.Add(s.status, s.contentType, s.retryAfter, s.requestID, []byte(s.body), s.keyIndex)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, status int, contentType, retryAfter, requestID string, body []byte, keyIndex uint8) {
		key := fuzzKeys[int(keyIndex)%len(fuzzKeys)]
		c := &Client{key: key}
		resp := &http.Response{StatusCode: status, Header: http.Header{}}
		resp.Header.Set("Content-Type", contentType)
		resp.Header.Set("Retry-After", retryAfter)
		resp.Header.Set("X-Request-Id", requestID)

		e := newAPIError("GET", "/agent/integrations", resp, c.redact(body), now, c.redactString)

		for what, s := range map[string]string{"Error()": e.Error(), "Code": e.Code, "Message": e.Message, "RequestID": e.RequestID} {
			if strings.Contains(s, key) {
				t.Fatalf("%s carries the key: %q", what, s)
			}
		}
		if e.Message == "" {
			t.Errorf("empty Message")
		}
		if len(e.Message) > 500+len("…") || len(e.Code) > 100+len("…") || len(e.RequestID) > 128+len("…") {
			t.Errorf("fields not clipped: message %d, code %d, request id %d bytes", len(e.Message), len(e.Code), len(e.RequestID))
		}
		if strings.ContainsAny(e.Message, "\n\r") {
			t.Errorf("Message spans lines: %q", e.Message)
		}
		if e.RetryAfter < 0 {
			t.Errorf("RetryAfter = %v for %q", e.RetryAfter, retryAfter)
		}
		if utf8.Valid(body) && !utf8.ValidString(e.Message) {
			t.Errorf("Message is not valid UTF-8: %q", e.Message)
		}
	})
}

// fuzzStatuses are the statuses FuzzDecodeResponses picks from (no 3xx: the
// client would follow a redirect).
var fuzzStatuses = [...]int{200, 201, 204, 400, 404, 409, 429, 500, 502, 503}

// FuzzDecodeResponses feeds an arbitrary response to every client method,
// through the real request path (envelope, redaction, record decoding) over
// a transport that needs no network. Nothing panics, a success marshals to
// JSON, and neither results nor errors carry the key.
//
//	go test -run '^$' -fuzz '^FuzzDecodeResponses$' -fuzztime 30s ./apiclient
func FuzzDecodeResponses(f *testing.F) {
	seeds := []string{
		``, `null`, `{}`, `[]`, `{"data":null}`, `{"data":[]}`, `{"data":{}}`,
		`{"data":[{"integrationId":"github","status":"active","version":"1.0.3","config":{"defaultBranch":"main","limit":12345678901234567890},"connectedAt":"2025-01-01T00:00:00Z"}]}`,
		`{"data":{"integrations":[{"id":"github","name":"GitHub","version":"1.0.3","scopes":["repo"]}]}}`,
		`{"data":{"integrationId":"memory","config":{"autoRecall":true}}}`,
		`{"data":{"autoRecall":true,"captureMaxChars":500}}`,
		`{"data":{"url":"https://github.com/login/oauth/authorize?state=x","expiresIn":600}}`,
		`{"data":{"provider":"github","connected":true}}`,
		`{"data":{"agentId":"agt_1","tenantId":"ten_1"}}`,
		`{"data":{"agentId":"` + testKey + `","echo":"\u0061lfe_sk-Ab.C~d+e\/f=="}}`,
		`{"data":{"config":"not an object","integrationId":5}}`,
		`{"data":[1,"two",null]}`,
		`{"data":{"integrations":{}}}`,
		`{"data": [}`,
		`<html><title>captive portal</title></html>`,
		`{"error":{"code":"not_found","message":"not installed"}}`,
	}
	for i, s := range seeds {
		f.Add(uint8(i), "application/json", []byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, statusIndex uint8, contentType string, body []byte, keyIndex uint8) {
		key := clientFuzzKeys[int(keyIndex)%len(clientFuzzKeys)]
		status := fuzzStatuses[int(statusIndex)%len(fuzzStatuses)]
		hc := &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			h := http.Header{}
			h.Set("Content-Type", contentType)
			return &http.Response{
				StatusCode: status, Header: h, Request: r, ContentLength: -1,
				Body: io.NopCloser(bytes.NewReader(body)),
			}, nil
		})}
		c, err := New(Options{BaseURL: "http://127.0.0.1:1", APIKey: key, HTTPClient: hc, MaxAttempts: 1})
		if err != nil {
			t.Fatal(err)
		}
		for _, cl := range allCalls {
			res, err := cl.run(context.Background(), c)
			if err != nil {
				if s := err.Error(); strings.Contains(s, key) {
					t.Fatalf("%s: error carries the key: %s", cl.name, s)
				}
				var de *DecodeError
				var apiErr *APIError
				if status < 300 && !errors.As(err, &de) && !errors.Is(err, ErrResponseTooLarge) {
					t.Fatalf("%s: a %d response failed with %T, want a *DecodeError: %v", cl.name, status, err, err)
				}
				if status >= 300 && !errors.As(err, &apiErr) {
					t.Fatalf("%s: a %d response failed with %T, want an *APIError: %v", cl.name, status, err, err)
				}
				continue
			}
			if status >= 300 {
				t.Fatalf("%s: a %d response succeeded", cl.name, status)
			}
			out, err := json.Marshal(res)
			if err != nil {
				t.Fatalf("%s: result %#v does not marshal: %v", cl.name, res, err)
			}
			var v any
			if err := json.Unmarshal(out, &v); err != nil {
				t.Fatalf("%s: result marshals to invalid JSON %s: %v", cl.name, out, err)
			}
			if s := findString(v, key); s != "" {
				t.Fatalf("%s: result carries the key in %q (body %q)", cl.name, s, body)
			}
		}
	})
}

// findString returns the first string (object key or value) in v that
// contains sub, or "".
func findString(v any, sub string) string {
	switch v := v.(type) {
	case string:
		if strings.Contains(v, sub) {
			return v
		}
	case []any:
		for _, e := range v {
			if s := findString(e, sub); s != "" {
				return s
			}
		}
	case map[string]any:
		for k, e := range v {
			if strings.Contains(k, sub) {
				return k
			}
			if s := findString(e, sub); s != "" {
				return s
			}
		}
	}
	return ""
}

// TestFuzzHelpers keeps the fuzz helpers honest.
func TestFuzzHelpers(t *testing.T) {
	if findString(map[string]any{"a": []any{1, "xkeyx"}}, "key") != "xkeyx" || findString(map[string]any{"key": 1}, "key") != "key" {
		t.Error("findString misses strings")
	}
}
