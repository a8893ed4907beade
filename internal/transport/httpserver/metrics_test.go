package httpserver

import (
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync/atomic"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// scrape GETs url (a /metrics endpoint) and parses the exposition.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Fatalf("GET /metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("the exposition does not parse: %v", err)
	}
	return fams
}

// sample returns the value of the series of family name whose labels are
// labels (a counter's, a gauge's, or a histogram's count), and whether it
// exists.
func sample(fams map[string]*dto.MetricFamily, name string, labels map[string]string) (float64, bool) {
	f, ok := fams[name]
	if !ok {
		return 0, false
	}
	for _, m := range f.GetMetric() {
		got := map[string]string{}
		for _, l := range m.GetLabel() {
			got[l.GetName()] = l.GetValue()
		}
		if len(got) != len(labels) {
			continue
		}
		match := true
		for k, v := range labels {
			if got[k] != v {
				match = false
			}
		}
		if !match {
			continue
		}
		switch f.GetType() {
		case dto.MetricType_COUNTER:
			return m.GetCounter().GetValue(), true
		case dto.MetricType_GAUGE:
			return m.GetGauge().GetValue(), true
		case dto.MetricType_HISTOGRAM:
			return float64(m.GetHistogram().GetSampleCount()), true
		default:
			return m.GetUntyped().GetValue(), true
		}
	}
	return 0, false
}

// A real scrape after real calls, in both eras: the exposition parses, and
// its series count the sessions, streams, tool calls by tool and outcome
// (with latency), upstream requests by route template and status (with
// latency), retries and refusals by cap, as the README documents them. No
// label carries a key, a session id, an integration id or its config.
func TestMetricsExposition(t *testing.T) {
	// The Alfe API: the sandbox, whose first GET /agent/integrations gets
	// a 503 that the client retries.
	var failed atomic.Bool
	emu := sandbox.NewHandler(sandbox.Options{})
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/agent/integrations" && r.Method == "GET" && failed.CompareAndSwap(false, true) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		emu.ServeHTTP(w, r)
	}))
	defer api.Close()

	m := metrics.New(tools.Names())
	ts := startServerWith(t, setup{
		opts:    Options{Transport: Streamable, Loopback: true, DefaultKey: defaultKey, Limits: Limits{MaxSessionsPerKey: 2}},
		metrics: m,
		apiURL:  api.URL,
	})
	scrapeURL := httptest.NewServer(m.Handler())
	defer scrapeURL.Close()
	hc := ownClient(t)

	const secretID = "integration-SECRET-77"
	legacyCS := connect(t, ts, Streamable, keyA, legacy)
	modernCS := connect(t, ts, Streamable, keyA, modern)
	for _, cs := range []*sdk.ClientSession{legacyCS, modernCS} {
		if res, err := cs.CallTool(t.Context(), &sdk.CallToolParams{Name: "list_integrations", Arguments: map[string]any{}}); err != nil || res.IsError {
			t.Fatalf("list_integrations: %v %v", err, res)
		}
	}
	res, err := modernCS.CallTool(t.Context(), &sdk.CallToolParams{Name: "update_integration_config",
		Arguments: map[string]any{"integrationId": secretID, "config": map[string]any{"token": "CONFIG-SECRET-99"}}})
	if err != nil || !res.IsError {
		t.Fatalf("update of an integration not installed: %v %v", err, res)
	}
	// A second session of keyA, then a refused third.
	session := ts.initialize(t, hc, keyA)
	wantRefusal(t, ts.do(t, hc, "POST", MCPPath, keyA, "", initLegacy), http.StatusTooManyRequests, "max-sessions-per-key")
	// A listening stream of that session.
	if r, _ := openStream(t, ts, hc, MCPPath, keyA, session); r.status != http.StatusOK {
		t.Fatalf("GET /mcp: %d %s", r.status, r.body)
	}

	// The legacy client opens a listening stream of its own, when it will:
	// wait for both.
	var fams map[string]*dto.MetricFamily
	waitFor(t, "two listening streams", &ts.streams, func() bool {
		fams = scrape(t, scrapeURL.URL+"/metrics")
		n, _ := sample(fams, "alfe_mcp_streams", map[string]string{"kind": "get"})
		return n == 2
	})
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"alfe_mcp_tool_calls_total", map[string]string{"tool": "list_integrations", "outcome": "ok"}, 2},
		{"alfe_mcp_tool_calls_total", map[string]string{"tool": "update_integration_config", "outcome": "error_result"}, 1},
		{"alfe_mcp_tool_call_duration_seconds", map[string]string{"tool": "list_integrations"}, 2},
		{"alfe_mcp_tool_calls_in_flight", map[string]string{}, 0},
		{"alfe_mcp_upstream_requests_total", map[string]string{"method": "GET", "route": "/agent/integrations", "status": "503"}, 1},
		{"alfe_mcp_upstream_requests_total", map[string]string{"method": "GET", "route": "/agent/integrations", "status": "200"}, 2},
		{"alfe_mcp_upstream_requests_total", map[string]string{"method": "PATCH", "route": "/agent/integrations/{integrationId}", "status": "404"}, 1},
		{"alfe_mcp_upstream_request_duration_seconds", map[string]string{"method": "GET", "route": "/agent/integrations"}, 3},
		{"alfe_mcp_upstream_retries_total", map[string]string{"method": "GET", "route": "/agent/integrations"}, 1},
		{"alfe_mcp_sessions", map[string]string{"transport": "streamable-http"}, 2},
		{"alfe_mcp_refusals_total", map[string]string{"cap": "max-sessions-per-key"}, 1},
		{"alfe_mcp_limit", map[string]string{"cap": "max-sessions-per-key"}, 2},
		{"alfe_mcp_limit", map[string]string{"cap": "max-connections"}, DefaultMaxConnections},
	} {
		got, ok := sample(fams, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if got, ok := sample(fams, "alfe_mcp_connections", map[string]string{}); !ok || got < 1 {
		t.Errorf("alfe_mcp_connections = %v (present %v), want the open connections", got, ok)
	}
	if f := fams["alfe_mcp_tool_call_duration_seconds"]; f.GetType() != dto.MetricType_HISTOGRAM {
		t.Errorf("the tool call latency is a %v, want a histogram", f.GetType())
	}

	// No label value carries what a client sent.
	secrets := []string{keyA, keyB, defaultKey, session, secretID, "CONFIG-SECRET-99"}
	var values []string
	for _, f := range fams {
		for _, mt := range f.GetMetric() {
			for _, l := range mt.GetLabel() {
				values = append(values, l.GetValue())
			}
		}
	}
	sort.Strings(values)
	for _, v := range values {
		for _, s := range secrets {
			if strings.Contains(v, s) {
				t.Errorf("a label carries %q: %q", s, v)
			}
		}
	}
}
