package metrics

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
)

// A nil *Metrics collects nothing and never panics: code records without
// asking whether metrics are on.
func TestNilMetricsDoNothing(t *testing.T) {
	var m *Metrics
	m.SetLimit("max-sessions", 1)
	m.Refused("max-sessions")
	m.SessionOpened("sse")
	m.SessionClosed("sse")
	m.StreamOpened("get")
	m.StreamClosed("get")
	m.ConnectionOpened()
	m.ConnectionClosed()
	m.ToolCallStarted("list_integrations")("ok", time.Millisecond)
	m.Upstream("GET", "/agent/integrations", 200, time.Millisecond, 2)
	called := false
	next := func(context.Context, apiclient.Exchange) { called = true }
	m.Exchanges(next)(context.Background(), apiclient.Exchange{})
	if !called {
		t.Error("Exchanges of nil metrics does not call next")
	}
}

// A label value outside the fixed sets (an unknown tool, a value with a
// quote or a newline) becomes "other": a client cannot add series of its
// own or break the format.
func TestLabelValuesAreBounded(t *testing.T) {
	m := New([]string{"list_integrations"})
	m.ToolCallStarted("made_up_by_a_client")("ok", time.Millisecond)
	m.Upstream("GET", "/a\"b\nc", 0, time.Millisecond, 1)
	m.Exchanges(nil)(context.Background(), apiclient.Exchange{Method: "GET", Route: "/agent/integrations", StatusCode: 503, Attempt: 2})
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	for _, want := range []string{
		`alfe_mcp_tool_calls_total{tool="other",outcome="ok"} 1`,
		`alfe_mcp_upstream_requests_total{method="GET",route="other",status="none"} 1`,
		`alfe_mcp_upstream_requests_total{method="GET",route="/agent/integrations",status="503"} 1`,
		`alfe_mcp_upstream_retries_total{method="GET",route="/agent/integrations"} 1`,
		`alfe_mcp_tool_calls_in_flight 0`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("the exposition lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "made_up") {
		t.Errorf("an unknown tool name became a label:\n%s", body)
	}
}
