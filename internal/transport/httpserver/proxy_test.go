package httpserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/mark3labs/mcp-go/client"
	mcptransport "github.com/mark3labs/mcp-go/client/transport"
	"github.com/mark3labs/mcp-go/mcp"
	sdk "github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/alfe-mcp/alfe-mcp/internal/testutil"
)

// TestSSEBehindAPathPrefix serves the legacy SSE transport directly and
// behind a reverse proxy that mounts it under /alfe (httputil.ReverseProxy
// behind http.StripPrefix, as a team's gateway would): with no flag, the
// endpoint event resolves inside the prefix, so that real clients (the
// go-sdk's and mcp-go's SSE clients, in both eras) post their messages
// where the proxy forwards them, and a call reaches the upstream.
func TestSSEBehindAPathPrefix(t *testing.T) {
	for _, mount := range []string{"", "/alfe", "/teams/alfe"} {
		for _, c := range sseClients {
			for _, era := range testutil.Eras() {
				name := mount
				if name == "" {
					name = "direct"
				}
				t.Run(fmt.Sprintf("%s/%s/%s", strings.TrimPrefix(name, "/"), c.name, era.Name), func(t *testing.T) {
					ts := startServer(t, Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey})
					endpoint := ts.url + SSEPath
					if mount != "" {
						endpoint = mountBehindProxy(t, ts, mount) + SSEPath
					}
					c.call(t, endpoint, era)
					want := []seen{{Method: "GET", Path: "/agent/integrations", Auth: "Bearer " + keyA}}
					if got := ts.up.Requests(); !slices.Equal(got, want) {
						t.Errorf("upstream got %v, want %v", got, want)
					}
				})
			}
		}
	}
}

// TestSSEEndpointIsRelative reads the endpoint event as bytes: a path
// relative to the stream's URL, which a client resolves inside whatever
// prefix it reached the stream under.
func TestSSEEndpointIsRelative(t *testing.T) {
	ts := startServer(t, Options{Transport: SSE, Loopback: true, DefaultKey: defaultKey})
	endpoint := sseEndpointEvent(t, ts, keyA)
	rest, ok := strings.CutPrefix(endpoint, "message?sessionId=")
	if !ok || rest == "" {
		t.Fatalf("endpoint event %q, want message?sessionId=<id>", endpoint)
	}
	base, _ := url.Parse("https://host.example/alfe/sse")
	ref, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	if got := base.ResolveReference(ref).Path; got != "/alfe/message" {
		t.Errorf("resolved against %s: %s, want /alfe/message", base, got)
	}
}

// mountBehindProxy starts a front server that forwards mount/... to ts,
// with the prefix stripped, and returns its URL with the prefix.
func mountBehindProxy(t *testing.T, ts *testServer, mount string) string {
	t.Helper()
	target, err := url.Parse(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(mount+"/", http.StripPrefix(mount, httputil.NewSingleHostReverseProxy(target)))
	front := httptest.NewServer(mux)
	t.Cleanup(front.Close)
	return front.URL + mount
}

// sseClient is a real client of the legacy SSE transport that lists the
// installed integrations with keyA.
type sseClient struct {
	name string
	call func(t *testing.T, endpoint string, era testutil.Era)
}

var sseClients = []sseClient{
	{"go-sdk", func(t *testing.T, endpoint string, era testutil.Era) {
		hc := httpClient(keyA)
		t.Cleanup(hc.CloseIdleConnections)
		version := legacy
		if era.Name == "modern" {
			version = modern
		}
		c := sdk.NewClient(&sdk.Implementation{Name: "proxy-test", Version: "1"}, nil)
		cs, err := c.Connect(t.Context(), &sdk.SSEClientTransport{Endpoint: endpoint, HTTPClient: hc}, &sdk.ClientSessionOptions{ProtocolVersion: version})
		if err != nil {
			t.Fatalf("connect to %s: %v", endpoint, err)
		}
		t.Cleanup(func() { _ = cs.Close() })
		res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}})
		if err != nil || res.IsError {
			t.Fatalf("list_integrations: %v %v", err, res)
		}
	}},
	{"mcp-go", func(t *testing.T, endpoint string, era testutil.Era) {
		hc := httpClient(keyA)
		t.Cleanup(hc.CloseIdleConnections)
		tr, err := mcptransport.NewSSE(endpoint, mcptransport.WithHTTPClient(hc))
		if err != nil {
			t.Fatal(err)
		}
		c := client.NewClient(tr, era.Opts...)
		t.Cleanup(func() { _ = c.Close() })
		ctx, cancel := context.WithTimeout(t.Context(), waitLimit)
		defer cancel()
		if err := c.Start(ctx); err != nil {
			t.Fatalf("start %s: %v", endpoint, err)
		}
		init := mcp.InitializeRequest{}
		init.Params.ClientInfo = mcp.Implementation{Name: "proxy-test", Version: "1"}
		if _, err := c.Initialize(ctx, init); err != nil {
			t.Fatalf("initialize: %v", err)
		}
		req := mcp.CallToolRequest{}
		req.Params.Name = "list_integrations"
		res, err := c.CallTool(ctx, req)
		if err != nil || res.IsError {
			t.Fatalf("list_integrations: %v %v", err, res)
		}
	}},
}
