package config

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Group is a set of flags that go together. A command takes whole groups,
// and its help lists its flags group by group.
type Group int

// The groups, in the order help lists them.
const (
	APIFlags     Group = iota // the Alfe API and the key: --api-url, --api-key-file, --sandbox, --timeout, --retries
	ToolFlags                 // which tools to serve: --read-only, --tools
	HTTPFlags                 // the HTTP listener: --addr, --allowed-origins, --drain-delay, --shutdown-timeout, --metrics-addr
	LimitFlags                // what one client may hold: connections, streams, calls in flight, a write's time
	SessionFlags              // streamable HTTP sessions: --session-idle-timeout, --max-sessions, --max-sessions-per-key
	ReplicaFlags              // serving from several replicas: --stateless, --confirm-key-file
	LogFlags                  // --log-level, --log-format
	FileFlags                 // --config
)

// String returns the group's heading in help, such as "Alfe API".
func (g Group) String() string {
	switch g {
	case APIFlags:
		return "Alfe API"
	case ToolFlags:
		return "Tools"
	case HTTPFlags:
		return "HTTP server"
	case LimitFlags:
		return "Limits"
	case SessionFlags:
		return "Sessions"
	case ReplicaFlags:
		return "Replicas"
	case LogFlags:
		return "Logging"
	case FileFlags:
		return "Configuration file"
	}
	return fmt.Sprintf("Group(%d)", int(g))
}

// Flag describes one command-line flag, as help and the README show it.
type Flag struct {
	Name  string // without dashes, e.g. "api-url"
	Arg   string // the value's placeholder, e.g. "URL"; "" for a switch
	Usage string // what it does, in a phrase
	// Env is the environment variable that holds the same setting (or,
	// with EnvNote, stands in for it); "" for none.
	Env, EnvNote string
	// Default is the value used when nothing sets it, as help shows it; ""
	// for a switch (off) or a setting without one.
	Default string
	// Field is the config file's field for the same setting; "" for
	// --config itself.
	Field string
	// Group is the heading the flag is listed under in help.
	Group Group
}

// flagSpec is a Flag and what its value does to a Config.
type flagSpec struct {
	Flag
	// parse reads a value of the flag and returns what it sets; an error
	// says why the value is wrong.
	parse parser
}

// Flags returns every flag, group by group, in the order help lists them.
func Flags() []Flag {
	var out []Flag
	for _, s := range flagSpecs() {
		out = append(out, s.Flag)
	}
	return out
}

// flagSpecs is the one table of flags: their names, help, environment
// variables, config fields and effect; their defaults are Defaults'.
func flagSpecs() []flagSpec {
	def := Defaults()
	return []flagSpec{
		{Flag{Name: "api-url", Arg: "URL", Usage: "root URL of the Alfe API",
			Env: EnvAPIURL, Default: def.APIURL, Field: "apiUrl", Group: APIFlags},
			text(func(c *Config, v string) { c.APIURL = v })},
		{Flag{Name: "api-key-file", Arg: "FILE", Usage: "read the agent's API key from FILE",
			Env: EnvAPIKey, EnvNote: "the key itself, read when this flag is not given", Field: "apiKeyFile", Group: APIFlags},
			text(func(c *Config, v string) { c.APIKeyFile = v })},
		{Flag{Name: "sandbox", Usage: "use a built-in emulator of the Alfe API instead of the real one: no account or key needed, and a configured key is never sent",
			Field: "sandbox", Group: APIFlags},
			boolean(func(c *Config, v bool) { c.Sandbox = v })},
		{Flag{Name: "timeout", Arg: "DURATION", Usage: "time limit of each call to the Alfe API, retries included",
			Default: time.Duration(def.Timeout).String(), Field: "timeout", Group: APIFlags},
			duration(func(c *Config, d Duration) { c.Timeout = d })},
		{Flag{Name: "retries", Arg: "N", Usage: fmt.Sprintf("most attempts in all of a GET, PATCH or DELETE to the Alfe API, 1 to %d (1: no retry); POST is never retried", MaxRetries),
			Default: strconv.Itoa(def.Retries), Field: "retries", Group: APIFlags},
			integer(func(c *Config, n int) { c.Retries = n })},

		{Flag{Name: "read-only", Usage: "serve only the tools that change nothing",
			Field: "readOnly", Group: ToolFlags},
			boolean(func(c *Config, v bool) { c.ReadOnly = v })},
		{Flag{Name: "tools", Arg: "NAMES", Usage: "serve only these tools (comma-separated names); an unknown name is an error",
			Default: "all", Field: "tools", Group: ToolFlags},
			list(func(c *Config, v []string) { c.Tools = v })},

		{Flag{Name: "addr", Arg: "HOST:PORT", Usage: "listen address",
			Default: def.Addr, Field: "addr", Group: HTTPFlags},
			text(func(c *Config, v string) { c.Addr = v })},
		{Flag{Name: "allowed-origins", Arg: "ORIGINS", Usage: "browser origins allowed besides http(s)://localhost, 127.0.0.1 and [::1] on any port (comma-separated)",
			Field: "allowedOrigins", Group: HTTPFlags},
			list(func(c *Config, v []string) { c.AllowedOrigins = v })},
		{Flag{Name: "drain-delay", Arg: "DURATION", Usage: "after SIGINT or SIGTERM, how long the server keeps listening while /healthz and new sessions get 503, so that load balancers see it leave",
			Default: time.Duration(def.DrainDelay).String(), Field: "drainDelay", Group: HTTPFlags},
			duration(func(c *Config, d Duration) { c.DrainDelay = d })},
		{Flag{Name: "shutdown-timeout", Arg: "DURATION", Usage: "how long calls in flight may finish once the server stops listening",
			Default: time.Duration(def.ShutdownTimeout).String(), Field: "shutdownTimeout", Group: HTTPFlags},
			duration(func(c *Config, d Duration) { c.ShutdownTimeout = d })},
		{Flag{Name: "metrics-addr", Arg: "HOST:PORT", Usage: "serve Prometheus metrics at /metrics on this address, a listener of its own; off when empty (nothing is collected)",
			Field: "metricsAddr", Group: HTTPFlags},
			text(func(c *Config, v string) { c.MetricsAddr = v })},

		{Flag{Name: "max-connections", Arg: "N", Usage: "most connections open at once; the listener accepts no more until one closes",
			Default: strconv.Itoa(def.MaxConnections), Field: "maxConnections", Group: LimitFlags},
			integer(func(c *Config, n int) { c.MaxConnections = n })},
		{Flag{Name: "max-streams-per-key", Arg: "N", Usage: "most event streams one key may hold open (GET /sse, GET /mcp, subscriptions/listen); past it 429",
			Default: strconv.Itoa(def.MaxStreamsPerKey), Field: "maxStreamsPerKey", Group: LimitFlags},
			integer(func(c *Config, n int) { c.MaxStreamsPerKey = n })},
		{Flag{Name: "max-inflight-per-session", Arg: "N", Usage: "most requests of one session whose responses are not yet delivered; past it 429",
			Default: strconv.Itoa(def.MaxInflightPerSession), Field: "maxInflightPerSession", Group: LimitFlags},
			integer(func(c *Config, n int) { c.MaxInflightPerSession = n })},
		{Flag{Name: "max-subscriptions-per-session", Arg: "N", Usage: "most resources one session may subscribe to; past it a subscription is acknowledged but not recorded (a warning is logged)",
			Default: strconv.Itoa(def.MaxSubscriptionsPerSession), Field: "maxSubscriptionsPerSession", Group: LimitFlags},
			integer(func(c *Config, n int) { c.MaxSubscriptionsPerSession = n })},
		{Flag{Name: "write-timeout", Arg: "DURATION", Usage: "how long one write to a client (a response, an event of a stream) may take; a client that reads no faster loses its connection",
			Default: time.Duration(def.WriteTimeout).String(), Field: "writeTimeout", Group: LimitFlags},
			duration(func(c *Config, d Duration) { c.WriteTimeout = d })},

		{Flag{Name: "session-idle-timeout", Arg: "DURATION", Usage: "a session unused this long ends and its memory is freed; the client's next request gets 404 and starts a new one",
			Default: time.Duration(def.SessionIdleTimeout).String(), Field: "sessionIdleTimeout", Group: SessionFlags},
			duration(func(c *Config, d Duration) { c.SessionIdleTimeout = d })},
		{Flag{Name: "max-sessions", Arg: "N", Usage: "most sessions live at once; past it initialize gets 503 with Retry-After",
			Default: strconv.Itoa(def.MaxSessions), Field: "maxSessions", Group: SessionFlags},
			integer(func(c *Config, n int) { c.MaxSessions = n })},
		{Flag{Name: "max-sessions-per-key", Arg: "N", Usage: "most sessions one key may hold; past it initialize gets 429",
			Default: strconv.Itoa(def.MaxSessionsPerKey), Field: "maxSessionsPerKey", Group: SessionFlags},
			integer(func(c *Config, n int) { c.MaxSessionsPerKey = n })},

		{Flag{Name: "stateless", Usage: "serve without sessions, so that replicas need no load-balancer affinity",
			Field: "stateless", Group: ReplicaFlags},
			boolean(func(c *Config, v bool) { c.Stateless = v })},
		{Flag{Name: "confirm-key-file", Arg: "FILE", Usage: fmt.Sprintf("read from FILE a secret of %d or more characters that replicas share to sign removal confirmations", minConfirmKeyLen),
			Default: "random per process", Field: "confirmKeyFile", Group: ReplicaFlags},
			text(func(c *Config, v string) { c.ConfirmKeyFile = v })},

		{Flag{Name: "log-level", Arg: "LEVEL", Usage: "debug, info, warn or error",
			Default: def.LogLevel, Field: "logLevel", Group: LogFlags},
			text(func(c *Config, v string) { c.LogLevel = v })},
		{Flag{Name: "log-format", Arg: "FORMAT", Usage: "text (coloured on a terminal unless NO_COLOR is set) or json",
			Default: def.LogFormat, Field: "logFormat", Group: LogFlags},
			text(func(c *Config, v string) { c.LogFormat = v })},

		{Flag{Name: "config", Arg: "FILE", Usage: "read settings from this JSON file (fields as in config.example.json); the environment and flags override it",
			Group: FileFlags},
			text(func(c *Config, v string) { c.File = v })},
	}
}

// parser is how a flag's value becomes a change to the Config: an error
// says what the value should look like.
type parser = func(string) (func(*Config), error)

// parsed is the parse of a flag whose value parse reads; a value it
// refuses is an error that says rule, e.g. "use true or false".
func parsed[T any](parse func(string) (T, error), rule string, set func(*Config, T)) parser {
	return func(v string) (func(*Config), error) {
		x, err := parse(v)
		if err != nil {
			return nil, errors.New(rule)
		}
		return func(c *Config) { set(c, x) }, nil
	}
}

// text is the parse of a flag whose value is any string.
func text(set func(*Config, string)) parser {
	return parsed(func(v string) (string, error) { return v, nil }, "", set)
}

// list is the parse of a comma-separated list; blank items are dropped, and
// an empty value clears the setting.
func list(set func(*Config, []string)) parser {
	return parsed(func(v string) ([]string, error) { return splitList(v), nil }, "", set)
}

// boolean is the parse of a switch: --name, or --name=false.
func boolean(set func(*Config, bool)) parser {
	return parsed(strconv.ParseBool, "use true or false", set)
}

// duration is the parse of a duration such as 30s or 1m30s.
func duration(set func(*Config, Duration)) parser {
	return parsed(func(v string) (Duration, error) {
		d, err := time.ParseDuration(v)
		return Duration(d), err
	}, "use a duration such as 30s or 1m", set)
}

// integer is the parse of a whole number.
func integer(set func(*Config, int)) parser {
	return parsed(strconv.Atoi, "use a whole number", set)
}

// WriteFlags writes the help of the flags in groups, group by group: each
// flag with its value's placeholder, what it does, its default and its
// environment variable, wrapped to fit 80 columns.
func WriteFlags(w io.Writer, groups []Group) error {
	var lines []string
	specs := flagSpecs()
	width := 0
	for _, s := range specs {
		if slices.Contains(groups, s.Group) {
			width = max(width, len(s.synopsis()))
		}
	}
	for _, g := range groups {
		lines = append(lines, "", g.String()+":")
		for _, s := range specs {
			if s.Group != g {
				continue
			}
			syn := s.synopsis()
			text := wrap(s.help(), 80-(2+width+2))
			for i, t := range text {
				if i == 0 {
					lines = append(lines, fmt.Sprintf("  %-*s  %s", width, syn, t))
				} else {
					lines = append(lines, fmt.Sprintf("  %-*s  %s", width, "", t))
				}
			}
		}
	}
	_, err := io.WriteString(w, strings.Join(lines[1:], "\n")+"\n")
	return err
}

// synopsis is the flag as typed: "--api-url URL", "--sandbox".
func (f Flag) synopsis() string {
	if f.Arg == "" {
		return "--" + f.Name
	}
	return "--" + f.Name + " " + f.Arg
}

// help is the flag's usage with its default and environment variable.
func (f Flag) help() string {
	var notes []string
	if f.Default != "" {
		notes = append(notes, "default "+f.Default)
	}
	switch {
	case f.Env != "" && f.EnvNote != "":
		notes = append(notes, "env "+f.Env+": "+f.EnvNote)
	case f.Env != "":
		notes = append(notes, "env "+f.Env)
	}
	if len(notes) == 0 {
		return f.Usage
	}
	return f.Usage + " (" + strings.Join(notes, "; ") + ")"
}

// wrap breaks s into lines of at most width bytes, at spaces; a longer word
// stands on a line of its own.
func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, word := range strings.Fields(s) {
		switch {
		case line == "":
			line = word
		case len(line)+1+len(word) <= width:
			line += " " + word
		default:
			lines = append(lines, line)
			line = word
		}
	}
	return append(lines, line)
}
