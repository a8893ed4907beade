package tools

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/mark3labs/mcp-go/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// Confirmed removal: when the client can show a form, remove_integration asks
// the user to type the integration's id (an MCP elicitation, through the
// tools' bridge in elicit.go, which serves both protocol eras). The request
// state the client echoes back carries the id and an expiry under an HMAC,
// and no secret. Whatever goes wrong (the user declines or cancels, the
// client cannot show the form or answers with nonsense, the call ends while
// it waits), nothing is removed, and the result says why and what to do.

// confirmInputID is the id of the confirmation among the call's questions.
const confirmInputID = "confirm_removal"

// stateGrace is how long a confirmation state outlives the user's time to
// respond (Options.ElicitationTimeout), so that a response given at the end
// of that time is not refused as expired when the handler runs again.
const stateGrace = time.Minute

// notRemoved follows every refused confirmation.
const notRemoved = "Nothing was removed."

// interimResult is returned as an error by a handler that responds with a
// result of its own.
type interimResult struct{ res *mcp.CallToolResult }

func (interimResult) Error() string { return "interim result" }

// confirmRemoval returns nil when the removal of id may go ahead: the user
// typed the id in the form, or the client cannot be asked. Otherwise it
// returns the question to put to the user (call.ask), or a toolError that
// says why nothing is removed and what to do next.
func confirmRemoval(ctx context.Context, call *Call, id string) error {
	response, err := call.response(confirmInputID)
	var failed *elicitationError
	switch {
	case errors.As(err, &failed):
		next := "Call remove_integration again when the user is ready to confirm."
		if failed.clientCannotAsk() {
			next = "Call remove_integration again to ask once more; if the client cannot show the confirmation, tell the user, who can remove the integration in the Alfe dashboard."
		}
		return failf(err, "%s. %s %s", failed.describe(fmt.Sprintf("confirm the removal of '%s'", id)), notRemoved, next)
	case err != nil:
		return err
	case response == nil && !canElicit(ctx, mcp.ElicitationModeForm):
		return nil // the host's own confirmation (the destructive hint) is all there is
	case response == nil:
		state := call.deps.signer.sign(id, time.Now().Add(call.deps.ElicitationTimeout+stateGrace))
		return call.ask(state, elicitation{ID: confirmInputID, Params: mcp.ElicitationParams{
			Mode:    mcp.ElicitationModeForm,
			Message: fmt.Sprintf("Remove the integration '%s' from this agent? Its tools will turn off. Type %s to confirm.", id, id),
			RequestedSchema: map[string]any{
				"type": "object",
				"properties": map[string]any{
					"integrationId": map[string]any{
						"type":        "string",
						"title":       "Integration id",
						"description": fmt.Sprintf("Type %s to confirm the removal.", id),
					},
				},
				"required": []string{"integrationId"},
			},
		}})
	}

	if err := call.deps.signer.verify(call.Request.Params.RequestState, id, time.Now()); err != nil {
		return failf(err, "The confirmation of the removal of '%s' is not valid (%v); call remove_integration again. %s", id, err, notRemoved)
	}
	switch response.Action {
	case mcp.ElicitationResponseActionAccept:
	case mcp.ElicitationResponseActionDecline:
		return failf(nil, "The user declined the removal of '%s'. %s", id, notRemoved)
	default:
		return failf(nil, "The user cancelled the removal of '%s'. %s", id, notRemoved)
	}
	content, _ := response.Content.(map[string]any)
	typed, _ := content["integrationId"].(string)
	if strings.TrimSpace(typed) != id {
		return failf(nil, "The id typed to confirm (%q) does not match '%s'. %s", prose.Clip(typed, 80), id, notRemoved)
	}
	return nil
}

// stateKey signs confirmation states.
type stateKey []byte

// newStateKey returns key, or a random key when key is empty. Replicas that
// must accept each other's states share a key.
func newStateKey(key []byte) (stateKey, error) {
	if len(key) > 0 {
		return stateKey(key), nil
	}
	k := make([]byte, 32)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("generate state key: %w", err)
	}
	return k, nil
}

type confirmState struct {
	ID      string `json:"id"`
	Expires int64  `json:"exp"`
	Nonce   string `json:"n"`
}

// sign returns base64(payload).base64(hmac).
func (k stateKey) sign(id string, expires time.Time) string {
	nonce := make([]byte, 12)
	_, _ = rand.Read(nonce)
	payload, _ := json.Marshal(confirmState{ID: id, Expires: expires.Unix(), Nonce: base64.RawURLEncoding.EncodeToString(nonce)})
	enc := base64.RawURLEncoding.EncodeToString(payload)
	return enc + "." + base64.RawURLEncoding.EncodeToString(k.mac(enc))
}

func (k stateKey) verify(state, id string, now time.Time) error {
	got, err := k.open(state, now)
	if err != nil {
		return err
	}
	if got != id {
		return fmt.Errorf("it was issued for '%s'", got)
	}
	return nil
}

// open returns the id a state was signed for, or why it cannot be used:
// malformed, not signed with k, or expired at now.
func (k stateKey) open(state string, now time.Time) (string, error) {
	enc, sig, ok := strings.Cut(state, ".")
	if !ok {
		return "", errors.New("malformed state")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(enc)) {
		return "", errors.New("the state's signature does not match")
	}
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return "", errors.New("malformed state")
	}
	var st confirmState
	if err := json.Unmarshal(payload, &st); err != nil {
		return "", errors.New("malformed state")
	}
	if now.Unix() > st.Expires {
		return "", errors.New("it expired")
	}
	return st.ID, nil
}

func (k stateKey) mac(s string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(s))
	return m.Sum(nil)
}
