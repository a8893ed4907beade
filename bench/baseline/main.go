// Command baseline is the bench's bare-library reference: the mcp-go v1.2.1
// stdio server (the version alfe-mcp is built with) doing what alfe-mcp's
// list_integrations does per call, written as the library's documentation
// suggests and nothing more. It has the same worker pool and queue as
// alfe-mcp's stdio transport (32 workers, 256 queued calls) and the same
// upstream HTTP client (Go's default transport with 64 idle connections per
// host, 128 in all, 90 s idle timeout): GET /agent/integrations with a bearer
// key, unwrap {"data": ...}, wrap the list as {"integrations": [...]}, and
// return it as structuredContent plus the same JSON as text. No validation,
// no logging, no size cap, no redaction: its figures are what the library
// costs, and alfe-mcp's own layers are measured against them (issue 13).
//
//	baseline [stdio] --api-url http://127.0.0.1:PORT
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"
)

func main() {
	args := os.Args[1:]
	if len(args) > 0 && args[0] == "stdio" {
		args = args[1:]
	}
	fs := flag.NewFlagSet("baseline", flag.ExitOnError)
	apiURL := fs.String("api-url", "http://127.0.0.1:1", "upstream API root")
	fs.Parse(args) //nolint:errcheck // ExitOnError

	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns, t.MaxIdleConnsPerHost, t.IdleConnTimeout = 128, 64, 90*time.Second
	up := &upstream{url: *apiURL + "/agent/integrations", key: os.Getenv("ALFE_API_KEY"), hc: &http.Client{Transport: t}}

	s := server.NewMCPServer("baseline", "0", server.WithToolCapabilities(false))
	s.AddTool(mcp.NewTool("list_integrations",
		mcp.WithDescription("List the integrations installed on this Alfe agent."),
		mcp.WithReadOnlyHintAnnotation(true),
	), up.listIntegrations)

	stdio := server.NewStdioServer(s)
	server.WithWorkerPoolSize(32)(stdio)
	server.WithQueueSize(256)(stdio)
	if err := stdio.Listen(context.Background(), os.Stdin, os.Stdout); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
}

type upstream struct {
	url, key string
	hc       *http.Client
}

func (u *upstream) listIntegrations(ctx context.Context, _ mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+u.key)
	req.Header.Set("User-Agent", "alfe-baseline/0")
	req.Header.Set("Accept", "application/json")
	resp, err := u.hc.Do(req)
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return mcp.NewToolResultError(err.Error()), nil
	}
	if resp.StatusCode != http.StatusOK {
		return mcp.NewToolResultError("upstream: " + resp.Status), nil
	}
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &env); err != nil || len(env.Data) == 0 || env.Data[0] != '[' {
		return mcp.NewToolResultError(`upstream: not a {"data": [...]} response`), nil
	}
	out, err := json.Marshal(struct {
		Integrations json.RawMessage `json:"integrations"`
	}{env.Data})
	if err != nil {
		return nil, err
	}
	return mcp.NewToolResultStructured(json.RawMessage(out), string(out)), nil
}
