package stdio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"testing"

	"github.com/mark3labs/mcp-go/mcp"
)

// TestEncodeResponse checks that the pool writes each response byte for byte
// as mcp-go's stdio transport does (json.Marshal and a newline).
func TestEncodeResponse(t *testing.T) {
	structured := func(raw string) *mcp.CallToolResult {
		res := mcp.NewToolResultStructured(json.RawMessage(raw), raw)
		res.RawStructuredContent = json.RawMessage(raw)
		return res
	}
	withMeta := structured(`{"a":1}`)
	withMeta.Meta = mcp.NewMetaFromMap(map[string]any{"progressToken": "p<1>"})
	isError := mcp.NewToolResultError("bad <input> & \u2028 \"quoted\"")
	mixed := &mcp.CallToolResult{Content: []mcp.Content{mcp.NewTextContent("a"), mcp.NewImageContent("aGk=", "image/png")}}
	asking := &mcp.CallToolResult{}
	asking.ResultType, asking.RequestState = "input_required", "st<>"
	results := map[string]any{
		"structured":         structured(`{"integrations":[{"integrationId":"a<b>","config":{"x":"\u2029&"}}]}`),
		"structured, no raw": mcp.NewToolResultStructured(map[string]any{"b": "<&>", "a": 1.5}, "text"),
		"error":              isError,
		"meta":               withMeta,
		"mixed content":      mixed,
		"input required":     asking,
		"empty":              &mcp.CallToolResult{},
		"raw not compact":    structured(`{ "a" : [1, 2] }`),
		"raw with html":      structured(`{"a":"<b>&"}`),
		"raw with U+2028":    structured("{\"a\":\"\u2028\"}"),
		"raw with escapes":   structured(`{"a":"q\"<\\","b":"\u003c"}`),
		"error, structured":  func() *mcp.CallToolResult { r := structured(`{"e":1}`); r.IsError = true; return r }(),
		"annotated text": func() *mcp.CallToolResult {
			r := structured(`{"a":1}`)
			r.Content[0] = mcp.TextContent{Type: "text", Text: "t", Annotated: mcp.Annotated{Annotations: &mcp.Annotations{Priority: ptr(0.5)}}}
			return r
		}(),
		"not a tool result": mcp.ListToolsResult{Tools: []mcp.Tool{}},
	}
	ids := []any{int64(7), float64(3), 2.5, "a\"<b>", "", nil}
	for name, result := range results {
		for _, id := range ids {
			msg := mcp.NewJSONRPCResultResponse(mcp.NewRequestId(id), result)
			want, err := json.Marshal(msg)
			if err != nil {
				t.Fatalf("%s: json.Marshal: %v", name, err)
			}
			got, err := encodeResponse(msg)
			if err != nil {
				t.Fatalf("%s: encodeResponse: %v", name, err)
			}
			if want = append(want, '\n'); !bytes.Equal(got, want) {
				t.Errorf("%s, id %#v:\n got %s\nwant %s", name, id, got, want)
			}
		}
	}
	errResp := mcp.NewJSONRPCError(mcp.NewRequestId(int64(1)), mcp.INTERNAL_ERROR, "x <y>", nil)
	want, _ := json.Marshal(errResp)
	if got, _ := encodeResponse(errResp); !bytes.Equal(got, append(want, '\n')) {
		t.Errorf("error response: got %s, want %s", got, want)
	}
}

func ptr[T any](v T) *T { return &v }

// TestCallReadAfterStop checks that a tool call read after ServeWith
// returned (its context cancelled: mcp-go leaves its reader in the guard's
// Read) is dropped, not sent to the closed pool.
func TestCallReadAfterStop(t *testing.T) {
	ts := newToolServer(t, "http://127.0.0.1:1")
	inR, inW := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- ServeWith(ctx, ts.srv, inR, io.Discard, Options{Logger: ts.logger}) }()
	// A call first, so that the pool has started.
	call := func(id int) string {
		return fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"list_integrations","arguments":{}}}`+"\n", id)
	}
	if _, err := io.WriteString(inW, call(1)); err != nil {
		t.Fatal(err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeWith: %v", err)
	}
	// The reader left behind reads these; the second write returns only
	// once the guard has dispatched the first.
	for id := 2; id <= 3; id++ {
		if _, err := io.WriteString(inW, call(id)); err != nil {
			t.Fatal(err)
		}
	}
	inW.Close() //nolint:errcheck
}
