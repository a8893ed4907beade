package apiclient

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// The errors of responses: non-2xx responses as *APIError (codes, messages,
// request ids, Retry-After) and 2xx responses that do not decode as
// *DecodeError.

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name      string
		status    int
		body      string
		headers   []string
		code      string
		message   string
		requestID string
		retry     time.Duration
	}{
		{
			name: "error object", status: 404,
			body: `{"error":{"code":"not_found","message":"m"}}`,
			code: "not_found", message: "m",
		},
		{
			name: "error code string and message", status: 404,
			body: `{"error":"not_found","message":"m"}`,
			code: "not_found", message: "m",
		},
		{
			name: "error string only", status: 400,
			body:    `{"error":"just a message"}`,
			message: "just a message",
		},
		{
			name: "message only", status: 500,
			body:    `{"message":"m"}`,
			message: "m",
		},
		{
			name: "top-level code and message", status: 409,
			body: `{"code":"conflict","message":"already installed"}`,
			code: "conflict", message: "already installed",
		},
		{
			name: "data error", status: 502,
			body:    `{"data":{"error":"m"}}`,
			message: "m",
		},
		{
			name: "data message", status: 502,
			body: `{"data":{"message":"m2","code":"bad_gateway"}}`,
			code: "bad_gateway", message: "m2",
		},
		{
			name: "error.message wins over message", status: 400,
			body: `{"error":{"message":"inner","code":"c"},"message":"outer"}`,
			code: "c", message: "inner",
		},
		{
			name: "multi-line message on one line", status: 422,
			body:    `{"message":"line one\n\tline two"}`,
			message: "line one line two",
		},
		{
			name: "plain text", status: 500,
			body: "upstream exploded\n  badly\n", headers: []string{"Content-Type", "text/plain"},
			message: "upstream exploded badly",
		},
		{
			name: "json of no known shape", status: 500,
			body:    `{"detail":"x"}`,
			message: "500 Internal Server Error",
		},
		{
			name: "html page", status: 502,
			body:    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>",
			headers: []string{"Content-Type", "text/html"},
			message: "502 Bad Gateway",
		},
		{
			name: "html title with entities and attributes", status: 503,
			body: `<HTML><HEAD><TITLE lang="en">Service &amp; Stuff
				Unavailable</TITLE></HEAD></HTML>`,
			headers: []string{"Content-Type", "text/html; charset=utf-8"},
			message: "Service & Stuff Unavailable",
		},
		{
			name: "html without a title", status: 500,
			body:    `<html><body>oops</body></html>`,
			headers: []string{"Content-Type", "text/html"},
			message: "500 Internal Server Error",
		},
		{
			name: "empty body", status: 404,
			message: "404 Not Found",
		},
		{
			name: "blank body", status: 401, body: " \n ",
			message: "401 Unauthorized",
		},
		{
			name: "status without a standard text", status: 599,
			message: "599 status 599",
		},
		{
			name: "binary body", status: 500, body: "\xff\xfe\x00\x01",
			headers: []string{"Content-Type", "application/octet-stream"},
			message: "500 Internal Server Error",
		},
		{
			name: "request id", status: 500, body: `{"message":"m"}`,
			headers: []string{"X-Request-Id", "req-123"},
			message: "m", requestID: "req-123",
		},
		{
			name: "amazon request id", status: 500, body: `{"message":"m"}`,
			headers: []string{"X-Amzn-Requestid", "amzn-1"},
			message: "m", requestID: "amzn-1",
		},
		{
			name: "retry after seconds", status: 429, body: `{"error":{"code":"rate_limited","message":"slow down"}}`,
			headers: []string{"Retry-After", "120", "X-Request-Id", "req-9"},
			code:    "rate_limited", message: "slow down", requestID: "req-9", retry: 120 * time.Second,
		},
		{
			name: "retry after zero", status: 503,
			headers: []string{"Retry-After", "0"},
			message: "503 Service Unavailable",
		},
		{
			name: "retry after garbage", status: 503,
			headers: []string{"Retry-After", "soon"},
			message: "503 Service Unavailable",
		},
		{
			name: "retry after negative", status: 503,
			headers: []string{"Retry-After", "-5"},
			message: "503 Service Unavailable",
		},
		{
			name: "retry after capped", status: 503,
			headers: []string{"Retry-After", "999999999"},
			message: "503 Service Unavailable", retry: 24 * time.Hour,
		},
		{
			name: "retry after past date", status: 503,
			headers: []string{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"},
			message: "503 Service Unavailable",
		},
		{
			name: "not modified", status: 304,
			message: "304 Not Modified",
		},
		{
			name: "teapot", status: 418, body: `{"error":"teapot"}`,
			message: "teapot",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveOnce(t, tt.status, tt.body, tt.headers...)
			_, err := c.ListIntegrations(t.Context())
			apiErr := asAPIError(t, err)
			if apiErr.Method != "GET" || apiErr.Path != "/agent/integrations" || apiErr.StatusCode != tt.status {
				t.Errorf("APIError = %s %s %d, want GET /agent/integrations %d", apiErr.Method, apiErr.Path, apiErr.StatusCode, tt.status)
			}
			if apiErr.Code != tt.code {
				t.Errorf("Code = %q, want %q", apiErr.Code, tt.code)
			}
			if apiErr.Message != tt.message {
				t.Errorf("Message = %q, want %q", apiErr.Message, tt.message)
			}
			if apiErr.RequestID != tt.requestID {
				t.Errorf("RequestID = %q, want %q", apiErr.RequestID, tt.requestID)
			}
			if apiErr.RetryAfter != tt.retry {
				t.Errorf("RetryAfter = %v, want %v", apiErr.RetryAfter, tt.retry)
			}
			msg := err.Error()
			for _, want := range []string{"GET /agent/integrations", StatusText(tt.status), tt.message, tt.requestID} {
				if !strings.Contains(msg, want) {
					t.Errorf("Error() = %q, want it to contain %q", msg, want)
				}
			}
			if strings.Count(msg, StatusText(tt.status)) != 1 {
				t.Errorf("Error() = %q repeats the status text", msg)
			}
		})
	}
}

// TestAPIErrorRetryAfterDate reads a Retry-After date against the client's
// clock, which stands still here: an hour ahead, in whole seconds, is a
// wait in (59 min, 1 h] however long the exchange took.
func TestAPIErrorRetryAfterDate(t *testing.T) {
	now := time.Now()
	date := now.Add(time.Hour).UTC().Format(http.TimeFormat)
	_, c := serveOnce(t, 503, `{"message":"maintenance"}`, "Retry-After", date)
	c.retry.now = func() time.Time { return now }
	apiErr := asAPIError(t, c.RemoveIntegration(t.Context(), "github"))
	if apiErr.RetryAfter <= 59*time.Minute || apiErr.RetryAfter > time.Hour {
		t.Errorf("RetryAfter = %v for %q, want an hour", apiErr.RetryAfter, date)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"120", 120 * time.Second},
		{" 7 ", 7 * time.Second},
		{"-1", 0},
		{"1.5", 0},
		{"86401", 24 * time.Hour},
		{"Sat, 01 Mar 2025 12:02:00 GMT", 2 * time.Minute},
		{"Saturday, 01-Mar-25 12:00:30 GMT", 30 * time.Second}, // RFC 850
		{"Sat Mar  1 12:00:10 2025", 10 * time.Second},         // ANSI C
		{"Sat, 01 Mar 2025 11:00:00 GMT", 0},
		{"tomorrow", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestStatusText(t *testing.T) {
	for code, want := range map[int]string{404: "404 Not Found", 599: "599 status 599", 200: "200 OK", 429: "429 Too Many Requests"} {
		if got := StatusText(code); got != want {
			t.Errorf("StatusText(%d) = %q, want %q", code, got, want)
		}
	}
}

// TestAPIErrorEveryMethod checks that every method turns non-2xx responses into
// *APIError, found by errors.As through any wrapping.
func TestAPIErrorEveryMethod(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 409, 422, 429, 500, 502, 503} {
		for _, cl := range allCalls {
			t.Run(fmt.Sprintf("%s/%d", cl.name, status), func(t *testing.T) {
				_, c := serveOnce(t, status, `{"error":{"code":"c","message":"m"}}`, "X-Request-Id", "rid")
				_, err := cl.run(t.Context(), c)
				wrapped := fmt.Errorf("tool: %w", err)
				apiErr := asAPIError(t, wrapped)
				if apiErr.StatusCode != status || apiErr.Code != "c" || apiErr.Message != "m" || apiErr.RequestID != "rid" {
					t.Errorf("APIError = %+v", apiErr)
				}
				if errors.Is(err, ErrInvalidArgument) || errors.Is(err, ErrResponseTooLarge) {
					t.Errorf("APIError matches an unrelated sentinel: %v", err)
				}
			})
		}
	}
}

func TestAPIErrorLongMessageClipped(t *testing.T) {
	long := strings.Repeat("é", 2000)
	_, c := serveOnce(t, 500, `{"error":{"code":"`+strings.Repeat("c", 500)+`","message":"`+long+`"}}`,
		"X-Request-Id", strings.Repeat("r", 1000))
	apiErr := asAPIError(t, c.RemoveIntegration(t.Context(), "x"))
	if len(apiErr.Message) > 510 || !strings.HasSuffix(apiErr.Message, "…") || !strings.HasPrefix(apiErr.Message, "éé") {
		t.Errorf("Message not clipped on a rune boundary: %d bytes, %q…", len(apiErr.Message), apiErr.Message[:10])
	}
	if len(apiErr.Code) > 110 || len(apiErr.RequestID) > 140 {
		t.Errorf("Code (%d bytes) or RequestID (%d bytes) not clipped", len(apiErr.Code), len(apiErr.RequestID))
	}
}

// TestDecodeErrors checks 2xx responses whose body is not what the API
// documents.
func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		call   func(ctx context.Context, c *Client) error
		reason string // in the error text
	}{
		{name: "not json", status: 200, body: `{"data": [}`, reason: "not valid JSON"},
		{name: "html on 200", status: 200, body: `<html><title>Login</title></html>`, reason: "not valid JSON"},
		{name: "no data field", status: 200, body: `{"integrations":[]}`, reason: `no "data" field`},
		{name: "bare array without envelope", status: 200, body: `[]`, reason: "envelope"},
		{name: "json string without envelope", status: 200, body: `"ok"`, reason: "envelope"},
		{name: "empty 200 for list", status: 200, body: ``, reason: "no data"},
		{name: "null data for list", status: 200, body: `{"data":null}`, reason: "no data"},
		{name: "list data is a string", status: 200, body: `{"data":"integrations"}`, reason: "not a list"},
		{name: "list data is a number", status: 201, body: `{"data":3}`, reason: "not a list"},
		{name: "list wrapper of the wrong name", status: 200, body: `{"data":{"items":[]}}`, reason: `"integrations"`},
		{name: "list wrapper not a list", status: 200, body: `{"data":{"integrations":"x"}}`, reason: `"integrations"`},
		{name: "list item not an object", status: 200, body: `{"data":[1]}`, reason: "documented shape"},
		{name: "list item field of the wrong type", status: 200, body: `{"data":[{"integrationId":7}]}`, reason: "documented shape"},
		{
			name: "registry without list", status: 200, body: `{"data":{"total":0}}`, reason: `"integrations"`,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
		},
		{
			name: "registry null list", status: 200, body: `{"data":{"integrations":null}}`, reason: `"integrations"`,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
		},
		{
			name: "registry string", status: 200, body: `{"data":"x"}`, reason: "registry",
			call: func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
		},
		{
			name: "registry empty", status: 200, body: ``, reason: "registry",
			call: func(ctx context.Context, c *Client) error { _, err := c.GetRegistry(ctx); return err },
		},
		{
			name: "config is an array", status: 200, body: `{"data":[]}`, reason: "JSON object",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "github")
				return err
			},
		},
		{
			name: "config empty", status: 200, body: ``, reason: "JSON object",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.GetIntegrationConfig(ctx, "github")
				return err
			},
		},
		{
			name: "install record is a string", status: 201, body: `{"data":"installed"}`, reason: "not a JSON object",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.InstallIntegration(ctx, InstallRequest{IntegrationID: "github"})
				return err
			},
		},
		{
			name: "update record is a list", status: 200, body: `{"data":[]}`, reason: "not a JSON object",
			call: func(ctx context.Context, c *Client) error {
				_, err := c.UpdateIntegrationConfig(ctx, "github", map[string]any{})
				return err
			},
		},
		{
			name: "remove with garbage", status: 200, body: `ok`, reason: "not valid JSON",
			call: func(ctx context.Context, c *Client) error { return c.RemoveIntegration(ctx, "github") },
		},
		{
			name: "oauth url without url", status: 200, body: `{"data":{"expiresIn":60}}`, reason: `no "url"`,
			call: func(ctx context.Context, c *Client) error { _, err := c.GetOAuthURL(ctx, "github", nil); return err },
		},
		{
			name: "oauth url null", status: 200, body: `{"data":null}`, reason: "no data",
			call: func(ctx context.Context, c *Client) error { _, err := c.GetOAuthURL(ctx, "github", nil); return err },
		},
		{
			name: "oauth status string", status: 200, body: `{"data":"connected"}`, reason: "not a JSON object",
			call: func(ctx context.Context, c *Client) error { _, err := c.GetOAuthStatus(ctx, "github"); return err },
		},
		{
			name: "oauth status wrong type", status: 200, body: `{"data":{"connected":"yes"}}`, reason: "documented shape",
			call: func(ctx context.Context, c *Client) error { _, err := c.GetOAuthStatus(ctx, "github"); return err },
		},
		{
			name: "whoami without agent", status: 200, body: `{"data":{"tenantId":"t"}}`, reason: `no "agentId"`,
			call: func(ctx context.Context, c *Client) error { _, err := c.Whoami(ctx); return err },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c := serveOnce(t, tt.status, tt.body)
			call := tt.call
			if call == nil {
				call = func(ctx context.Context, c *Client) error { _, err := c.ListIntegrations(ctx); return err }
			}
			err := call(t.Context(), c)
			de := asDecodeError(t, err)
			if de.StatusCode < 200 || de.StatusCode > 299 {
				t.Errorf("StatusCode = %d, want a 2xx", de.StatusCode)
			}
			if de.Method == "" || !strings.HasPrefix(de.Path, "/") {
				t.Errorf("DecodeError = %+v, want the request named", de)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("Error() = %q, want it to say %q", err, tt.reason)
			}
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				t.Errorf("a 2xx fault is an *APIError: %v", err)
			}
		})
	}
}

// TestNetworkErrorTLS checks which failures NetworkError.TLS reports.
func TestNetworkErrorTLS(t *testing.T) {
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"unknown authority", x509.UnknownAuthorityError{}, true},
		{"verification", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, true},
		{"another host", x509.HostnameError{Host: "x"}, true},
		{"expired", x509.CertificateInvalidError{Reason: x509.Expired}, true},
		{"TLS to plain HTTP", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, true},
		{"wrapped", fmt.Errorf("dial: %w", x509.UnknownAuthorityError{}), true},
		{"refused", errors.New("connection refused"), false},
	} {
		if got := (&NetworkError{Err: tt.err}).TLS(); got != tt.want {
			t.Errorf("%s: TLS() = %v, want %v", tt.name, got, tt.want)
		}
	}
}
