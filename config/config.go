// Package config loads alfe-mcp's settings from flags, the environment and a
// JSON file, in that order of precedence, over the defaults.
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
	APIURL     string   `json:"apiUrl"`
	APIKeyFile string   `json:"apiKeyFile"`
	Timeout    Duration `json:"timeout"`
	Retries    int      `json:"retries"` // attempts in all for GET, PATCH and DELETE, 1 to MaxRetries
	ReadOnly   bool     `json:"readOnly"`
	Tools      []string `json:"tools"`
	LogLevel   string   `json:"logLevel"`
	LogFormat  string   `json:"logFormat"`
	Sandbox    bool     `json:"sandbox"`
	// The HTTP transports (alfe-mcp http and sse).
	Addr            string   `json:"addr"`            // listen address, default DefaultAddr
	AllowedOrigins  []string `json:"allowedOrigins"`  // browser origins allowed besides the loopback ones
	Stateless       bool     `json:"stateless"`       // streamable HTTP without sessions
	ShutdownTimeout Duration `json:"shutdownTimeout"` // grace period for calls in flight on SIGINT/SIGTERM
	// ConfirmKeyFile holds a secret shared by replicas to sign the removal
	// confirmations that clients echo back; random per process when empty.
	ConfirmKeyFile string   `json:"confirmKeyFile"`
	ConfirmKey     string   `json:"-"`
	APIKey         string   `json:"-"`
	Args           []string `json:"-"` // positional arguments, e.g. call's tool name
	File           string   `json:"-"` // the config file read, if any
}

// Defaults of the HTTP transports.
const (
	DefaultAddr            = "127.0.0.1:8080"
	DefaultShutdownTimeout = 10 * time.Second
)

// MaxRetries is the most attempts --retries allows.
const MaxRetries = 10

// Defaults returns the configuration used when nothing is set.
func Defaults() Config {
	return Config{
		APIURL:          apiclient.DefaultBaseURL,
		Timeout:         Duration(apiclient.DefaultTimeout),
		Retries:         apiclient.DefaultMaxAttempts,
		LogLevel:        "info",
		LogFormat:       "text",
		Addr:            DefaultAddr,
		ShutdownTimeout: Duration(DefaultShutdownTimeout),
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

// Load parses the flags of a subcommand (args excludes the subcommand
// name), then merges flags over the environment over the config file over
// the defaults. It reads the API key from --api-key-file, else ALFE_API_KEY,
// else the file's apiKeyFile. A missing key is not an error here: the caller
// decides whether it needs one. Every error is the user's to fix in the
// command line, the environment or the file; -h gives flag.ErrHelp.
func Load(name string, args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		flagConfig    = fs.String("config", "", "JSON config `file` (see config.example.json)")
		flagURL       = fs.String("api-url", "", "Alfe API `URL` (env "+EnvAPIURL+", default "+apiclient.DefaultBaseURL+")")
		flagKeyFile   = fs.String("api-key-file", "", "read the agent API key from this `file` (otherwise env "+EnvAPIKey+")")
		flagReadOnly  = fs.Bool("read-only", false, "serve only the read-only tools")
		flagTools     = fs.String("tools", "", "comma-separated allowlist of tool `names`")
		flagTimeout   = fs.Duration("timeout", 0, "timeout of each call to the Alfe API, retries included (default 30s)")
		flagRetries   = fs.Int("retries", 0, "most `attempts` in all of a GET, PATCH or DELETE to the Alfe API, 1 to 10 (default 3; 1 disables retries; POST is never retried)")
		flagLevel     = fs.String("log-level", "", "log `level`: debug, info, warn, error (default info)")
		flagFormat    = fs.String("log-format", "", "log `format`: text or json (default text)")
		flagSandbox   = fs.Bool("sandbox", false, "talk to a built-in emulator of the Alfe API instead of the real one (no key or account needed)")
		flagAddr      = fs.String("addr", "", "http and sse: listen `address` host:port (default "+DefaultAddr+")")
		flagOrigins   = fs.String("allowed-origins", "", "http and sse: comma-separated browser `origins` allowed besides http(s)://localhost, 127.0.0.1 and [::1]")
		flagStateless = fs.Bool("stateless", false, "http: serve without sessions, so that replicas need no load-balancer affinity")
		flagConfirm   = fs.String("confirm-key-file", "", "`file` with a secret (32+ characters) shared by replicas to sign removal confirmations (default: random per process)")
		flagShutdown  = fs.Duration("shutdown-timeout", 0, "http and sse: how long calls in flight may finish after SIGINT/SIGTERM (default 10s)")
	)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: alfe-mcp %s [flags]\n\nFlags:\n", name)
		fs.PrintDefaults()
	}
	// Positional arguments may stand before, between or after the flags.
	var positional []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return Config{}, err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	cfg := Defaults()
	if *flagConfig != "" {
		if err := cfg.readFile(*flagConfig); err != nil {
			return Config{}, err
		}
	}
	fileKeyPath := cfg.APIKeyFile

	// Environment over the file.
	if v := getenv(EnvAPIURL); v != "" {
		cfg.APIURL = v
	}
	envKey := strings.TrimSpace(getenv(EnvAPIKey))

	// Flags over everything.
	if set["api-url"] {
		cfg.APIURL = *flagURL
	}
	if set["read-only"] {
		cfg.ReadOnly = *flagReadOnly
	}
	if set["tools"] {
		cfg.Tools = splitList(*flagTools)
	}
	if set["timeout"] {
		cfg.Timeout = Duration(*flagTimeout)
	}
	if set["retries"] {
		cfg.Retries = *flagRetries
	}
	if set["log-level"] {
		cfg.LogLevel = *flagLevel
	}
	if set["log-format"] {
		cfg.LogFormat = *flagFormat
	}
	if set["sandbox"] {
		cfg.Sandbox = *flagSandbox
	}
	if set["addr"] {
		cfg.Addr = *flagAddr
	}
	if set["allowed-origins"] {
		cfg.AllowedOrigins = splitList(*flagOrigins)
	}
	if set["stateless"] {
		cfg.Stateless = *flagStateless
	}
	if set["shutdown-timeout"] {
		cfg.ShutdownTimeout = Duration(*flagShutdown)
	}
	if set["confirm-key-file"] {
		cfg.ConfirmKeyFile = *flagConfirm
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

	switch {
	case set["api-key-file"]:
		cfg.APIKeyFile = *flagKeyFile
		key, err := readKeyFile(*flagKeyFile)
		if err != nil {
			return Config{}, err
		}
		cfg.APIKey = key
	case envKey != "":
		cfg.APIKey = envKey
	case fileKeyPath != "":
		key, err := readKeyFile(fileKeyPath)
		if err != nil {
			return Config{}, err
		}
		cfg.APIKey = key
	}
	return cfg, cfg.validate()
}

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
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("listen address %q: use host:port, e.g. %s", c.Addr, DefaultAddr)
	}
	if _, err := apiclient.New(apiclient.Options{BaseURL: c.APIURL}); err != nil {
		return fmt.Errorf("%v", err)
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
