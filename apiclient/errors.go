package apiclient

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// ErrInvalidArgument is wrapped by errors for arguments the client refuses to
// send, such as an empty path segment. No request is made.
var ErrInvalidArgument = errors.New("invalid argument")

// ErrResponseTooLarge is wrapped by the error returned when a response's body
// is larger than Options.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("response too large")

// APIError is a non-2xx response of the agent API.
type APIError struct {
	Method     string        // request method, e.g. "GET"
	Path       string        // escaped request path, without query
	StatusCode int           // HTTP status code, e.g. 404
	Code       string        // machine-readable code from the body, if any
	Message    string        // human message from the body, or the status text
	RequestID  string        // upstream request id, when a header carried one
	RetryAfter time.Duration // from Retry-After, when present (seconds or HTTP date)
	Attempts   int           // attempts the call made, this response the last; 0 or 1: no retry
}

// Error reports the request, status and message.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", e.Method, e.Path, StatusText(e.StatusCode))
	if e.Message != "" && e.Message != StatusText(e.StatusCode) {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", e.RequestID)
	}
	b.WriteString(attemptsNote(e.Attempts))
	return b.String()
}

// AfterAttempts is "after 3 attempts" for a call that made 3 attempts, and
// "" for one that made 0 or 1 (no retry): the phrase every message about a
// retried call uses.
func AfterAttempts(attempts int) string {
	if attempts <= 1 {
		return ""
	}
	return fmt.Sprintf("after %d attempts", attempts)
}

// attemptsNote is " (after 3 attempts)", or "" without a retry.
func attemptsNote(attempts int) string {
	if p := AfterAttempts(attempts); p != "" {
		return " (" + p + ")"
	}
	return ""
}

// StatusText is "404 Not Found" for 404, and "599 status 599" for codes
// without a standard text.
func StatusText(code int) string {
	if t := http.StatusText(code); t != "" {
		return strconv.Itoa(code) + " " + t
	}
	return fmt.Sprintf("%d status %d", code, code)
}

// TimeoutError is returned when the API gave no complete response within the
// client's per-call timeout (or a transport timeout, such as a dial's). It
// unwraps to context.DeadlineExceeded.
type TimeoutError struct {
	Method, Path string        // the request, e.g. "GET" and "/agent/integrations" (escaped, no query)
	After        time.Duration // the client's per-call timeout (Options.Timeout)
	Attempts     int           // attempts the call made, this one the last; 0 or 1: no retry
}

// Error says which request timed out and after how long.
func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s %s: no response from the Alfe API within %s%s", e.Method, e.Path, e.After, attemptsNote(e.Attempts))
}

// Unwrap returns context.DeadlineExceeded.
func (e *TimeoutError) Unwrap() error { return context.DeadlineExceeded }

// NetworkError is a failure to reach the API or to read its response: DNS,
// refused or reset connections, TLS errors.
type NetworkError struct {
	Method, Path string // the request, e.g. "GET" and "/agent/integrations" (escaped, no query)
	Err          error  // the cause, e.g. a *net.OpError; its text has the API key redacted
	Attempts     int    // attempts the call made, this one the last; 0 or 1: no retry
}

// Error describes the failure.
func (e *NetworkError) Error() string {
	return fmt.Sprintf("%s %s: could not reach the Alfe API: %v%s", e.Method, e.Path, e.Err, attemptsNote(e.Attempts))
}

// Unwrap returns the underlying network error.
func (e *NetworkError) Unwrap() error { return e.Err }

// TLS reports whether the failure is TLS's: a certificate the client does
// not accept (unknown authority, another host's, invalid or expired), or TLS
// spoken to a server that does not speak it. A retry would only repeat it.
func (e *NetworkError) TLS() bool {
	var (
		certErr   *tls.CertificateVerificationError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
		record    tls.RecordHeaderError
	)
	return errors.As(e.Err, &certErr) || errors.As(e.Err, &unknownCA) || errors.As(e.Err, &hostErr) ||
		errors.As(e.Err, &invalid) || errors.As(e.Err, &record)
}

// DecodeError is a 2xx response whose body is not what the API documents.
type DecodeError struct {
	Method, Path string // the request, e.g. "GET" and "/agent/integrations" (escaped, no query)
	StatusCode   int    // the 2xx status of the response
	Reason       string // what is wrong, e.g. "its body is not valid JSON"
	Err          error  // the decoding error, if any
}

// Error says what was wrong with the response.
func (e *DecodeError) Error() string {
	msg := fmt.Sprintf("%s %s: the Alfe API responded with %s but %s", e.Method, e.Path, StatusText(e.StatusCode), e.Reason)
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the decoding error, if any.
func (e *DecodeError) Unwrap() error { return e.Err }

// newAPIError builds an APIError from a non-2xx response and its (redacted,
// capped) body, whatever shape the body has. redact removes the API key from
// header values and from text decoded out of the body (JSON or HTML escapes
// can hide it from a redaction of the raw body).
func newAPIError(method, path string, resp *http.Response, body []byte, now time.Time, redact func(string) string) *APIError {
	e := &APIError{Method: method, Path: path, StatusCode: resp.StatusCode}
	for _, h := range assumedRequestIDHeaders {
		if v := resp.Header.Get(h); v != "" {
			e.RequestID = prose.Clip(redact(v), 128)
			break
		}
	}
	e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), now)
	e.Code, e.Message = parseErrorBody(resp.Header.Get("Content-Type"), body, redact)
	if e.Message == "" {
		e.Message = StatusText(resp.StatusCode)
	}
	return e
}

// parseErrorBody extracts a code and message from a JSON error body, a plain
// text body or an HTML page, applying redact to them before anything else. It
// returns empty strings when the body says nothing useful.
func parseErrorBody(contentType string, body []byte, redact func(string) string) (code, message string) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "", ""
	}
	if trimmed[0] == '{' {
		var m map[string]any
		if json.Unmarshal(trimmed, &m) == nil {
			code, message = assumedErrorFields(m)
			return prose.Clip(redact(code), 100), prose.Clip(oneLine(redact(message)), 500)
		}
	}
	if trimmed[0] == '<' || strings.Contains(contentType, "html") {
		if m := titleRE.FindSubmatch(trimmed); m != nil {
			return "", prose.Clip(oneLine(redact(html.UnescapeString(string(m[1])))), 200)
		}
		return "", ""
	}
	if !utf8.Valid(trimmed) {
		return "", ""
	}
	return "", prose.Clip(oneLine(string(trimmed)), 500)
}

var titleRE = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// parseRetryAfter reads a Retry-After header in either of its forms.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
