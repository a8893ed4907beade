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
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/internal/prose"
)

// Confirmed removal: when the client can show a form, remove_integration asks
// the user to type the integration's id (an MCP elicitation, through mcp-go's
// multi-round-trip builder, which also bridges legacy clients). The request
// state the client echoes back carries the id and an expiry under an HMAC, and
// no secret.

const (
	confirmInputID = "confirm_removal"
	confirmTTL     = 5 * time.Minute
)

// errNotRemoved ends every refused confirmation.
const notRemoved = "Nothing was removed."

// interimResult is returned as an error by a handler that responds with a
// result of its own, such as a request for user input.
type interimResult struct{ res *mcp.CallToolResult }

func (interimResult) Error() string { return "interim result" }

// confirmRemoval returns nil when the removal of id may go ahead: the user
// typed the id in the form, or the client cannot be asked. Otherwise it
// returns an interimResult asking for the confirmation, or a toolError that
// ends with "Nothing was removed."
func confirmRemoval(ctx context.Context, call *Call, id string) error {
	params := call.Request.Params
	response := server.ElicitationResponse(params.InputResponses, confirmInputID)
	if response == nil {
		if params.RequestState != "" || len(params.InputResponses) > 0 {
			return failf(nil, "The confirmation of the removal of '%s' got no response. %s", id, notRemoved)
		}
		if !canElicit(ctx) {
			return nil
		}
		state := call.deps.signer.sign(id, time.Now().Add(confirmTTL))
		res := server.NewInputRequestBuilder(state).
			Elicit(confirmInputID, mcp.ElicitationParams{
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
			}).
			ToolResult()
		return interimResult{res: res}
	}

	if err := call.deps.signer.verify(params.RequestState, id, time.Now()); err != nil {
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
	enc, sig, ok := strings.Cut(state, ".")
	if !ok {
		return errors.New("malformed state")
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, k.mac(enc)) {
		return errors.New("the state's signature does not match")
	}
	payload, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil {
		return errors.New("malformed state")
	}
	var st confirmState
	if err := json.Unmarshal(payload, &st); err != nil {
		return errors.New("malformed state")
	}
	if st.ID != id {
		return fmt.Errorf("it was issued for '%s'", st.ID)
	}
	if now.Unix() > st.Expires {
		return errors.New("it expired")
	}
	return nil
}

func (k stateKey) mac(s string) []byte {
	m := hmac.New(sha256.New, k)
	m.Write([]byte(s))
	return m.Sum(nil)
}
