package tools

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// The tools of the OAuth connect flow: a consent URL for a person, then the
// connection status, optionally waited for.

// oauthTools are the tools of this file, in catalogue order.
func oauthTools() []Tool { return []Tool{getOAuthURL(), getOAuthStatus()} }

func getOAuthURL() Tool {
	return define("get_oauth_url", "Start connecting an account",
		"Start connecting an OAuth integration's account. A client that can shows the consent page itself and the call waits; "+
			"otherwise give the person the result's url (valid expiresIn seconds). "+
			"Then, for status link or shown, call get_oauth_status with waitSeconds.",
		Hints{OpenWorld: true}, getOAuthURLHandler)
}

func getOAuthStatus() Tool {
	return define("get_oauth_status", "Check an account connection",
		"Check whether this agent's account with an OAuth provider is connected; waitSeconds (up to "+strconv.Itoa(schemas.MaxWaitSeconds)+") waits for it. "+
			"Returns {provider, connected}; if not, call again to wait more.",
		Hints{ReadOnly: true, Idempotent: true, OpenWorld: true},
		func(ctx context.Context, call *Call, in schemas.GetOAuthStatusInput) (schemas.OAuthStatusOutput, error) {
			status, stop, err := waitForConnection(ctx, call, in)
			if stop {
				return status, stoppedWaiting(call, status)
			}
			return status, err
		})
}

// waitForConnection polls the status about once per poll interval until the
// account is connected, the wait is over, the call is cancelled (ctx's
// error), or the server stops waiting (Options.StopWaiting: stop is true,
// with the last status read). It sends notifications/progress while
// waiting when the client asked for progress.
func waitForConnection(ctx context.Context, call *Call, in schemas.GetOAuthStatusInput) (status apiclient.OAuthStatus, stop bool, err error) {
	wait := time.Duration(in.WaitSeconds) * time.Second
	deadline := time.Now().Add(wait)
	progress := progressReporter(ctx, call.Request, float64(in.WaitSeconds))
	interval := call.deps.PollInterval

	for step := 0; ; step++ {
		status, err = call.Client.GetOAuthStatus(ctx, string(in.Provider))
		if err != nil {
			if apiErr, ok := asAPIError(err); ok && (apiErr.StatusCode == 400 || apiErr.StatusCode == 404) {
				return status, false, failf(err, "the Alfe API does not know provider '%s' (%s); check the provider in the integration's get_registry entry.", in.Provider, upstreamDetail(apiErr))
			}
			return status, false, err
		}
		if status.Fields.Connected {
			call.deps.subs.changed(ctx, call, change{uris: []string{integrationsURI}})
		}
		left := time.Until(deadline)
		if status.Fields.Connected || left <= 0 {
			return status, false, nil
		}
		if stopped(call.deps.StopWaiting) {
			return status, true, nil
		}
		elapsed := wait - left
		progress(elapsed.Seconds(), fmt.Sprintf("waiting for the %s account to be connected (%d of %d s)", in.Provider, int(elapsed.Seconds()), in.WaitSeconds))

		timer := time.NewTimer(min(interval, left))
		select {
		case <-ctx.Done():
			timer.Stop()
			return status, false, ctx.Err()
		case <-call.deps.StopWaiting: // nil: never
			timer.Stop()
			return status, true, nil
		case <-timer.C:
		}
	}
}

// stopped reports whether stop is closed (a nil stop never is).
func stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// waitStoppedNote follows the status when the server stopped waiting
// early: the model should ask again rather than read "not connected" as
// final.
const waitStoppedNote = "The server stopped waiting before the account was connected, because it is shutting down or its client's input ended; " +
	"this status is the last one read. The person may still finish the consent: call get_oauth_status again (with waitSeconds) to keep waiting."

// stoppedWaiting is the result of a wait that Options.StopWaiting ended:
// the last status, as structuredContent and its JSON text, then a second
// text block saying to call again. It is returned as an interimResult, the
// handler's way of responding with a result of its own.
func stoppedWaiting(call *Call, status apiclient.OAuthStatus) error {
	res, err := structuredResult("get_oauth_status", "", status, call.deps.MaxResultBytes)
	if err != nil || res.IsError {
		return err
	}
	res.Content = append(res.Content, mcp.NewTextContent(waitStoppedNote))
	return interimResult{res: res}
}

// progressReporter returns a function that sends notifications/progress for
// the call, or does nothing when the client sent no progress token.
func progressReporter(ctx context.Context, req mcp.CallToolRequest, total float64) func(progress float64, message string) {
	meta := req.Params.Meta
	srv := server.ServerFromContext(ctx)
	if meta == nil || meta.ProgressToken == nil || srv == nil {
		return func(float64, string) {}
	}
	token := meta.ProgressToken
	last := -1.0
	return func(progress float64, message string) {
		if progress <= last { // progress must increase
			progress = last + 0.001
		}
		last = progress
		_ = srv.SendNotificationToClient(ctx, "notifications/progress", map[string]any{
			"progressToken": token,
			"progress":      progress,
			"total":         total,
			"message":       message,
		})
	}
}
