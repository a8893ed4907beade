package tools

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/transport"
	"github.com/alfe-mcp/alfe-mcp/schemas"
)

// The consent page, shown by the host: get_oauth_url asks the client to
// show the consent URL to the person itself (URL-mode elicitation, MCP
// 2025-11-25, "Elicitation: URL mode"), so that the link never passes
// through the model, whose context could alter or replace it.
//
// The question goes through the tools' elicitation bridge (elicit.go), in
// both protocol eras: as elicitation/create on the legacy session while the
// call waits (mcp-go's RequestURLElicitation refuses 2026-07-28 clients), or
// from 2026-07-28 as the call's input_required result, whose retry carries
// the person's response and the signed request state. Once the person
// accepts, the call watches the connection as get_oauth_status does, for at
// most min(expiresIn, MaxWaitSeconds), and sends
// notifications/elicitation/complete for the elicitation's id as soon as
// the account is connected.
//
// A client that did not declare URL mode (capabilities.elicitation.url, in
// initialize or in the request's _meta), or whose transport cannot carry
// the question (SSE, stateless HTTP with a legacy client), gets the URL in
// the result, with status link, as before; never a form, which would carry
// a credential through the client. A round trip that fails on the client's
// side (an error, nonsense) falls back to the link too; one that ends
// without the person's response (no response in time, the server stops
// waiting) is an isError result that says to call again.

// consentInputID is the id of the consent page among the call's questions.
const consentInputID = "oauth_consent"

// consentStatePrefix marks the request state of a consent page, so that
// it can never pass for a removal confirmation's (whose id is an
// integration id, which has no colon).
const consentStatePrefix = "consent:"

// consentState is what the request state of a consent page carries, signed
// (stateKey): the provider it was asked for, the elicitation's id, the
// consent URL (to fall back to the link) and its lifetime. The client saw
// all of it in the question already; nothing in it is a secret.
type consentState struct {
	Provider      string `json:"p"`
	ElicitationID string `json:"e"`
	URL           string `json:"u"`
	ExpiresIn     int64  `json:"x"`
}

// hostShownNote follows a link when the host could not show the page.
const hostShownNote = "The client could not show the consent page itself (%s): give the url to the person to open in a browser, then call get_oauth_status with waitSeconds."

// getOAuthURLHandler is get_oauth_url's handler: on the first round, a
// consent URL from the API, then the question to the client or the link;
// on the next, the person's response and the watch.
func getOAuthURLHandler(ctx context.Context, call *Call, in schemas.GetOAuthURLInput) (schemas.OAuthURLOutput, error) {
	response, rerr := call.response(consentInputID)
	if rerr == nil && response == nil {
		return askConsent(ctx, call, in)
	}
	st, err := call.deps.openConsent(call.Request.Params.RequestState, string(in.Provider))
	if err != nil {
		return schemas.OAuthURLOutput{}, failf(err, "The response to the consent page for '%s' cannot be used (%v); call get_oauth_url again.", in.Provider, err)
	}
	var failed *elicitationError
	switch {
	case errors.As(rerr, &failed) && failed.kind == elicitCancelled:
		return schemas.OAuthURLOutput{}, context.Cause(ctx) // no response: the call was cancelled
	case errors.As(rerr, &failed) && failed.clientCannotAsk():
		call.deps.Logger.Debug("consent page not shown by the client: falling back to the link", "provider", st.Provider, "err", failed.Error())
		return schemas.OAuthURLOutput{}, withNote(call, link(st.URL, st.ExpiresIn), fmt.Sprintf(hostShownNote, failed.describe("open the consent page")))
	case errors.As(rerr, &failed):
		return schemas.OAuthURLOutput{}, failf(rerr, "%s. Call get_oauth_url again when the person is ready to connect the account.",
			failed.describe(fmt.Sprintf("open the consent page for '%s'", st.Provider)))
	case rerr != nil:
		return schemas.OAuthURLOutput{}, rerr
	}
	switch response.Action {
	case mcp.ElicitationResponseActionDecline:
		return schemas.OAuthURLOutput{Status: schemas.ConsentDeclined, ExpiresIn: st.ExpiresIn}, nil
	case mcp.ElicitationResponseActionCancel:
		return schemas.OAuthURLOutput{Status: schemas.ConsentCancelled, ExpiresIn: st.ExpiresIn}, nil
	}
	return watchConsent(ctx, call, st)
}

// askConsent gets a consent URL and asks the client to show it, or returns
// it as a link when the client cannot be asked.
func askConsent(ctx context.Context, call *Call, in schemas.GetOAuthURLInput) (schemas.OAuthURLOutput, error) {
	u, err := call.Client.GetOAuthURL(ctx, string(in.Provider), in.Scopes)
	if apiErr, ok := asAPIError(err); ok && (apiErr.StatusCode == 400 || apiErr.StatusCode == 404) {
		return schemas.OAuthURLOutput{}, failf(err, "the Alfe API refused to start OAuth for provider '%s' (%s); check the provider in the integration's get_registry entry.", in.Provider, upstreamDetail(apiErr))
	}
	if err != nil {
		return schemas.OAuthURLOutput{}, err
	}
	if !canElicit(ctx, mcp.ElicitationModeURL) {
		return link(u.Fields.URL, u.Fields.ExpiresIn), nil
	}
	st := consentState{Provider: string(in.Provider), ElicitationID: rand.Text(), URL: u.Fields.URL, ExpiresIn: u.Fields.ExpiresIn}
	state, err := call.deps.signConsent(st)
	if err != nil {
		return schemas.OAuthURLOutput{}, err
	}
	return schemas.OAuthURLOutput{}, call.ask(state, elicitation{ID: consentInputID, Params: mcp.ElicitationParams{
		Mode:          mcp.ElicitationModeURL,
		ElicitationID: st.ElicitationID,
		URL:           st.URL,
		Message:       consentMessage(string(in.Provider), in.Scopes, u.Fields.ExpiresIn),
	}})
}

// consentMessage is what the host shows with the URL: the provider, the
// scopes and how long the page stays valid.
func consentMessage(provider string, scopes []string, expiresIn int64) string {
	asked := "its default scopes"
	if len(scopes) > 0 {
		asked = "the scopes " + strings.Join(scopes, ", ")
	}
	msg := fmt.Sprintf("Connect your %s account to this Alfe agent: open the %s consent page and approve access to %s.", provider, provider, asked)
	if expiresIn > 0 {
		msg += fmt.Sprintf(" The page expires in %s.", waited(time.Duration(expiresIn)*time.Second))
	}
	return msg
}

// watchConsent waits, after the person accepted to open the page, for the
// account to be connected, as get_oauth_status with waitSeconds does, and
// tells the client (notifications/elicitation/complete) once it is.
func watchConsent(ctx context.Context, call *Call, st consentState) (schemas.OAuthURLOutput, error) {
	wait := int64(schemas.MaxWaitSeconds)
	if st.ExpiresIn > 0 {
		wait = min(wait, st.ExpiresIn)
	}
	status, stop, err := waitForConnection(ctx, call, schemas.GetOAuthStatusInput{
		Provider: schemas.ID(st.Provider), WaitSeconds: schemas.WaitSeconds(wait)})
	if err != nil {
		return schemas.OAuthURLOutput{}, err
	}
	out := schemas.OAuthURLOutput{Status: schemas.ConsentShown, ExpiresIn: st.ExpiresIn}
	if status.Fields.Connected {
		out.Status = schemas.ConsentConnected
		completeElicitation(ctx, call, st.ElicitationID)
	}
	if stop {
		return out, withNote(call, out, "The server stopped waiting before the account was connected, because it is shutting down or its client's input ended. "+
			"The person may still finish the consent: call get_oauth_status with waitSeconds to keep waiting.")
	}
	return out, nil
}

// completeElicitation sends notifications/elicitation/complete for id to
// the client of ctx's call: on its session (legacy), or on the stream of
// the call that carried the person's response (2026-07-28). The call
// returns right after, so it waits (at most deliveryWait) until the
// transport has written the notification: mcp-go's streamable HTTP would
// drop one still in flight when the response goes out. It is advisory: a
// client that misses it still gets the call's result.
func completeElicitation(ctx context.Context, call *Call, id string) {
	srv := server.ServerFromContext(ctx)
	session := server.ClientSessionFromContext(ctx)
	if srv == nil || session == nil {
		return
	}
	marker, _ := json.Marshal(map[string]string{"elicitationId": id})
	wait := transport.Expect(ctx, strings.Trim(string(marker), "{}"))
	if err := srv.SendElicitationComplete(ctx, session, id); err != nil {
		call.deps.Logger.Debug("notifications/elicitation/complete not sent", "err", err)
		return
	}
	wctx, cancel := context.WithTimeout(ctx, deliveryWait)
	defer cancel()
	wait(wctx)
}

// deliveryWait bounds completeElicitation's wait for its notification to
// be written.
const deliveryWait = 5 * time.Second

// link is the output that hands the URL to the model.
func link(url string, expiresIn int64) schemas.OAuthURLOutput {
	return schemas.OAuthURLOutput{Status: schemas.ConsentLink, URL: url, ExpiresIn: expiresIn}
}

// withNote returns, as an interimResult, get_oauth_url's output as
// structuredContent and its JSON text, then note as a second text block.
func withNote(call *Call, out schemas.OAuthURLOutput, note string) error {
	res, err := structuredResult("get_oauth_url", "", out, call.deps.MaxResultBytes)
	if err != nil || res.IsError {
		return err
	}
	res.Content = append(res.Content, mcp.NewTextContent(note))
	return interimResult{res: res}
}

// signConsent signs st as a request state that expires with the person's
// time to respond (see confirm.go).
func (o *Options) signConsent(st consentState) (string, error) {
	b, err := json.Marshal(st)
	if err != nil {
		return "", fmt.Errorf("encode consent state: %w", err)
	}
	return o.signer.sign(consentStatePrefix+string(b), time.Now().Add(o.ElicitationTimeout+stateGrace)), nil
}

// openConsent returns the consent state that state carries, checking its
// signature, its expiry and its provider.
func (o *Options) openConsent(state, provider string) (consentState, error) {
	id, err := o.signer.open(state, time.Now())
	if err != nil {
		return consentState{}, err
	}
	payload, ok := strings.CutPrefix(id, consentStatePrefix)
	var st consentState
	if !ok || json.Unmarshal([]byte(payload), &st) != nil {
		return consentState{}, errors.New("it is not the state of a consent page")
	}
	if st.Provider != provider {
		return consentState{}, fmt.Errorf("it was issued for provider '%s'", st.Provider)
	}
	return st, nil
}
