package apiclient

import (
	"fmt"
	"net/url"
	"strings"
)

// ValidateBaseURL reports whether raw can be Options.BaseURL, the root of
// the agent API: empty (New then uses DefaultBaseURL), or an absolute http
// or https URL with a host and, if the API sits under one, a path prefix;
// never a query, a fragment or user info. The error wraps
// ErrInvalidArgument and reads, for example:
//
//	API URL "ftp://api.alfe.ai" must be an absolute http(s) URL such as https://api.alfe.ai
//	API URL "https://api.alfe.ai/?x=1" must not carry a query, fragment or user info
//
// A password in the URL is not repeated in the error.
func ValidateBaseURL(raw string) error {
	_, _, err := parseBaseURL(raw)
	return err
}

// parseBaseURL returns raw (DefaultBaseURL when empty) as New keeps it,
// scheme, host and escaped path without a trailing slash, and its host.
func parseBaseURL(raw string) (base, host string, err error) {
	if raw == "" {
		raw = DefaultBaseURL
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", "", baseURLError(fmt.Sprintf("API URL %q must be an absolute http(s) URL such as %s", raw, DefaultBaseURL))
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", "", baseURLError(fmt.Sprintf("API URL %q must not carry a query, fragment or user info", u.Redacted()))
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.EscapedPath(), "/"), u.Host, nil
}

// baseURLError is the error of an unusable API root; it is an
// ErrInvalidArgument.
type baseURLError string

func (e baseURLError) Error() string { return string(e) }

func (baseURLError) Unwrap() error { return ErrInvalidArgument }
