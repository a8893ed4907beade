package tools_test

// Benchmarks of the per-call path, so that its allocations are visible in
// review (issue 13): a tools/call through mcp-go's HandleMessage (the
// server, the middlewares, validation, the API client, the result) and
// through the stdio transport over pipes (the guard, mcp-go's stdio
// transport, the response watcher), against an httptest upstream that
// responds as the bench's does. Run with
//
//	go test ./tools -run '^$' -bench Call -benchmem
//
// Times are the bench's business (go run ./bench); allocs/op and B/op are
// what these are for.

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/logging"
	stdioserver "github.com/alfe-mcp/alfe-mcp/internal/transport/stdio"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// benchCalls are the calls benchmarked: the bench's list_integrations, and a
// call with an argument whose result carries a free-form config.
var benchCalls = []struct{ name, params string }{
	{"list_integrations", `{"name":"list_integrations","arguments":{}}`},
	{"get_integration_config", `{"name":"get_integration_config","arguments":{"integrationId":"integration-1"}}`},
}

// benchUpstream responds as the bench's upstream does: three install
// records, and one integration's config.
func benchUpstream(b *testing.B) *httptest.Server {
	list := make([]map[string]any, 3)
	for i := range list {
		list[i] = map[string]any{
			"integrationId": fmt.Sprintf("integration-%d", i),
			"status":        "active",
			"version":       "1.0." + strconv.Itoa(i),
			"config":        map[string]any{"defaultBranch": "main", "notify": true, "limit": 10 + i},
			"installedAt":   "2026-01-02T03:04:05Z",
		}
	}
	listBody, _ := json.Marshal(map[string]any{"data": list})
	configBody, _ := json.Marshal(map[string]any{"data": map[string]any{"integrationId": "integration-1", "config": list[1]["config"]}})
	mux := http.NewServeMux()
	respond := func(body []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header()["Content-Type"] = []string{"application/json"}
			w.Write(body) //nolint:errcheck
		}
	}
	mux.Handle("GET /agent/integrations", respond(listBody))
	mux.Handle("GET /agent/integrations/integration-1/config", respond(configBody))
	up := httptest.NewServer(mux)
	b.Cleanup(up.Close)
	return up
}

// benchServer builds the server as main does (info-level text log lines,
// the key redacted), talking to up.
func benchServer(b *testing.B, up *httptest.Server) *server.MCPServer {
	logger := logging.New(io.Discard, logging.Options{Level: "info", Secrets: []string{testKey}})
	api, err := apiclient.New(apiclient.Options{BaseURL: up.URL, APIKey: testKey, UserAgent: "alfe-mcp/bench", Observe: tools.ObserveExchanges(logger)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(api.CloseIdleConnections)
	srv, err := tools.NewServer(tools.Options{Client: tools.StaticClient(api), Logger: logger, Version: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	return srv
}

// BenchmarkCallHandleMessage is one tools/call through HandleMessage, and
// the marshalling of its response that every transport does.
func BenchmarkCallHandleMessage(b *testing.B) {
	up := benchUpstream(b)
	for _, c := range benchCalls {
		b.Run(c.name, func(b *testing.B) {
			srv := benchServer(b, up)
			msg := []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":` + c.params + `}`)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				out, err := json.Marshal(srv.HandleMessage(ctx, msg))
				if err != nil || !json.Valid(out) || len(out) < 200 {
					b.Fatalf("%v: %s", err, out)
				}
			}
		})
	}
}

// BenchmarkCallStdio is one tools/call over the stdio transport, a line in
// and a line out over pipes, sequentially.
func BenchmarkCallStdio(b *testing.B) {
	up := benchUpstream(b)
	for _, c := range benchCalls {
		b.Run(c.name, func(b *testing.B) {
			srv := benchServer(b, up)
			inR, inW := io.Pipe()
			outR, outW := io.Pipe()
			done := make(chan error, 1)
			go func() { done <- stdioserver.Serve(context.Background(), srv, inR, outW, nil); outW.Close() }()
			lines := bufio.NewReaderSize(outR, 1<<20)
			roundTrip := func(line string) []byte {
				if _, err := io.WriteString(inW, line+"\n"); err != nil {
					b.Fatal(err)
				}
				resp, err := lines.ReadSlice('\n')
				if err != nil {
					b.Fatal(err)
				}
				return resp
			}
			roundTrip(`{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"bench","version":"1"}}}`)
			if _, err := io.WriteString(inW, `{"jsonrpc":"2.0","method":"notifications/initialized"}`+"\n"); err != nil {
				b.Fatal(err)
			}
			id := 0
			b.ReportAllocs()
			for b.Loop() {
				id++
				resp := roundTrip(`{"jsonrpc":"2.0","id":` + strconv.Itoa(id) + `,"method":"tools/call","params":` + c.params + `}`)
				if len(resp) < 200 {
					b.Fatalf("short response: %s", resp)
				}
			}
			b.StopTimer()
			inW.Close() //nolint:errcheck
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		})
	}
}
