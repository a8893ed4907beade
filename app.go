package main

import (
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/mark3labs/mcp-go/server"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/config"
	"github.com/alfe-mcp/alfe-mcp/logging"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// app is what every serving command builds from the configuration: the
// logger, the API client and the MCP server.
type app struct {
	logger *slog.Logger
	client *apiclient.Client
	server *server.MCPServer
}

// errNoKey is reported, with exit status 2, when a command needs a key.
var errNoKey = fmt.Errorf("no API key. Set the %s environment variable to the agent's API key, "+
	"or pass --api-key-file with a file that holds it (or apiKeyFile in --config)", config.EnvAPIKey)

// newLogger returns the logger for cfg on stderr: coloured only when stderr
// is a terminal and NO_COLOR is unset; the API key is redacted.
func newLogger(e env, cfg config.Config) *slog.Logger {
	color := false
	if f, ok := e.stderr.(*os.File); ok {
		color = logging.UseColor(f, e.getenv)
	}
	return logging.New(e.stderr, logging.Options{Level: cfg.LogLevel, Format: cfg.LogFormat, Color: color, Secrets: []string{cfg.APIKey}})
}

// newApp builds the app for cfg. It needs an API key.
func newApp(e env, cfg config.Config) (*app, error) {
	if cfg.APIKey == "" {
		return nil, errNoKey
	}
	logger := newLogger(e, cfg)
	client, err := apiclient.New(apiclient.Options{
		BaseURL:   cfg.APIURL,
		APIKey:    cfg.APIKey,
		UserAgent: "alfe-mcp/" + buildVersion(),
		Timeout:   time.Duration(cfg.Timeout),
		Observe:   tools.ObserveExchanges(logger),
	})
	if err != nil {
		return nil, err
	}
	srv, err := tools.NewServer(toolOptions(cfg, tools.StaticClient(client), logger))
	if err != nil {
		return nil, err
	}
	return &app{logger: logger, client: client, server: srv}, nil
}

// toolOptions maps cfg onto the tools' options.
func toolOptions(cfg config.Config, client tools.ClientFunc, logger *slog.Logger) tools.Options {
	return tools.Options{
		Client:   client,
		Logger:   logger,
		Version:  buildVersion(),
		ReadOnly: cfg.ReadOnly,
		Allow:    cfg.Tools,
	}
}
