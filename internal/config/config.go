// Package config holds alfe-mcp's settings: it loads them from flags, the
// environment and a JSON file, in that order of precedence, over the
// defaults, and describes each flag, in groups, for the commands' help.
package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
)

// Environment variables read by Load.
const (
	EnvAPIURL = "ALFE_API_URL"
	EnvAPIKey = "ALFE_API_KEY"
)

// maxKeyFileBytes caps what is read from an API key file.
const maxKeyFileBytes = 4 << 10

// Config is the server's configuration. APIKey is loaded from a file or the
// environment, never from a flag, and never printed.
type Config struct {
	APIURL     string   `json:"apiUrl"`     // root URL of the Alfe API (--api-url, ALFE_API_URL)
	APIKeyFile string   `json:"apiKeyFile"` // file holding the API key (--api-key-file); relative to the config file there
	Timeout    Duration `json:"timeout"`    // time limit of each call to the API, retries included (--timeout)
	Retries    int      `json:"retries"`    // attempts in all for GET, PATCH and DELETE, 1 to MaxRetries (--retries)
	ReadOnly   bool     `json:"readOnly"`   // serve only the tools that change nothing (--read-only)
	Tools      []string `json:"tools"`      // serve only these tools; empty: all (--tools)
	LogLevel   string   `json:"logLevel"`   // debug, info, warn or error (--log-level)
	LogFormat  string   `json:"logFormat"`  // text or json (--log-format)
	Sandbox    bool     `json:"sandbox"`    // use the built-in emulator of the API (--sandbox)
	// The HTTP transports (alfe-mcp http and sse).
	Addr            string   `json:"addr"`            // listen address, default DefaultAddr
	AllowedOrigins  []string `json:"allowedOrigins"`  // browser origins allowed besides the loopback ones
	Stateless       bool     `json:"stateless"`       // streamable HTTP without sessions
	DrainDelay      Duration `json:"drainDelay"`      // listening on, /healthz 503, after SIGINT/SIGTERM
	ShutdownTimeout Duration `json:"shutdownTimeout"` // grace period for calls in flight once the listener closes
	MetricsAddr     string   `json:"metricsAddr"`     // Prometheus metrics listener; "" for none
	// Limits of the HTTP transports (see httpserver.Limits and
	// httpserver.RunOptions); each is 1 or more.
	MaxConnections        int      `json:"maxConnections"`        // connections open at once, default DefaultMaxConnections
	MaxStreamsPerKey      int      `json:"maxStreamsPerKey"`      // event streams one key holds open; past it 429
	MaxInflightPerSession int      `json:"maxInflightPerSession"` // requests of one session whose responses are not yet delivered; past it 429
	WriteTimeout          Duration `json:"writeTimeout"`          // time limit of one write to a client (a response, an event)
	SessionIdleTimeout    Duration `json:"sessionIdleTimeout"`    // a streamable HTTP session unused this long ends
	MaxSessions           int      `json:"maxSessions"`           // streamable HTTP sessions live at once; past it 503
	MaxSessionsPerKey     int      `json:"maxSessionsPerKey"`     // sessions one key holds; past it 429
	// MaxSubscriptionsPerSession caps the resource URIs one session (or
	// one 2026-07-28 subscriptions/listen stream) is subscribed to; past
	// it a subscription is acknowledged but not recorded (see
	// tools.Options.MaxSubscriptions).
	MaxSubscriptionsPerSession int `json:"maxSubscriptionsPerSession"`
	// ConfirmKeyFile holds a secret shared by replicas to sign the removal
	// confirmations that clients echo back; random per process when empty.
	ConfirmKeyFile string   `json:"confirmKeyFile"`
	ConfirmKey     string   `json:"-"` // the secret read from ConfirmKeyFile; "" when none
	APIKey         string   `json:"-"` // the agent's API key, from APIKeyFile or ALFE_API_KEY; never printed
	Args           []string `json:"-"` // positional arguments, e.g. call's tool name
	File           string   `json:"-"` // the config file read, if any
}

// Defaults of the HTTP transports. The limits' defaults are
// httpserver.DefaultLimits'; the config package does not import the
// transport, and a test holds the two together.
const (
	DefaultAddr                  = "127.0.0.1:8080"
	DefaultShutdownTimeout       = 10 * time.Second
	DefaultDrainDelay            = 5 * time.Second
	DefaultMaxConnections        = 1024
	DefaultMaxStreamsPerKey      = 64
	DefaultMaxInflightPerSession = 32
	DefaultWriteTimeout          = 10 * time.Second
	DefaultSessionIdleTimeout    = 30 * time.Minute
	DefaultMaxSessions           = 5000
	DefaultMaxSessionsPerKey     = 500
	// DefaultMaxSubscriptionsPerSession is tools.DefaultMaxSubscriptions
	// (limits_test.go at the root holds the two together).
	DefaultMaxSubscriptionsPerSession = 100
)

// MaxRetries is the most attempts --retries allows.
const MaxRetries = 10

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		APIURL:                     apiclient.DefaultBaseURL,
		Timeout:                    Duration(apiclient.DefaultTimeout),
		Retries:                    apiclient.DefaultMaxAttempts,
		LogLevel:                   "info",
		LogFormat:                  "text",
		Addr:                       DefaultAddr,
		DrainDelay:                 Duration(DefaultDrainDelay),
		ShutdownTimeout:            Duration(DefaultShutdownTimeout),
		MaxConnections:             DefaultMaxConnections,
		MaxStreamsPerKey:           DefaultMaxStreamsPerKey,
		MaxInflightPerSession:      DefaultMaxInflightPerSession,
		WriteTimeout:               Duration(DefaultWriteTimeout),
		SessionIdleTimeout:         Duration(DefaultSessionIdleTimeout),
		MaxSessions:                DefaultMaxSessions,
		MaxSubscriptionsPerSession: DefaultMaxSubscriptionsPerSession,
		MaxSessionsPerKey:          DefaultMaxSessionsPerKey,
	}
}

// Duration is a time.Duration written as a string such as "30s" in JSON.
type Duration time.Duration

// UnmarshalJSON reads "30s" (or a number of seconds).
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		var secs float64
		if err2 := json.Unmarshal(b, &secs); err2 != nil {
			return fmt.Errorf("a duration must be a string such as \"30s\"")
		}
		*d = Duration(secs * float64(time.Second))
		return nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("invalid duration %q: use e.g. \"30s\" or \"1m\"", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

// Load parses a command's arguments (after its name), taking the flags of
// groups only, then merges flags over the environment over the config file
// (--config) over the defaults. Positional arguments may stand before,
// between or after the flags, and end up in Config.Args. It reads the API
// key from --api-key-file, else ALFE_API_KEY, else the file's apiKeyFile. A
// missing key is not an error here: the caller decides whether it needs
// one.
//
// Every error is the user's to fix. A mistake in the command line itself
// (an unknown flag, a flag of another group, a bad or missing value) is a
// *UsageError; -h, -help and --help give flag.ErrHelp; the others are
// wrong settings, wherever they came from.
func Load(args []string, groups []Group, getenv func(string) string) (Config, error) {
	given, positional, err := parseArgs(args, groups)
	if err != nil {
		return Config{}, err
	}
	specs := flagSpecs()
	cfg := Defaults()
	if set, ok := given["config"]; ok {
		set(&cfg) // the file's path, in cfg.File
	}
	if cfg.File != "" {
		if err := cfg.readFile(cfg.File); err != nil {
			return Config{}, err
		}
	}
	fileKeyPath := cfg.APIKeyFile

	// Environment over the file.
	if v := getenv(EnvAPIURL); v != "" {
		cfg.APIURL = v
	}
	envKey := strings.TrimSpace(getenv(EnvAPIKey))

	// Flags over everything, in the table's order.
	for _, spec := range specs {
		if set, ok := given[spec.Name]; ok {
			set(&cfg)
		}
	}
	if cfg.ConfirmKeyFile != "" {
		secret, err := readSecretFile("confirmation key file", cfg.ConfirmKeyFile)
		if err != nil {
			return Config{}, err
		}
		if len(secret) < minConfirmKeyLen {
			return Config{}, fmt.Errorf("confirmation key file %s holds %d characters; use at least %d (e.g. openssl rand -hex 32)", cfg.ConfirmKeyFile, len(secret), minConfirmKeyLen)
		}
		cfg.ConfirmKey = secret
	}
	cfg.Args = positional

	_, keyFlag := given["api-key-file"]
	var keySource string // where the key came from, for its errors
	switch {
	case keyFlag:
		key, err := readKeyFile(cfg.APIKeyFile)
		if err != nil {
			return Config{}, err
		}
		cfg.APIKey, keySource = key, "the API key in "+cfg.APIKeyFile+" (--api-key-file)"
	case envKey != "":
		cfg.APIKey, keySource = envKey, "the API key in "+EnvAPIKey
	case fileKeyPath != "":
		key, err := readKeyFile(fileKeyPath)
		if err != nil {
			return Config{}, err
		}
		cfg.APIKey, keySource = key, "the API key in "+fileKeyPath+" (apiKeyFile of "+cfg.File+")"
	}
	if cfg.APIKey != "" {
		// A key that cannot be Alfe's is refused here, even with
		// --sandbox: redaction would corrupt results with it.
		var bad *apiclient.KeyError
		if errors.As(apiclient.CheckKey(cfg.APIKey), &bad) {
			return Config{}, &BadKeyError{Source: keySource, Err: bad}
		}
	}
	return cfg, cfg.validate()
}

// ParseArgs parses a command's arguments as Load does, taking the flags of
// groups only, and returns the positional ones; it reads no file and no
// environment. It is for commands that take no configuration, such as
// version (groups nil: every flag is refused). Its errors are Load's.
func ParseArgs(args []string, groups []Group) ([]string, error) {
	_, positional, err := parseArgs(args, groups)
	return positional, err
}

// parseArgs parses args with every flag defined, so that a flag of another
// command is recognised and refused by name, and returns what each flag
// given sets (its last value) and the positional arguments.
func parseArgs(args []string, groups []Group) (given map[string]func(*Config), positional []string, err error) {
	specs := flagSpecs()
	fs := flag.NewFlagSet("alfe-mcp", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the caller prints help and errors
	fs.Usage = func() {}
	given = map[string]func(*Config){}
	for _, spec := range specs {
		fn := func(v string) error {
			set, err := spec.parse(v)
			if err != nil {
				return err
			}
			given[spec.Name] = set
			return nil
		}
		if spec.Arg == "" {
			fs.BoolFunc(spec.Name, spec.Usage, fn)
		} else {
			fs.Func(spec.Name, spec.Usage, fn)
		}
	}
	// Positional arguments may stand before, between or after the flags.
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, nil, err
			}
			return nil, nil, &UsageError{Err: err}
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	for _, spec := range specs {
		if _, ok := given[spec.Name]; ok && !slices.Contains(groups, spec.Group) {
			return nil, nil, &UsageError{Flag: spec.Name, Group: spec.Group}
		}
	}
	return given, positional, nil
}

// UsageError is a mistake in the command line itself: a flag the command
// does not take, or a flag value that does not parse. Callers point the
// user at the command's help.
type UsageError struct {
	// Err is what package flag said: an unknown flag, a missing or bad
	// value. Nil when Flag is set.
	Err error
	// Flag is a flag that exists but belongs to other commands, without its
	// dashes.
	Flag string
	// Group is Flag's group.
	Group Group
}

// Error reads, e.g., "flag provided but not defined: -nope" or "--stateless
// is not a flag of this command".
func (e *UsageError) Error() string {
	if e.Err != nil {
		return e.Err.Error()
	}
	return "--" + e.Flag + " is not a flag of this command"
}

// Unwrap returns Err.
func (e *UsageError) Unwrap() error { return e.Err }

func (c *Config) readFile(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return fmt.Errorf("config file %s: %v", path, err)
	}
	if err := dec.Decode(&json.RawMessage{}); err != io.EOF {
		return fmt.Errorf("config file %s: unexpected data after the JSON object", path)
	}
	c.File = path
	// A relative key file is relative to the config file.
	for _, f := range []*string{&c.APIKeyFile, &c.ConfirmKeyFile} {
		if *f = expandHome(*f); *f != "" && !filepath.IsAbs(*f) {
			*f = filepath.Join(filepath.Dir(path), *f)
		}
	}
	return nil
}

func (c Config) validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return fmt.Errorf("log format %q: use text or json", c.LogFormat)
	}
	if c.Timeout < 0 {
		return errors.New("timeout must not be negative")
	}
	if c.Retries < 1 || c.Retries > MaxRetries {
		return fmt.Errorf("retries %d: use 1 (no retry) to %d attempts in all", c.Retries, MaxRetries)
	}
	if c.ShutdownTimeout < 0 {
		return errors.New("shutdown timeout must not be negative")
	}
	if c.DrainDelay < 0 {
		return errors.New("drain delay must not be negative")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: use host:port, e.g. %s", c.Addr, DefaultAddr)
	}
	if _, _, err := net.SplitHostPort(c.MetricsAddr); c.MetricsAddr != "" && err != nil {
		return fmt.Errorf("metrics address %q: use host:port, e.g. 127.0.0.1:9090", c.MetricsAddr)
	}
	if err := c.validateLimits(); err != nil {
		return err
	}
	if err := apiclient.ValidateBaseURL(c.APIURL); err != nil {
		return err
	}
	return nil
}

// validateLimits checks that every limit of the HTTP transports is
// positive: a limit of zero would refuse everything, and none is unlimited.
func (c Config) validateLimits() error {
	for _, n := range []struct {
		flag string
		v    int
	}{
		{"max-connections", c.MaxConnections},
		{"max-streams-per-key", c.MaxStreamsPerKey},
		{"max-inflight-per-session", c.MaxInflightPerSession},
		{"max-sessions", c.MaxSessions},
		{"max-sessions-per-key", c.MaxSessionsPerKey},
		{"max-subscriptions-per-session", c.MaxSubscriptionsPerSession},
	} {
		if n.v < 1 {
			return fmt.Errorf("--%s %d: use 1 or more", n.flag, n.v)
		}
	}
	for _, d := range []struct {
		flag string
		v    Duration
	}{
		{"write-timeout", c.WriteTimeout},
		{"session-idle-timeout", c.SessionIdleTimeout},
	} {
		if d.v <= 0 {
			return fmt.Errorf("--%s %s: use a positive duration", d.flag, time.Duration(d.v))
		}
	}
	return nil
}

// minConfirmKeyLen is the shortest confirmation key accepted.
const minConfirmKeyLen = 32

// readKeyFile reads an API key from a file, trimming surrounding space.
func readKeyFile(path string) (string, error) {
	return readSecretFile("API key file", path)
}

// readSecretFile reads a one-line secret from a file, trimming surrounding
// space; what names the file in errors.
func readSecretFile(what, path string) (string, error) {
	f, err := os.Open(expandHome(path))
	if err != nil {
		return "", fmt.Errorf("%s: %v", what, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxKeyFileBytes+1))
	if err != nil {
		return "", fmt.Errorf("%s %s: %v", what, path, err)
	}
	if len(b) > maxKeyFileBytes {
		return "", fmt.Errorf("%s %s is larger than %d bytes; it should hold only the secret", what, path, maxKeyFileBytes)
	}
	key := strings.TrimSpace(string(b))
	if key == "" {
		return "", fmt.Errorf("%s %s is empty", what, path)
	}
	if strings.ContainsAny(key, "\r\n\t ") {
		return "", fmt.Errorf("%s %s must hold the secret alone, on one line", what, path)
	}
	return key, nil
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return p
}

func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}

// BadKeyError is Load's error for a key that cannot be an Alfe agent API
// key (apiclient.CheckKey): too short, or of other characters. Source says
// where the key came from, e.g. "the API key in ALFE_API_KEY".
type BadKeyError struct {
	Source string
	Err    *apiclient.KeyError
}

func (e *BadKeyError) Error() string {
	return fmt.Sprintf("%s is not an Alfe agent API key: %s; check that the whole key was copied, without quotes", e.Source, e.Err.Reason)
}

// Unwrap returns the apiclient.KeyError.
func (e *BadKeyError) Unwrap() error { return e.Err }
