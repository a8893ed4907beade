package tools

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/mark3labs/mcp-go/mcp"
	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
)

// recoverPanics turns a panic in a handler into an isError result (mcp-go's
// own WithRecovery makes it a JSON-RPC internal error) and logs the stack.
func recoverPanics(logger *slog.Logger) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (res *mcp.CallToolResult, err error) {
			defer func() {
				if r := recover(); r != nil {
					logger.ErrorContext(ctx, "tool panicked", "tool", req.Params.Name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
					res = mcp.NewToolResultError(fmt.Sprintf("Internal error in %s; nothing more is known. The server is still running: retry once, and report it if it happens again.", req.Params.Name))
					err = nil
				}
			}()
			return next(ctx, req)
		}
	}
}

// callStats collects what one tool call did upstream, for its log line.
type callStats struct {
	status   atomic.Int64 // last upstream HTTP status, 0 if none
	requests atomic.Int64 // upstream requests made
}

type statsKey struct{}

// logCalls writes one line per tool call: tool, duration, outcome and the
// upstream status. It never logs arguments or headers.
func logCalls(logger *slog.Logger) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			stats := &callStats{}
			ctx = context.WithValue(ctx, statsKey{}, stats)
			start := time.Now()
			res, err := next(ctx, req)
			outcome := outcomeOf(res, err)
			level := slog.LevelInfo
			if outcome != "ok" {
				level = slog.LevelWarn
			}
			logger.Log(ctx, level, "tool call",
				"tool", req.Params.Name,
				"duration", time.Since(start).Round(time.Microsecond),
				"outcome", outcome,
				"upstream_status", stats.status.Load(),
				"upstream_requests", stats.requests.Load(),
			)
			return res, err
		}
	}
}

// countCalls records each tool call in m (nothing when m is nil): the
// calls in flight, and by tool and outcome, the count and the latency.
func countCalls(m *metrics.Metrics) server.ToolHandlerMiddleware {
	return func(next server.ToolHandlerFunc) server.ToolHandlerFunc {
		if m == nil {
			return next
		}
		return func(ctx context.Context, req mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			start := time.Now()
			done := m.ToolCallStarted(req.Params.Name)
			res, err := next(ctx, req)
			done(outcomeOf(res, err), time.Since(start))
			return res, err
		}
	}
}

// outcomeOf names how a call ended, for its log line and its metrics: ok,
// error_result (an isError result) or error (a protocol error).
func outcomeOf(res *mcp.CallToolResult, err error) string {
	switch {
	case err != nil:
		return "error"
	case res != nil && res.IsError:
		return "error_result"
	}
	return "ok"
}

// ObserveExchanges returns an apiclient observer that counts each upstream
// exchange into the tool call's log line and logs it at debug level (method,
// path, status, duration, attempt number; never headers or bodies).
func ObserveExchanges(logger *slog.Logger) func(context.Context, apiclient.Exchange) {
	return func(ctx context.Context, ev apiclient.Exchange) {
		if stats, ok := ctx.Value(statsKey{}).(*callStats); ok {
			stats.status.Store(int64(ev.StatusCode))
			stats.requests.Add(1)
		}
		if logger.Enabled(ctx, slog.LevelDebug) {
			attrs := []any{"method", ev.Method, "path", ev.Path, "status", ev.StatusCode, "duration", ev.Duration.Round(time.Microsecond), "attempt", ev.Attempt}
			if ev.Err != nil {
				attrs = append(attrs, "error", ev.Err.Error())
			}
			logger.DebugContext(ctx, "upstream request", attrs...)
		}
	}
}
