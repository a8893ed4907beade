// Package metrics holds the Prometheus metrics of one alfe-mcp server
// (github.com/VictoriaMetrics/metrics: the Prometheus text format at a
// fraction of client_golang's size in the binary). Each server builds its
// own set with New; a nil *Metrics collects nothing, so code that records
// never checks whether metrics are on (--metrics-addr unset).
//
// No label carries a key, a session id, a request's arguments or an
// integration's config: the labels are the transport, the kind of stream,
// the cap that refused, the tool's name (from the catalogue), the outcome,
// the upstream route's template (never the path with its ids), the method
// and the HTTP status. The README's Metrics section documents each metric.
package metrics

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	vm "github.com/VictoriaMetrics/metrics"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
)

// Names of the metrics, as the README lists them.
const (
	nameSessions         = "alfe_mcp_sessions"
	nameStreams          = "alfe_mcp_streams"
	nameConnections      = "alfe_mcp_connections"
	nameLimit            = "alfe_mcp_limit"
	nameRefusals         = "alfe_mcp_refusals_total"
	nameCallsInFlight    = "alfe_mcp_tool_calls_in_flight"
	nameToolCalls        = "alfe_mcp_tool_calls_total"
	nameToolCallSeconds  = "alfe_mcp_tool_call_duration_seconds"
	nameUpstream         = "alfe_mcp_upstream_requests_total"
	nameUpstreamSeconds  = "alfe_mcp_upstream_request_duration_seconds"
	nameUpstreamRetries  = "alfe_mcp_upstream_retries_total"
	contentTypeExposure  = "text/plain; version=0.0.4; charset=utf-8"
	unknownLabelValue    = "other"
	maxLabelValueLength  = 128
	noResponseStatusText = "none"
)

// durationBuckets are the upper bounds, in seconds, of the latency
// histograms: from a fast upstream response to the longest OAuth wait (50 s).
var durationBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// Metrics is one server's set of metrics. Its methods are safe for
// concurrent use, and do nothing on a nil *Metrics.
type Metrics struct {
	set *vm.Set
	// tools are the tool names a label may carry; any other is "other",
	// so that a client cannot grow the set with names of its own.
	tools map[string]bool
}

// New returns an empty set of metrics for a server whose catalogue holds
// tools (the only tool names that labels carry).
func New(tools []string) *Metrics {
	// HELP-less TYPE lines let a scraper tell counters, gauges and
	// histograms apart; the library writes them only when asked, process
	// wide, and every set of this process wants them.
	vm.ExposeMetadata(true)
	m := &Metrics{set: vm.NewSet(), tools: map[string]bool{}}
	for _, t := range tools {
		m.tools[t] = true
	}
	// The in-flight gauge exists from the start, at zero.
	m.set.GetOrCreateGauge(nameCallsInFlight, nil)
	return m
}

// Handler serves the metrics in the Prometheus text format (GET /metrics).
func (m *Metrics) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "use GET", http.StatusMethodNotAllowed)
			return
		}
		w.Header().Set("Content-Type", contentTypeExposure)
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodGet {
			m.set.WritePrometheus(w)
		}
	})
}

// SetLimit exposes the value of a cap, named by its flag (e.g.
// "max-sessions"), so that a dashboard can show how close the server is.
func (m *Metrics) SetLimit(cap string, v int) {
	if m == nil {
		return
	}
	m.set.GetOrCreateGauge(fmt.Sprintf(`%s{cap=%q}`, nameLimit, label(cap)), nil).Set(float64(v))
}

// Refused counts a request refused by a cap, named by its flag (e.g.
// "max-sessions-per-key"), or "draining" for a new session refused while
// the server shuts down.
func (m *Metrics) Refused(cap string) {
	if m == nil {
		return
	}
	m.set.GetOrCreateCounter(fmt.Sprintf(`%s{cap=%q}`, nameRefusals, label(cap))).Inc()
}

// SessionOpened counts a live session of transport ("streamable-http" or
// "sse") until SessionClosed.
func (m *Metrics) SessionOpened(transport string) { m.gauge(nameSessions, "transport", transport, 1) }

// SessionClosed is the end of a session SessionOpened counted.
func (m *Metrics) SessionClosed(transport string) { m.gauge(nameSessions, "transport", transport, -1) }

// StreamOpened counts an open event stream of kind ("sse", "get" or
// "listen") until StreamClosed.
func (m *Metrics) StreamOpened(kind string) { m.gauge(nameStreams, "kind", kind, 1) }

// StreamClosed is the end of a stream StreamOpened counted.
func (m *Metrics) StreamClosed(kind string) { m.gauge(nameStreams, "kind", kind, -1) }

// ConnectionOpened counts an open client connection until
// ConnectionClosed.
func (m *Metrics) ConnectionOpened() { m.gauge(nameConnections, "", "", 1) }

// ConnectionClosed is the end of a connection ConnectionOpened counted.
func (m *Metrics) ConnectionClosed() { m.gauge(nameConnections, "", "", -1) }

func (m *Metrics) gauge(name, key, value string, delta float64) {
	if m == nil {
		return
	}
	if key != "" {
		name = fmt.Sprintf(`%s{%s=%q}`, name, key, label(value))
	}
	m.set.GetOrCreateGauge(name, nil).Add(delta)
}

// ToolCallStarted counts a tool call in flight; the function it returns
// ends it, recording its outcome ("ok", "error_result" for an isError
// result, "error" for a protocol error) and how long it took.
func (m *Metrics) ToolCallStarted(tool string) (done func(outcome string, took time.Duration)) {
	if m == nil {
		return func(string, time.Duration) {}
	}
	if !m.tools[tool] {
		tool = unknownLabelValue
	}
	inFlight := m.set.GetOrCreateGauge(nameCallsInFlight, nil)
	inFlight.Inc()
	return func(outcome string, took time.Duration) {
		inFlight.Dec()
		m.set.GetOrCreateCounter(fmt.Sprintf(`%s{tool=%q,outcome=%q}`, nameToolCalls, tool, label(outcome))).Inc()
		m.set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`%s{tool=%q}`, nameToolCallSeconds, tool), durationBuckets).Update(took.Seconds())
	}
}

// Upstream records one request to the Alfe API: its method, the template
// of its route (e.g. "/agent/integrations/{integrationId}/config"), its
// status (0 when no response arrived), how long it took, and its attempt
// number (a retry when above 1).
func (m *Metrics) Upstream(method, route string, status int, took time.Duration, attempt int) {
	if m == nil {
		return
	}
	method, route = label(method), label(route)
	code := noResponseStatusText
	if status > 0 {
		code = strconv.Itoa(status)
	}
	m.set.GetOrCreateCounter(fmt.Sprintf(`%s{method=%q,route=%q,status=%q}`, nameUpstream, method, route, code)).Inc()
	m.set.GetOrCreatePrometheusHistogramExt(fmt.Sprintf(`%s{method=%q,route=%q}`, nameUpstreamSeconds, method, route), durationBuckets).Update(took.Seconds())
	if attempt > 1 {
		m.set.GetOrCreateCounter(fmt.Sprintf(`%s{method=%q,route=%q}`, nameUpstreamRetries, method, route)).Inc()
	}
}

// label returns v if it is safe as a label value (printable ASCII without
// quotes or backslashes, and short), else "other": every caller passes a
// value from a fixed set, and this keeps a bug from breaking the format.
func label(v string) string {
	if v == "" || len(v) > maxLabelValueLength {
		return unknownLabelValue
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return unknownLabelValue
		}
	}
	return v
}

// Exchanges returns an apiclient observer (Options.Observe) that records
// each upstream exchange (Upstream) and then calls next, if any. On a nil
// *Metrics it returns next.
func (m *Metrics) Exchanges(next func(context.Context, apiclient.Exchange)) func(context.Context, apiclient.Exchange) {
	if m == nil {
		return next
	}
	return func(ctx context.Context, ev apiclient.Exchange) {
		m.Upstream(ev.Method, ev.Route, ev.StatusCode, ev.Duration, ev.Attempt)
		if next != nil {
			next(ctx, ev)
		}
	}
}
