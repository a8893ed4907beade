package main

import (
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/internal/logging"
	"github.com/alfe-mcp/alfe-mcp/internal/metrics"
	"github.com/alfe-mcp/alfe-mcp/internal/sandbox"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// app is what every serving command builds from the configuration: the
// logger, the API client and the MCP server.
type app struct {
	logger  *slog.Logger
	client  *apiclient.Client
	server  *server.MCPServer
	sandbox *sandbox.Server // nil unless --sandbox
}

// sandboxKey is the key sent to the built-in emulator: with --sandbox a
// configured real key is never sent anywhere.
const sandboxKey = "sk_sandbox_local"

// Close stops what the app started.
func (a *app) Close() {
	a.client.CloseIdleConnections()
	if a.sandbox != nil {
		if err := a.sandbox.Close(); err != nil {
			a.logger.Warn("sandbox did not stop cleanly", "error", err)
		}
	}
}

// errNoKey is reported, with exit status 2, when a command needs a key.
var errNoKey = fmt.Errorf("no API key. Set the %s environment variable to the agent's API key, "+
	"or pass --api-key-file with a file that holds it (or apiKeyFile in --config); to try alfe-mcp without an account, add --sandbox", config.EnvAPIKey)

// newLogger returns the logger for cfg on stderr: coloured only when stderr
// is a terminal and NO_COLOR is unset; the API key is redacted.
func newLogger(e env, cfg config.Config) *slog.Logger {
	color := false
	stderr := e.stderr
	if bg, ok := stderr.(*logging.Background); ok {
		stderr = bg.Unwrap()
	}
	if f, ok := stderr.(*os.File); ok {
		color = logging.UseColor(f, e.getenv)
	}
	return logging.New(e.stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, Color: color, Secrets: []string{cfg.APIKey}})
}

// logInBackground returns e with its stderr written on a goroutine of its
// own (logging.Background), for a serving command: a tool call's log line
// then costs the call no write to a pipe. The function it returns writes
// what is left; call it before returning.
func logInBackground(e env) (env, func()) {
	bg := logging.NewBackground(e.stderr)
	e.stderr = bg
	return e, func() { _ = bg.Close() }
}

// newApp builds the app for cfg. It needs an API key, unless cfg.Sandbox
// asks for the built-in emulator of the API, which it then starts on a
// loopback port. Close the app when done.
func newApp(e env, cfg config.Config) (*app, error) {
	return newServingApp(e, cfg, serving{})
}

// serving says how a transport serves calls; the zero value is stdio's.
type serving struct {
	// clientFor, when set, gives each request its own client made from the
	// shared one (the HTTP transports: each request carries its key), and
	// the app may start without a configured key.
	clientFor func(shared *apiclient.Client) tools.ClientFunc
	// stopWaiting, once closed, ends the calls that only wait (see
	// tools.Options.StopWaiting); nil: never.
	stopWaiting <-chan struct{}
	// metrics, when set, collects the server's metrics.
	metrics *metrics.Metrics
}

// newServingApp is newApp for a transport that serves as s says.
func newServingApp(e env, cfg config.Config, s serving) (*app, error) {
	var sb *sandbox.Server
	if cfg.Sandbox {
		var err error
		if sb, err = sandbox.Listen(sandbox.Options{}); err != nil {
			return nil, fmt.Errorf("start the sandbox: %w", err)
		}
		cfg.APIURL, cfg.APIKey = sb.URL(), sandboxKey
	}
	if cfg.APIKey == "" && s.clientFor == nil {
		return nil, errNoKey
	}
	logger := newLogger(e, cfg)
	if sb != nil {
		logger.Info("sandbox in use: an in-memory emulator of the Alfe API; no request leaves this machine", "url", sb.URL())
	}
	client, err := apiclient.New(apiclient.Options{
		BaseURL:     cfg.APIURL,
		APIKey:      cfg.APIKey,
		UserAgent:   "alfe-mcp/" + buildVersion(),
		Timeout:     time.Duration(cfg.Timeout),
		MaxAttempts: cfg.Retries,
		Observe:     s.metrics.Exchanges(tools.ObserveExchanges(logger)),
	})
	if err != nil {
		closeSandbox(sb)
		return nil, err
	}
	clientFunc := tools.StaticClient(client)
	if s.clientFor != nil {
		clientFunc = s.clientFor(client)
	}
	opts := toolOptions(cfg, clientFunc, logger)
	opts.StopWaiting, opts.Metrics = s.stopWaiting, s.metrics
	srv, err := tools.NewServer(opts)
	if err != nil {
		closeSandbox(sb)
		return nil, err
	}
	// Start-up garbage (mcp-go's schema validator compiles its meta-schemas
	// at init: 1.7 MB) would otherwise stay resident until the background
	// scavenger returns it, minutes later; a server that idles in a host for
	// hours should not carry it. One small GC, well under a millisecond.
	debug.FreeOSMemory()
	e.startedUp()
	return &app{logger: logger, client: client, server: srv, sandbox: sb}, nil
}

func closeSandbox(sb *sandbox.Server) {
	if sb != nil {
		_ = sb.Close()
	}
}

// toolOptions maps cfg onto the tools' options.
func toolOptions(cfg config.Config, client tools.ClientFunc, logger *slog.Logger) tools.Options {
	return tools.Options{
		Client:     client,
		Logger:     logger,
		Version:    buildVersion(),
		ReadOnly:   cfg.ReadOnly,
		Tools:      cfg.Tools,
		ConfirmKey: []byte(cfg.ConfirmKey),
		// Every command's: stdio and the tools listing take the default.
		MaxSubscriptions: cfg.MaxSubscriptionsPerSession,
	}
}
