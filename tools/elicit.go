package tools

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
	"github.com/alfe-mcp/alfe-mcp/internal/transport"
)

// Asking the user: an MCP elicitation (a form, or a URL for the user to
// open), from one handler, in both protocol eras.
//
// A handler that needs the user's input looks for the response first, and
// asks when there is none:
//
//	res, err := call.response(id)
//	switch {
//	case err != nil: // asked, and the round trip failed (an *elicitationError)
//	case res != nil: // the user's response: accept (with content), decline or cancel
//	case canElicit(ctx, mcp.ElicitationModeForm):
//		return call.ask(state, elicitation{ID: id, Params: params})
//	default: // the client cannot be asked: go on without, or refuse
//	}
//
// call.ask returns the error value the handler returns, and the handler is
// run again with the outcome, as many rounds as it asks (up to
// maxElicitationRounds):
//
//   - From 2026-07-28 (transport.Capabilities.InputRequiredResults), the
//     call's result is input_required (SEP-2322); the client asks the user
//     and calls again with the responses and the request state, perhaps on
//     another replica. The state is the handler's to sign.
//   - Before (transport.Capabilities.ServerRequests), the bridge here sends
//     elicitation/create through the client's session while the call waits
//     at most Options.ElicitationTimeout, then runs the handler again with
//     the response as the call's input responses and the same state.
//
// mcp-go bridges legacy clients too, but after the tool middleware, where a
// failure of the round trip (the client answers with a JSON-RPC error, with
// nonsense, or not at all; the request cannot be sent) becomes a -32603
// protocol error that no handler sees. Here every failure, in both eras,
// reaches the handler as an *elicitationError, which it turns into an
// isError result with a next step (see confirm.go).

// maxElicitationRounds bounds how many times one call asks; mcp-go's legacy
// bridge has the same bound.
const maxElicitationRounds = 10

// DefaultElicitationTimeout is Options.ElicitationTimeout's default.
const DefaultElicitationTimeout = 5 * time.Minute

// elicitation is one question: its id (the key of its response among the
// call's input responses) and its params, in form or URL mode.
type elicitation struct {
	ID     string
	Params mcp.ElicitationParams
}

// question is what a handler returns, as its error, to put elicitations
// to the user; state is echoed back with the responses.
type question struct {
	state string
	asks  []elicitation
}

func (q *question) Error() string { return "the user is asked for input" }

// ask returns the error a handler returns to put the elicitations to the
// user, with state for the next round (see above).
func (c *Call) ask(state string, asks ...elicitation) error {
	return &question{state: state, asks: asks}
}

// response returns the outcome of the question id of an earlier round of
// this call: nil and nil when no question was asked (the first round); the
// user's response, whose action is accept (with content, which the handler
// checks), decline or cancel; or an *elicitationError when the round trip
// failed or its response cannot be read.
func (c *Call) response(id string) (*mcp.ElicitationResult, error) {
	if err, ok := c.failed[id]; ok {
		return nil, err
	}
	params := c.Request.Params
	if _, ok := server.InputResponse(params.InputResponses, id); !ok {
		if params.RequestState == "" && len(params.InputResponses) == 0 {
			return nil, nil // not asked
		}
		return nil, &elicitationError{kind: elicitMissing}
	}
	res := server.ElicitationResponse(params.InputResponses, id)
	if res == nil {
		return nil, &elicitationError{kind: elicitUnreadable, detail: "it is not an elicitation result"}
	}
	if err := checkAction(res); err != nil {
		return nil, err
	}
	return res, nil
}

// checkAction returns an *elicitationError when res's action is not one a
// client may send.
func checkAction(res *mcp.ElicitationResult) error {
	switch res.Action {
	case mcp.ElicitationResponseActionAccept, mcp.ElicitationResponseActionDecline, mcp.ElicitationResponseActionCancel:
		return nil
	}
	return &elicitationError{kind: elicitUnreadable, detail: fmt.Sprintf("its action is %q, not accept, decline or cancel", prose.Clip(string(res.Action), 40))}
}

// elicitKind is how an elicitation round trip failed.
type elicitKind int

const (
	// elicitMissing: the call came back without a response to the
	// question (a 2026-07-28 client's retry).
	elicitMissing elicitKind = iota + 1
	// elicitTimeout: the user did not respond in time.
	elicitTimeout
	// elicitCancelled: the call was cancelled, or its client went away,
	// while it waited for the response.
	elicitCancelled
	// elicitStopped: the server stopped waiting (Options.StopWaiting: it
	// is shutting down, or its client's input ended) before the response.
	elicitStopped
	// elicitFailed: the request could not be sent, or the client answered
	// it with a JSON-RPC error or with a response that does not decode
	// (mcp-go's sessions tell these apart only in words, given in detail).
	elicitFailed
	// elicitUnreadable: the response decoded, but is not one a client may
	// send (an unknown action).
	elicitUnreadable
)

// elicitationError is a failed round trip of a question to the user; its
// text never carries what the user typed.
type elicitationError struct {
	kind   elicitKind
	detail string        // the library's or the client's words, clipped
	wait   time.Duration // how long the call waited (elicitTimeout)
}

func (e *elicitationError) Error() string { return e.describe("answer a question") }

// describe says what happened to the request to the user to do what (e.g.
// "confirm the removal of 'github'"), as a sentence without its full stop.
func (e *elicitationError) describe(what string) string {
	switch e.kind {
	case elicitMissing:
		return "The call came back without the user's response to the request to " + what
	case elicitTimeout:
		return fmt.Sprintf("The user did not respond within %s to the request to %s", waited(e.wait), what)
	case elicitCancelled:
		return "The call was cancelled while it waited for the user to " + what
	case elicitStopped:
		return "The server stopped waiting for the user to " + what + ", because it is shutting down or its client's input ended"
	case elicitFailed:
		return fmt.Sprintf("The user could not be asked to %s: the request to the client failed (%s)", what, e.detail)
	default:
		return fmt.Sprintf("The client's response to the request to %s could not be used: %s", what, e.detail)
	}
}

// clientCannotAsk reports whether the failure is the client's (or its
// transport's) inability to ask, which asking again may not mend, rather
// than the user's silence or the call's end.
func (e *elicitationError) clientCannotAsk() bool {
	return e.kind == elicitFailed || e.kind == elicitUnreadable
}

// canElicit reports whether the client of this request can be asked to fill
// a form (mode form) or open a URL (mode url): the client declared that
// mode of elicitation, and the transport can carry the question in the
// request's protocol era (see transport.Capabilities; the tools ask the
// transport rather than know which one serves them).
func canElicit(ctx context.Context, mode string) bool {
	can := transport.CapabilitiesFrom(ctx)
	if info := server.RequestProtocolInfoFromContext(ctx); info != nil && info.Modern {
		return can.InputRequiredResults && declaresElicitation(info.ClientCapabilities, mode)
	}
	if !can.ServerRequests {
		return false
	}
	// The bridge sends the question through the session, which must be
	// able to, and knows what the client declared in initialize.
	session := server.ClientSessionFromContext(ctx)
	if _, ok := session.(server.SessionWithElicitation); !ok {
		return false
	}
	withInfo, ok := session.(server.SessionWithClientInfo)
	if !ok {
		return false
	}
	caps := withInfo.GetClientCapabilities()
	return declaresElicitation(&caps, mode)
}

// declaresElicitation: a client that declares elicitation without modes
// supports forms only (the 2025-06-18 shape).
func declaresElicitation(caps *mcp.ClientCapabilities, mode string) bool {
	if caps == nil || caps.Elicitation == nil {
		return false
	}
	if mode == mcp.ElicitationModeURL {
		return caps.Elicitation.URL != nil
	}
	return caps.Elicitation.Form != nil || caps.Elicitation.URL == nil
}

// runAsking runs a handler's rounds: run, and when it returns a question,
// deliver it as the request's era and transport allow (see above), then run
// again with the outcome. run returns the final result, or a question.
func runAsking(ctx context.Context, call *Call, timeout time.Duration, run func(*Call) (*mcp.CallToolResult, *question)) *mcp.CallToolResult {
	for round := 1; ; round++ {
		res, q := run(call)
		if q == nil {
			return res
		}
		can := transport.CapabilitiesFrom(ctx)
		info := server.RequestProtocolInfoFromContext(ctx)
		modern := info != nil && info.Modern
		switch {
		case round > maxElicitationRounds:
			return errorResult(fmt.Errorf("%s asked the user for input more than %d times; this is a bug of the server: report it", call.Request.Params.Name, maxElicitationRounds))
		case modern && can.InputRequiredResults:
			return q.inputRequired()
		case modern:
			call = call.next(q, nil, undeliverable(q, "this transport cannot carry a question in a result"))
		case !can.ServerRequests:
			call = call.next(q, nil, undeliverable(q, "this transport cannot carry a request from the server"))
		default:
			responses, failed := askThroughSession(ctx, q, timeout, call.deps.StopWaiting)
			call = call.next(q, responses, failed)
		}
	}
}

// inputRequired renders q as the input_required result of a 2026-07-28 call.
func (q *question) inputRequired() *mcp.CallToolResult {
	b := server.NewInputRequestBuilder(q.state)
	for _, a := range q.asks {
		b.Elicit(a.ID, a.Params)
	}
	return b.ToolResult()
}

// undeliverable fails every elicitation of q with reason.
func undeliverable(q *question, reason string) map[string]error {
	failed := map[string]error{}
	for _, a := range q.asks {
		failed[a.ID] = &elicitationError{kind: elicitFailed, detail: reason}
	}
	return failed
}

// next is the call's next round: the same request with the responses to
// q's elicitations as its input responses and q's state, and the failures.
func (c *Call) next(q *question, responses mcp.InputResponses, failed map[string]error) *Call {
	n := *c
	n.Request.Params.InputResponses = responses
	n.Request.Params.RequestState = q.state
	n.failed = failed
	return &n
}

// askThroughSession sends q's elicitations, one after the other, as
// elicitation/create requests through the session of ctx's call (the
// legacy protocol), waiting at most timeout for each response. It returns
// the responses, and the failures by id; once one fails, the others are
// not sent.
func askThroughSession(ctx context.Context, q *question, timeout time.Duration, stop <-chan struct{}) (mcp.InputResponses, map[string]error) {
	responses := mcp.InputResponses{}
	failed := map[string]error{}
	for _, a := range q.asks {
		if len(failed) > 0 {
			failed[a.ID] = &elicitationError{kind: elicitFailed, detail: "an earlier question of the call failed"}
			continue
		}
		res, err := elicitThroughSession(ctx, a.Params, timeout, stop)
		if err != nil {
			failed[a.ID] = err
			continue
		}
		responses[a.ID] = mcp.NewElicitationInputResponse(*res)
	}
	return responses, failed
}

// elicitThroughSession sends one elicitation/create through the session of
// ctx's call and waits at most timeout for the response, and no longer
// than until stop closes (nil: never). mcp-go's
// MCPServer.RequestElicitation needs no server option (WithElicitation
// only lists a capability); it validates params and sends through the
// session, which reports the client's JSON-RPC error or an undecodable
// result as an error.
func elicitThroughSession(ctx context.Context, params mcp.ElicitationParams, timeout time.Duration, stop <-chan struct{}) (*mcp.ElicitationResult, error) {
	srv := server.ServerFromContext(ctx)
	if srv == nil {
		return nil, &elicitationError{kind: elicitFailed, detail: "no MCP server serves this call"}
	}
	if _, ok := server.ClientSessionFromContext(ctx).(server.SessionWithElicitation); !ok {
		return nil, &elicitationError{kind: elicitFailed, detail: "the client's session cannot carry a request from the server"}
	}
	wait, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if stop != nil {
		go func() {
			select {
			case <-stop:
				cancel()
			case <-wait.Done():
			}
		}()
	}
	res, err := srv.RequestElicitation(wait, mcp.ElicitationRequest{
		Request: mcp.Request{Method: string(mcp.MethodElicitationCreate)},
		Params:  params,
	})
	switch {
	case ctx.Err() != nil:
		return nil, &elicitationError{kind: elicitCancelled}
	case err != nil && stopped(stop):
		return nil, &elicitationError{kind: elicitStopped}
	case errors.Is(err, context.DeadlineExceeded) || (err != nil && wait.Err() != nil):
		return nil, &elicitationError{kind: elicitTimeout, wait: timeout}
	case err != nil:
		return nil, &elicitationError{kind: elicitFailed, detail: prose.Clip(err.Error(), 200)}
	case res == nil:
		return nil, &elicitationError{kind: elicitUnreadable, detail: "the response has no result"}
	}
	if err := checkAction(res); err != nil {
		return nil, err
	}
	return res, nil
}
