package apiclient

import (
	"fmt"
	"strings"
)

// This file holds every decision this client makes where the Alfe docs are
// silent (the "[ours]" rows of shared/API.md). Each one is named here, and
// only here, so that changing it when the live API says otherwise is one edit.

// assumedInstallBodyIDField is the JSON field that names the integration in
// the body of POST /agent/integrations. The docs show the operation and its
// options but not the field name.
const assumedInstallBodyIDField = "integrationId"

// assumedUpdateBodyConfigField is the JSON field of the body of
// PATCH /agent/integrations/{id}. The docs show only the client call
// updateIntegrationConfig(id, {...}); PATCH targets the install record, whose
// field is "config".
const assumedUpdateBodyConfigField = "config"

// assumedListWrapperField is the object field that may wrap the array of
// installs of GET /agent/integrations. The docs show a bare array; we accept
// {"integrations": [...]} too.
const assumedListWrapperField = "integrations"

// assumedRegistryWrapperField is the object field that wraps the registry of
// GET /integrations/registry (documented); a bare array is accepted as well.
const assumedRegistryWrapperField = "integrations"

// assumedConfigRecordField is the field of GET .../{id}/config that holds the
// config when the response is a record rather than the bare config map. The
// response is taken as a record when it has this field and its value is a JSON
// object; otherwise the whole response is the config.
const assumedConfigRecordField = "config"

// assumedRegistryKey returns a registry entry's id: the registry's entry
// fields are undocumented, so "id" is read first, then "integrationId".
func assumedRegistryKey(e RegistryEntryFields) string {
	if e.ID != "" {
		return e.ID
	}
	return e.IntegrationID
}

// assumedRequestIDHeaders are the response headers that may carry the
// upstream's request id, in order.
var assumedRequestIDHeaders = [...]string{"X-Request-Id", "X-Amzn-Requestid", "Request-Id", "X-Correlation-Id"}

// assumedOAuthScopesSeparator joins scopes into the single "scopes" query
// parameter of the OAuth URL request (documented as comma-joined); an empty
// list leaves the parameter out.
const assumedOAuthScopesSeparator = ","

// Removal responses are undocumented: RemoveIntegration takes a 200 with any
// data, and a 204, as success.

// assumedErrorFields finds the code and message of an error body; the error
// format is undocumented. The message is looked for in error.message, then
// message, then data.error and data.message, then error as a string. A string
// "error" next to a "message" is the code, as in
// {"error":"not_found","message":"..."}; otherwise the code comes from
// error.code, then code.
func assumedErrorFields(body map[string]any) (code, message string) {
	errObj, _ := body["error"].(map[string]any)
	errStr, _ := body["error"].(string)
	dataObj, _ := body["data"].(map[string]any)

	message = firstString(
		lookup(errObj, "message"),
		body["message"],
		lookup(dataObj, "error"),
		lookup(dataObj, "message"),
	)
	switch {
	case message == "" && errStr != "":
		message = errStr
	case errStr != "":
		code = errStr
	}
	if code == "" {
		code = firstString(lookup(errObj, "code"), body["code"], lookup(dataObj, "code"))
	}
	return code, message
}

func lookup(m map[string]any, key string) any {
	if m == nil {
		return nil
	}
	return m[key]
}

func firstString(values ...any) string {
	for _, v := range values {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ""
}

// Retries. Rate limits, Retry-After and idempotency keys are undocumented.
// GET, PATCH (it sets fields to given values) and DELETE (removing twice
// leaves the same state) are taken as idempotent and retried; POST (install)
// never is: installing twice is not harmless.
func assumedIdempotent(method string) bool {
	switch method {
	case "GET", "PATCH", "DELETE":
		return true
	}
	return false
}

// assumedRetryableStatus lists the responses that say "try again": rate
// limited, and the gateway and overload statuses. A 500 is taken as a bug on
// the API's side that a retry would only repeat.
func assumedRetryableStatus(code int) bool {
	switch code {
	case 429, 502, 503, 504:
		return true
	}
	return false
}

// The agent API key. Alfe's docs say only that it is a bearer token
// ("Authorization: Bearer <agent-api-key>"); its length and alphabet are
// not documented, and none of Alfe's public docs or code shows one. We
// assume what a bearer token and a secret worth the name must be:
//
//   - AssumedMinKeyLength characters at least. Redaction (Client.redact)
//     replaces the key wherever a response holds it, so a short key would
//     corrupt ordinary data ("Bearer A" turned installedAt into
//     installed[REDACTED]t); 16 characters is also the shortest key anyone
//     issues as a secret (the sandbox's sk_sandbox_local has exactly 16).
//   - RFC 6750's b64token alphabet, the syntax of a token in
//     "Authorization: Bearer <token>": letters, digits and - . _ ~ + /,
//     then "=" padding at most. None of them is a JSON quote, backslash,
//     structural character or space, so an occurrence of the key in a JSON
//     response lies inside one string or one number, never across them.
//   - Not a JSON number's characters only (digits, . + - e E): then no
//     occurrence lies inside a number either.
//
// What that guarantees: redaction never changes a response's structure or
// any number in it, and changes a string only where it holds the key's 16
// or more characters verbatim. For a key Alfe issues (random), that is the
// key itself, echoed: a random 16-character key of this alphabet appears by
// chance in a 4 MiB response with probability below 4·10⁶ × 68⁻¹⁶ ≈ 2·10⁻²³.
// (A key made of ordinary words could match ordinary text; Alfe's keys are
// not.)
const AssumedMinKeyLength = 16

// assumedKeyFlaw returns what makes key unlike an agent API key, or "" when
// it is one (see AssumedMinKeyLength). It never quotes the key.
func assumedKeyFlaw(key string) string {
	if n := len(key); n < AssumedMinKeyLength {
		unit := "characters"
		if n == 1 {
			unit = "character"
		}
		return fmt.Sprintf("it has %d %s; an Alfe agent API key has at least %d", n, unit, AssumedMinKeyLength)
	}
	body := strings.TrimRight(key, "=")
	numeric := true
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("-._~+/", c) >= 0:
		default:
			return fmt.Sprintf("it holds a character no Alfe agent API key has (keys are at least %d letters, digits and - . _ ~ + /, with = only at the end)", AssumedMinKeyLength)
		}
		numeric = numeric && strings.IndexByte("0123456789.+-eE", c) >= 0
	}
	if numeric && len(body) == len(key) {
		return fmt.Sprintf("it reads as a number (only digits and . + - e); an Alfe agent API key of at least %d characters has letters", AssumedMinKeyLength)
	}
	return ""
}
