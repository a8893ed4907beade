package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
)

// command runs one command with its loaded configuration and returns the
// exit status.
type command func(ctx context.Context, e env, cfg config.Config) int

// cmd is one command of alfe-mcp: how it is called, what its help says, the
// flags it takes, and what it runs.
type cmd struct {
	name    string
	args    string         // its positional arguments in the synopsis, e.g. "TOOL [JSON]"
	maxArgs int            // how many positional arguments it takes
	summary string         // what it does, in a line of the command list
	about   string         // what it does, atop its help, in lines of at most 80 columns
	flags   []config.Group // the flags it takes; none: it reads no configuration
	// run runs the command with its configuration; nil for help, which
	// parseCommandLine handles itself.
	run command
}

// The help of each command is kept in testdata/help/, which TestHelp holds
// it to, and the README's Commands section lists the commands as the help
// does (TestREADMECommands); go generate ./... rewrites both from the help
// printed here.
//go:generate go test -run TestHelp|TestREADMECommands -update .

// commands returns alfe-mcp's commands, in the order help lists them. The
// first is the default: `alfe-mcp [flags]` is `alfe-mcp stdio [flags]`.
func commands() []cmd {
	serving := []config.Group{config.APIFlags, config.ToolFlags, config.LogFlags, config.FileFlags}
	return []cmd{
		{name: "stdio", summary: "serve MCP over stdin and stdout (the default command)",
			about: "Serve MCP over stdin and stdout until stdin ends or SIGINT or SIGTERM arrives.\n" +
				"This is what an assistant launches; `alfe-mcp [flags]` runs it too. Logs go to\n" +
				"stderr: stdout carries the protocol.",
			flags: serving, run: runStdio},
		{name: "http", summary: "serve MCP over streamable HTTP at /mcp",
			about: "Serve MCP over streamable HTTP at /mcp (and GET /healthz) until SIGINT or\n" +
				"SIGTERM, then let the calls in flight finish. A request with 'Authorization:\n" +
				"Bearer <agent API key>' uses that key for its calls to the Alfe API; one\n" +
				"without uses the server's own key, and only on a loopback address.",
			flags: []config.Group{config.APIFlags, config.ToolFlags, config.HTTPFlags, config.LimitFlags, config.SessionFlags, config.ReplicaFlags, config.LogFlags, config.FileFlags},
			run:   runHTTP},
		{name: "sse", summary: "serve MCP over the legacy HTTP+SSE transport (GET /sse)",
			about: "Serve MCP over the legacy HTTP+SSE transport until SIGINT or SIGTERM: GET /sse\n" +
				"opens a session's stream, POST /message carries its messages. Keys work as\n" +
				"for http.",
			flags: []config.Group{config.APIFlags, config.ToolFlags, config.HTTPFlags, config.LimitFlags, config.LogFlags, config.FileFlags},
			run:   runSSE},
		{name: "call", args: "TOOL [JSON]", maxArgs: 2, summary: "call one tool through the full MCP path and print its result",
			about: "Call TOOL with the JSON object of its arguments (default {}) through the same\n" +
				"MCP server the other commands serve, and print the structured result,\n" +
				"indented. Exit 1 when the result is an error (its message on stderr), 2 for a\n" +
				"usage error such as an unknown tool.",
			flags: serving, run: runCall},
		{name: "check", summary: "check the configuration and the API key against the API",
			about: "Load the configuration as the server would, call whoami, and print\n" +
				"'ok: agent <agentId> (tenant <tenantId>) at <api-url>', or what is wrong and\n" +
				"how to fix it (exit 1). It never prints the key.",
			flags: []config.Group{config.APIFlags, config.LogFlags, config.FileFlags}, run: runCheck},
		{name: "tools", summary: "print the tool catalogue as tools/list returns it",
			about: `Print {"tools": [...]} exactly as tools/list returns it for this` + "\n" +
				"configuration. It needs no API key.",
			flags: []config.Group{config.ToolFlags, config.FileFlags}, run: runTools},
		{name: "version", summary: "print the version, and the commit and its date when known",
			about: "Print the version, and the commit and its date when known.", run: runVersion},
		{name: "help", args: "[COMMAND]", maxArgs: 1, summary: "print this help, or the help of a command",
			about: "Print the list of commands, or the help of COMMAND: what it does and its\n" +
				"flags."},
	}
}

// helpRequest is what parseCommandLine returns when the command line asks
// for help: of alfe-mcp as a whole (cmd nil) or of one command.
type helpRequest struct{ cmd *cmd }

func (helpRequest) Error() string { return "help requested" }

// parseCommandLine finds the command in args (stdio when args start with a
// flag) and loads its configuration, with the flags it takes only. A request
// for help is a helpRequest; any other error is a message for the user,
// which says where to read the usage.
//
// On an error of the configuration itself (not of its usage), the command is
// returned with it.
func parseCommandLine(args []string, getenv func(string) string) (cmd, config.Config, error) {
	name := "stdio"
	switch {
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help"):
		return cmd{}, config.Config{}, helpRequest{}
	case len(args) > 0 && !strings.HasPrefix(args[0], "-"):
		name, args = args[0], args[1:]
	}
	c, ok := lookup(name)
	if !ok {
		return cmd{}, config.Config{}, fmt.Errorf("unknown command %q; run 'alfe-mcp help' for the commands", name)
	}
	var cfg config.Config
	var err error
	if len(c.flags) > 0 {
		cfg, err = config.Load(args, c.flags, getenv)
	} else { // version and help read no configuration
		cfg.Args, err = config.ParseArgs(args, nil)
	}
	var usage *config.UsageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		return cmd{}, config.Config{}, helpRequest{cmd: &c}
	case errors.As(err, &usage) && len(c.flags) == 0:
		return cmd{}, config.Config{}, fmt.Errorf("%s takes no flags; run 'alfe-mcp %s --help'", c.name, c.name)
	case errors.As(err, &usage) && usage.Flag != "":
		return cmd{}, config.Config{}, fmt.Errorf("%s does not take --%s (a flag of %s); run 'alfe-mcp %s --help' for its flags",
			c.name, usage.Flag, strings.Join(commandsTaking(usage.Group), ", "), c.name)
	case errors.As(err, &usage):
		return cmd{}, config.Config{}, fmt.Errorf("%v; run 'alfe-mcp %s --help' for its flags", err, c.name)
	case err != nil:
		return c, config.Config{}, err // the command, for run to tell check's failures apart
	}
	if len(cfg.Args) > c.maxArgs {
		return cmd{}, config.Config{}, fmt.Errorf("unexpected argument %q (usage: alfe-mcp %s; run 'alfe-mcp %s --help')", cfg.Args[c.maxArgs], c.synopsis(), c.name)
	}
	if c.name == "help" && len(cfg.Args) == 1 {
		topic, ok := lookup(cfg.Args[0])
		if !ok {
			return cmd{}, config.Config{}, fmt.Errorf("unknown command %q; run 'alfe-mcp help' for the commands", cfg.Args[0])
		}
		return cmd{}, config.Config{}, helpRequest{cmd: &topic}
	}
	if c.name == "help" {
		return cmd{}, config.Config{}, helpRequest{}
	}
	return c, cfg, nil
}

// lookup returns the command called name.
func lookup(name string) (cmd, bool) {
	i := slices.IndexFunc(commands(), func(c cmd) bool { return c.name == name })
	if i < 0 {
		return cmd{}, false
	}
	return commands()[i], true
}

// commandsTaking returns the names of the commands that take the flags of
// group g.
func commandsTaking(g config.Group) []string {
	var names []string
	for _, c := range commands() {
		if slices.Contains(c.flags, g) {
			names = append(names, c.name)
		}
	}
	return names
}

// synopsis is how c is called: "call TOOL [JSON] [flags]".
func (c cmd) synopsis() string {
	s := c.name
	if c.args != "" {
		s += " " + c.args
	}
	if len(c.flags) > 0 {
		s += " [flags]"
	}
	return s
}

// writeUsage writes the help of alfe-mcp as a whole: its commands.
func writeUsage(w io.Writer) {
	fmt.Fprint(w, "alfe-mcp: an MCP server for managing an Alfe agent's integrations.\n\n")
	fmt.Fprint(w, "Usage: alfe-mcp [COMMAND] [ARGUMENTS] [flags]\n\n")
	fmt.Fprint(w, "Commands:\n")
	fmt.Fprint(w, commandList())
	fmt.Fprintf(w, "\nThe API key comes from the %s environment variable or --api-key-file.\n", config.EnvAPIKey)
	fmt.Fprint(w, "Add --sandbox to try a command against a built-in emulator of the Alfe API,\n"+
		"with no account or key: alfe-mcp call get_registry --sandbox\n")
	fmt.Fprint(w, "Run 'alfe-mcp COMMAND --help' for what a command does and its flags.\n")
}

// commandList is the list of commands in the help, one a line; the README's
// Commands section shows the same lines.
func commandList() string {
	var b strings.Builder
	width := 0
	for _, c := range commands() {
		width = max(width, len(c.name)+1+len(c.args))
	}
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %-*s  %s\n", width, strings.TrimSpace(c.name+" "+c.args), c.summary)
	}
	return b.String()
}

// writeHelp writes the help of c: how to call it, what it does, and its
// flags, group by group.
func writeHelp(w io.Writer, c cmd) {
	fmt.Fprintf(w, "Usage: alfe-mcp %s\n\n%s\n", c.synopsis(), c.about)
	if len(c.flags) == 0 {
		return
	}
	fmt.Fprintln(w)
	_ = config.WriteFlags(w, c.flags) // as for the lines around it, a failed write to the terminal is not reported
	fmt.Fprintln(w)
	if c.args != "" {
		fmt.Fprintln(w, "Flags may come before or after the arguments.")
	}
	fmt.Fprint(w, "Flags override the environment, which overrides the configuration file, which\n"+
		"overrides the defaults.\n")
}
