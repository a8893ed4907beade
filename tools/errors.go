package tools

// The error convention of alfe-mcp's tools.
//
//   - A tool never returns a Go error to mcp-go (that would become a JSON-RPC
//     internal error a model cannot reason about). Every failure is a result
//     with isError: true and one text block.
//   - The text says what went wrong and what to do next, in words a model can
//     act on: the argument and the rule for bad input; for upstream errors the
//     status, the API's own message and the next step; for timeouts how long
//     the server waited.
//   - Handlers return typed errors (schemas.ArgumentError, apiclient's
//     errors, or a *toolError made with failf for a tool-specific reading,
//     such as a 404 meaning "not installed"); errorResult turns them into
//     text with Explain. The API key never appears in that text: apiclient
//     redacts it before any error is built.
//   - No stack traces: a panic becomes "internal error" (see middleware.go),
//     and the stack goes to the log.

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// toolError is a failure with a message written for the model.
type toolError struct {
	msg   string
	cause error
}

func (e *toolError) Error() string { return e.msg }
func (e *toolError) Unwrap() error { return e.cause }

// failf returns a toolError wrapping cause.
func failf(cause error, format string, args ...any) error {
	return &toolError{msg: fmt.Sprintf(format, args...), cause: cause}
}

// notInstalled reads a 404 of an integration's route as "not installed".
func notInstalled(err error, integrationID string) error {
	if apiErr, ok := asAPIError(err); ok && apiErr.StatusCode == http.StatusNotFound {
		return failf(err, "integration '%s' is not installed (%s); call list_integrations to see what is installed, or get_registry and install_integration to add it.",
			integrationID, upstreamDetail(apiErr))
	}
	return err
}

// asAPIError finds an *apiclient.APIError in err's chain.
func asAPIError(err error) (*apiclient.APIError, bool) {
	var apiErr *apiclient.APIError
	ok := errors.As(err, &apiErr)
	return apiErr, ok
}

// errorResult turns err into an isError result.
func errorResult(err error) *mcp.CallToolResult {
	return mcp.NewToolResultError(Explain(err))
}

// Explain writes err as the message of a tool's isError result: what went
// wrong and what a model should do next, as the convention above says. It
// is the one place where alfe-mcp's errors become prose: the tools, the
// resources, and through ExplainCheck the check command.
func Explain(err error) string { return explain(err, "") }

// ExplainCheck writes err, the failure of the check command's whoami
// (GET /agent/identity/whoami) against the API root url, for the person who
// configured the server: what went wrong, with the URL, and which flag or
// environment variable fixes it. A TLS failure is told apart from other
// network failures.
func ExplainCheck(err error, url string) string { return explain(err, url) }

// The settings a message tells a person to fix, as package config names
// them (config.EnvAPIKey, config.EnvAPIURL and their flags). The catalogue
// gets its options and does not import config; a test of the check command
// holds the names to config's.
const (
	keySetting = "ALFE_API_KEY (or --api-key-file)"
	urlSetting = "--api-url / ALFE_API_URL"
)

// explain is Explain when checkURL is empty, and ExplainCheck otherwise:
// one reading of each error, in the words of each reader.
func explain(err error, checkURL string) string {
	var (
		te       *toolError
		tooLarge *tooLargeError
		argErr   *schemas.ArgumentError
		apiErr   *apiclient.APIError
		timeout  *apiclient.TimeoutError
		netErr   *apiclient.NetworkError
		decErr   *apiclient.DecodeError
		badKey   *apiclient.KeyError
	)
	check := checkURL != ""
	switch {
	case errors.As(err, &te):
		return te.msg
	case errors.As(err, &tooLarge):
		return tooLarge.Error()
	case errors.As(err, &argErr):
		return argErr.Error() + ". Fix the argument and call again; nothing was sent to the API."
	case errors.Is(err, ErrNoAPIKey):
		return ErrNoAPIKey.Error()
	case errors.As(err, &badKey):
		return fmt.Sprintf("The API key is not an Alfe agent API key (%s); nothing was sent. Ask the user for the agent's whole API key: a local server reads it from %s and needs a restart; a remote one takes it as 'Authorization: Bearer <key>' in the host's configuration.", badKey.Reason, keySetting)
	case errors.As(err, &apiErr) && check:
		return explainCheckAPIError(apiErr, checkURL)
	case errors.As(err, &apiErr):
		return explainAPIError(apiErr)
	case errors.As(err, &timeout) && check:
		return fmt.Sprintf("the API at %s did not respond within %s. Check the network, or raise --timeout.", checkURL, waited(timeout.After))
	case errors.As(err, &timeout):
		return fmt.Sprintf("The Alfe API did not respond in time (timed out after %s on %s %s%s). Retry in a moment; if it keeps happening, the API may be degraded.",
			waited(timeout.After), timeout.Method, timeout.Path, withAttempts("; ", timeout.Attempts))
	case errors.As(err, &netErr) && check && netErr.TLS():
		return fmt.Sprintf("TLS failure talking to %s: %v. Check that --api-url is right (https for api.alfe.ai, http for a local server) and that no proxy intercepts TLS.", checkURL, err)
	case errors.As(err, &netErr) && check:
		return fmt.Sprintf("cannot reach the API at %s: %v. Check the network and %s.", checkURL, netErr.Err, urlSetting)
	case errors.As(err, &netErr):
		return fmt.Sprintf("Could not reach the Alfe API%s: %v. Check the network connection and the API URL (%s), then retry.",
			withAttempts(" ", netErr.Attempts), netErr.Err, urlSetting)
	case errors.As(err, &decErr) && check:
		return fmt.Sprintf("unexpected response from %s: %v. Is --api-url pointing at the Alfe API?", checkURL, decErr)
	case errors.As(err, &decErr):
		return fmt.Sprintf("The Alfe API gave an unexpected response: %v. Retry once; if it persists, report it.", decErr)
	case errors.Is(err, apiclient.ErrResponseTooLarge):
		return fmt.Sprintf("The Alfe API's response was too large to use: %v. Narrow the request (e.g. a filter) and retry.", err)
	case errors.Is(err, context.Canceled):
		return "The call was cancelled before it finished."
	case errors.Is(err, context.DeadlineExceeded):
		return "The call ran out of time before it finished. Retry in a moment."
	case check:
		return err.Error()
	default:
		return "Internal error: " + err.Error()
	}
}

// explainAPIError writes the message for a model of a non-2xx response.
func explainAPIError(e *apiclient.APIError) string {
	detail := upstreamDetail(e)
	switch {
	case e.StatusCode == http.StatusUnauthorized:
		return fmt.Sprintf("The Alfe API rejected the API key (%s). Ask the user for a valid agent API key: a local server reads it from %s and needs a restart; a remote one takes it as 'Authorization: Bearer <key>' in the host's configuration.", detail, keySetting)
	case e.StatusCode == http.StatusForbidden:
		return fmt.Sprintf("The API key is not allowed to do this (%s). Use a key of an agent that may manage integrations.", detail)
	case e.StatusCode == http.StatusNotFound:
		return fmt.Sprintf("Not found (%s). Check the id with list_integrations or get_registry.", detail)
	case e.StatusCode == http.StatusConflict:
		return fmt.Sprintf("The request conflicts with the agent's current state (%s). Call list_integrations to see it.", detail)
	case e.StatusCode == http.StatusTooManyRequests:
		if e.RetryAfter > 0 {
			return fmt.Sprintf("Rate limited by the Alfe API (%s). Retry after %d s.", detail, int(math.Ceil(e.RetryAfter.Seconds())))
		}
		return fmt.Sprintf("Rate limited by the Alfe API (%s). Retry later.", detail)
	case e.StatusCode >= 500 && e.RetryAfter > 0:
		return fmt.Sprintf("The Alfe API failed (%s). This is on Alfe's side; retry after %d s.", detail, int(math.Ceil(e.RetryAfter.Seconds())))
	case e.StatusCode >= 500:
		return fmt.Sprintf("The Alfe API failed (%s). This is on Alfe's side; retry in a moment.", detail)
	case e.StatusCode >= 400:
		return fmt.Sprintf("The Alfe API refused the request (%s). Check the arguments against get_registry and list_integrations, then retry.", detail)
	default:
		return fmt.Sprintf("The Alfe API responded with %s.", detail)
	}
}

// explainCheckAPIError writes the message for the check command of a
// non-2xx response to whoami: a 401 or 403 is the configured key, a 404 a
// URL that is not the agent API.
func explainCheckAPIError(e *apiclient.APIError, url string) string {
	switch e.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Sprintf("the API at %s rejected the key (%s). Set %s to the agent's API key from the Alfe dashboard.", url, apiclient.StatusText(e.StatusCode), keySetting)
	case http.StatusNotFound:
		return fmt.Sprintf("%s has no agent API (%v). Check %s; the default is %s.", url, e, urlSetting, apiclient.DefaultBaseURL)
	}
	return fmt.Sprintf("the API at %s responded with an error: %v. Retry later; if it persists, check the Alfe status page.", url, e)
}

// upstreamDetail is "404 Not Found: <API message>[; request id X][; after N
// attempts]".
func upstreamDetail(e *apiclient.APIError) string {
	s := apiclient.StatusText(e.StatusCode)
	if e.Message != "" && e.Message != s {
		s += ": " + e.Message
	}
	if e.RequestID != "" {
		s += "; request id " + e.RequestID
	}
	return s + withAttempts("; ", e.Attempts)
}

// withAttempts is sep and apiclient.AfterAttempts(n) when the call was
// retried, else "".
func withAttempts(sep string, n int) string {
	if p := apiclient.AfterAttempts(n); p != "" {
		return sep + p
	}
	return ""
}

// waited writes a timeout as "30 s", or "250 ms" below a second.
func waited(d time.Duration) string {
	if d > 0 && d < time.Second {
		return fmt.Sprintf("%d ms", d.Milliseconds())
	}
	return fmt.Sprintf("%d s", int(math.Ceil(d.Seconds())))
}

// outcomeUnknown reports failures after which a request that changes state
// may or may not have taken effect: no response, or a gateway's response.
func outcomeUnknown(err error) bool {
	var (
		timeout *apiclient.TimeoutError
		netErr  *apiclient.NetworkError
	)
	if apiErr, ok := asAPIError(err); ok {
		return apiErr.StatusCode == http.StatusBadGateway || apiErr.StatusCode == http.StatusGatewayTimeout
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return false // no connection: nothing was sent
	}
	return errors.As(err, &timeout) || errors.As(err, &netErr)
}

// missingKeyError is returned when a call arrives and no API key is known.
type missingKeyError struct{}

func (missingKeyError) Error() string {
	return "No Alfe API key is configured. Set " + keySetting + " to the agent's API key and restart the server."
}

// ErrNoAPIKey is returned by a ClientFunc that has no key for the request.
var ErrNoAPIKey error = missingKeyError{}
