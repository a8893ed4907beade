package tools

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/mark3labs/mcp-go/server"
)

// Stdio worker pool: mcp-go runs tool calls on a pool of 5 by default, so a
// sixth concurrent call waits for a free worker. 32 workers let every call a
// host plausibly has in flight run at once; the queue absorbs bursts.
const (
	stdioWorkers   = 32
	stdioQueueSize = 256
)

// ServeStdio serves s over in and out (stdin and stdout) until in ends or ctx
// is cancelled. mcp-go's own error logger is bridged to logger, so nothing
// but the protocol is written to out.
func ServeStdio(ctx context.Context, s *server.MCPServer, in io.Reader, out io.Writer, logger *slog.Logger) error {
	stdio := server.NewStdioServer(s)
	stdio.SetErrorLogger(slog.NewLogLogger(logger.Handler(), slog.LevelError))
	server.WithWorkerPoolSize(stdioWorkers)(stdio)
	server.WithQueueSize(stdioQueueSize)(stdio)
	err := stdio.Listen(ctx, in, out)
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}
