package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Three loopback URLs, one per source, so that a result names its source.
const (
	fileURL = "http://127.0.0.1:1111"
	envURL  = "http://127.0.0.1:2222"
	flagURL = "http://127.0.0.1:3333"
)

// Keys, one per source.
const (
	flagFileKey   = "key_from_the_flag_file"
	envKey        = "key_from_the_environment"
	configFileKey = "key_from_the_config_file"
)

// envOf returns a getenv over m: Load never reads the real environment.
func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// writeFile writes content to dir/name (creating directories) and returns
// the path.
func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadDefaults(t *testing.T) {
	cfg, err := Load(nil, allGroups, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if want := Defaults(); !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load with nothing set:\n got %+v\nwant %+v", cfg, want)
	}
	if cfg.APIKey != "" {
		t.Errorf("APIKey %q, want empty: a missing key is for the caller to report", cfg.APIKey)
	}
}

// TestLoadIgnoresProcessEnvironment checks Load reads only its getenv.
func TestLoadIgnoresProcessEnvironment(t *testing.T) {
	t.Setenv(EnvAPIKey, "real_env_key")
	t.Setenv(EnvAPIURL, "ftp://not-used")
	cfg, err := Load(nil, allGroups, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.APIKey != "" || cfg.APIURL != Defaults().APIURL {
		t.Errorf("Load read the process environment: key %q, url %q", cfg.APIKey, cfg.APIURL)
	}
}

// fullFile sets every field of the config file to a value of its own.
const fullFile = `{
  "apiUrl": "` + fileURL + `",
  "timeout": "5s",
  "readOnly": true,
  "tools": ["get_registry", "list_integrations"],
  "logLevel": "debug",
  "logFormat": "json",
  "sandbox": true,
  "addr": "127.0.0.1:9001",
  "allowedOrigins": ["https://file.example"],
  "stateless": true,
  "shutdownTimeout": "3s"
}`

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgPath := writeFile(t, dir, "full.json", fullFile)
	// fromFile is the configuration fullFile gives.
	fromFile := func(c *Config) {
		c.File = cfgPath
		c.APIURL = fileURL
		c.Timeout = Duration(5 * time.Second)
		c.ReadOnly = true
		c.Tools = []string{"get_registry", "list_integrations"}
		c.LogLevel = "debug"
		c.LogFormat = "json"
		c.Sandbox = true
		c.Addr = "127.0.0.1:9001"
		c.AllowedOrigins = []string{"https://file.example"}
		c.Stateless = true
		c.ShutdownTimeout = Duration(3 * time.Second)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want func(*Config) // applied to Defaults()
	}{
		{"defaults", nil, nil, func(*Config) {}},
		{"file over defaults", nil, []string{"--config", cfgPath}, fromFile},
		{"env over defaults", map[string]string{EnvAPIURL: envURL}, nil, func(c *Config) { c.APIURL = envURL }},
		{"env over file", map[string]string{EnvAPIURL: envURL}, []string{"--config", cfgPath}, func(c *Config) {
			fromFile(c)
			c.APIURL = envURL
		}},
		{"flag over env", map[string]string{EnvAPIURL: envURL}, []string{"--api-url", flagURL}, func(c *Config) { c.APIURL = flagURL }},
		{"flags over env over file, every field", map[string]string{EnvAPIURL: envURL}, []string{
			"--config", cfgPath,
			"--api-url", flagURL,
			"--timeout", "7s",
			"--read-only=false",
			"--tools", " get_oauth_url , ,get_oauth_status ",
			"--log-level", "error",
			"--log-format", "text",
			"--sandbox=false",
			"--addr", "127.0.0.1:9002",
			"--allowed-origins", "https://flag.example,https://other.example",
			"--stateless=false",
			"--shutdown-timeout", "4s",
		}, func(c *Config) {
			fromFile(c)
			c.APIURL = flagURL
			c.Timeout = Duration(7 * time.Second)
			c.ReadOnly = false
			c.Tools = []string{"get_oauth_url", "get_oauth_status"}
			c.LogLevel = "error"
			c.LogFormat = "text"
			c.Sandbox = false
			c.Addr = "127.0.0.1:9002"
			c.AllowedOrigins = []string{"https://flag.example", "https://other.example"}
			c.Stateless = false
			c.ShutdownTimeout = Duration(4 * time.Second)
		}},
		{"flags over defaults", nil, []string{"--read-only", "--tools", "get_registry", "--timeout", "1m", "--log-level", "warn", "--sandbox", "--stateless"}, func(c *Config) {
			c.ReadOnly = true
			c.Tools = []string{"get_registry"}
			c.Timeout = Duration(time.Minute)
			c.LogLevel = "warn"
			c.Sandbox = true
			c.Stateless = true
		}},
		{"empty --tools clears the file's allowlist", nil, []string{"--config", cfgPath, "--tools", ""}, func(c *Config) {
			fromFile(c)
			c.Tools = nil
		}},
		{"empty env URL is unset", map[string]string{EnvAPIURL: ""}, []string{"--config", cfgPath}, fromFile},
		{"flags after positional arguments", nil, []string{"get_registry", "--read-only", `{"query":"git"}`, "--log-level", "debug"}, func(c *Config) {
			c.ReadOnly = true
			c.LogLevel = "debug"
			c.Args = []string{"get_registry", `{"query":"git"}`}
		}},
		{"positional arguments after --", nil, []string{"--read-only", "--", "-x"}, func(c *Config) {
			c.ReadOnly = true
			c.Args = []string{"-x"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Load(tt.args, allGroups, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			want := Defaults()
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

// TestLoadFileValues covers the forms a config file may use.
func TestLoadFileValues(t *testing.T) {
	tests := []struct {
		name, file string
		want       func(*Config)
	}{
		{"empty object", `{}`, func(*Config) {}},
		{"null", `null`, func(*Config) {}},
		{"timeout as seconds", `{"timeout": 12}`, func(c *Config) { c.Timeout = Duration(12 * time.Second) }},
		{"timeout as fractional seconds", `{"timeout": 1.5}`, func(c *Config) { c.Timeout = Duration(1500 * time.Millisecond) }},
		{"timeout compound", `{"timeout": "1m30s"}`, func(c *Config) { c.Timeout = Duration(90 * time.Second) }},
		{"empty tools", `{"tools": []}`, func(c *Config) { c.Tools = []string{} }},
		{"partial file keeps defaults", `{"logLevel": "warn"}`, func(c *Config) { c.LogLevel = "warn" }},
		{"trailing whitespace", "{\"readOnly\": true}\n\n", func(c *Config) { c.ReadOnly = true }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := writeFile(t, t.TempDir(), "c.json", tt.file)
			got, err := Load([]string{"--config", p}, allGroups, envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			want := Defaults()
			want.File = p
			tt.want(&want)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestLoadAPIKey(t *testing.T) {
	dir := t.TempDir()
	flagKeyPath := writeFile(t, dir, "flag.key", flagFileKey+"\n")
	// The config lives in a directory of its own; its apiKeyFile is relative
	// to it, not to the working directory.
	cfgDir := filepath.Join(dir, "conf")
	writeFile(t, cfgDir, "secrets/alfe.key", "  "+configFileKey+"\r\n")
	relCfg := writeFile(t, cfgDir, "relative.json", `{"apiKeyFile": "secrets/alfe.key"}`)
	absKeyPath := writeFile(t, dir, "abs.key", configFileKey)
	absCfg := writeFile(t, dir, "absolute.json", `{"apiKeyFile": "`+absKeyPath+`"}`)
	missingCfg := writeFile(t, cfgDir, "missing.json", `{"apiKeyFile": "nope.key"}`)

	tests := []struct {
		name        string
		env         map[string]string
		args        []string
		wantKey     string
		wantKeyFile string
	}{
		{"none", nil, nil, "", ""},
		{"env", map[string]string{EnvAPIKey: envKey}, nil, envKey, ""},
		{"env trimmed", map[string]string{EnvAPIKey: "  " + envKey + "\n"}, nil, envKey, ""},
		{"flag file, trailing newline trimmed", nil, []string{"--api-key-file", flagKeyPath}, flagFileKey, flagKeyPath},
		{"flag file beats env", map[string]string{EnvAPIKey: envKey}, []string{"--api-key-file", flagKeyPath}, flagFileKey, flagKeyPath},
		{"flag file beats env and config", map[string]string{EnvAPIKey: envKey}, []string{"--config", relCfg, "--api-key-file", flagKeyPath}, flagFileKey, flagKeyPath},
		{"env beats config apiKeyFile", map[string]string{EnvAPIKey: envKey}, []string{"--config", relCfg}, envKey, filepath.Join(cfgDir, "secrets/alfe.key")},
		{"env beats a missing config apiKeyFile", map[string]string{EnvAPIKey: envKey}, []string{"--config", missingCfg}, envKey, filepath.Join(cfgDir, "nope.key")},
		{"config apiKeyFile relative to the config", nil, []string{"--config", relCfg}, configFileKey, filepath.Join(cfgDir, "secrets/alfe.key")},
		{"config apiKeyFile when env is blank", map[string]string{EnvAPIKey: "   "}, []string{"--config", relCfg}, configFileKey, filepath.Join(cfgDir, "secrets/alfe.key")},
		{"config apiKeyFile absolute", nil, []string{"--config", absCfg}, configFileKey, absKeyPath},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(tt.args, allGroups, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.APIKey != tt.wantKey {
				t.Errorf("APIKey %q, want %q", cfg.APIKey, tt.wantKey)
			}
			if cfg.APIKeyFile != tt.wantKeyFile {
				t.Errorf("APIKeyFile %q, want %q", cfg.APIKeyFile, tt.wantKeyFile)
			}
		})
	}
}

func TestLoadAPIKeyFileInHome(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home) // os.UserHomeDir; not parallel
	writeFile(t, home, ".alfe/key", configFileKey+"\n")
	cfgPath := writeFile(t, t.TempDir(), "c.json", `{"apiKeyFile": "~/.alfe/key"}`)
	tests := []struct {
		name string
		args []string
	}{
		{"flag", []string{"--api-key-file", "~/.alfe/key"}},
		{"config", []string{"--config", cfgPath}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(tt.args, allGroups, envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			if cfg.APIKey != configFileKey {
				t.Errorf("APIKey %q, want %q", cfg.APIKey, configFileKey)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	secret := "sk_live_SHOULD_NOT_LEAK"
	file := func(name, content string) string { return writeFile(t, dir, name, content) }
	emptyKey := file("empty.key", " \n\t\n")
	twoTokens := file("two.key", secret+" "+secret+"\n")
	bigKey := file("big.key", strings.Repeat("k", maxKeyFileBytes+1))
	maxKey := file("max.key", strings.Repeat("k", maxKeyFileBytes))
	const shortKey = "sk_live_SHORT15" // 15 characters
	shortFile := file("short.key", shortKey+"\n")

	tests := []struct {
		name string
		env  map[string]string
		args []string
		want []string // substrings of the error
	}{
		{"unknown config field", nil, []string{"--config", file("unknown.json", `{"logLevel":"info","apiKey":"`+secret+`"}`)}, []string{"unknown.json", `unknown field "apiKey"`}},
		{"config field in the wrong case", nil, []string{"--config", file("case.json", `{"LOGLEVEL":"info","log_level":"x"}`)}, []string{`unknown field`}},
		{"bad JSON", nil, []string{"--config", file("bad.json", `{"logLevel": "info",}`)}, []string{"bad.json", "invalid character"}},
		{"truncated JSON", nil, []string{"--config", file("trunc.json", `{"logLevel": "info"`)}, []string{"trunc.json"}},
		{"trailing data after the object", nil, []string{"--config", file("trailing.json", `{"logLevel": "info"} {"readOnly": true}`)}, []string{"trailing.json", "after the JSON object"}},
		{"stray brace after the object", nil, []string{"--config", file("brace.json", `{"readOnly": true} }`)}, []string{"brace.json", "after the JSON object"}},
		{"trailing garbage after the object", nil, []string{"--config", file("garbage.json", "{}\nreadOnly: true\n")}, []string{"garbage.json"}},
		{"not an object", nil, []string{"--config", file("array.json", `["info"]`)}, []string{"array.json", "cannot unmarshal array"}},
		{"wrong field type", nil, []string{"--config", file("type.json", `{"readOnly": "yes"}`)}, []string{"type.json", "readOnly"}},
		{"tools not an array", nil, []string{"--config", file("tools.json", `{"tools": "get_registry"}`)}, []string{"tools.json", "tools"}},
		{"missing config file", nil, []string{"--config", filepath.Join(dir, "absent.json")}, []string{"config file", "absent.json"}},
		{"bad duration in file", nil, []string{"--config", file("dur.json", `{"timeout": "soon"}`)}, []string{"dur.json", `invalid duration "soon"`}},
		{"duration of the wrong type", nil, []string{"--config", file("durtype.json", `{"timeout": true}`)}, []string{"durtype.json", "duration"}},
		{"bad duration flag", nil, []string{"--timeout", "soon"}, []string{"-timeout"}},
		{"negative timeout flag", nil, []string{"--timeout", "-1s"}, []string{"timeout must not be negative"}},
		{"negative timeout in file", nil, []string{"--config", file("neg.json", `{"timeout": -3}`)}, []string{"timeout must not be negative"}},
		{"negative shutdown timeout", nil, []string{"--shutdown-timeout", "-1s"}, []string{"shutdown timeout must not be negative"}},
		{"bad log level flag", nil, []string{"--log-level", "verbose"}, []string{`log level "verbose"`, "debug, info, warn or error"}},
		{"bad log level in file", nil, []string{"--config", file("level.json", `{"logLevel": "trace"}`)}, []string{`log level "trace"`}},
		{"empty log level flag", nil, []string{"--log-level", ""}, []string{`log level ""`}},
		{"bad log format flag", nil, []string{"--log-format", "xml"}, []string{`log format "xml"`, "text or json"}},
		{"bad log format in file", nil, []string{"--config", file("format.json", `{"logFormat": "logfmt"}`)}, []string{`log format "logfmt"`}},
		{"non-http URL flag", nil, []string{"--api-url", "ftp://127.0.0.1/"}, []string{"ftp://127.0.0.1/", "http(s)"}},
		{"non-http URL env", map[string]string{EnvAPIURL: "127.0.0.1:8080"}, nil, []string{"http(s)"}},
		{"non-http URL in file", nil, []string{"--config", file("url.json", `{"apiUrl": "file:///etc/passwd"}`)}, []string{"http(s)"}},
		{"URL without host", nil, []string{"--api-url", "http://"}, []string{"http(s)"}},
		{"URL with a query", nil, []string{"--api-url", "http://127.0.0.1/?x=1"}, []string{`API URL "http://127.0.0.1/?x=1" must not carry a query`}},
		{"URL with a password", nil, []string{"--api-url", "https://u:" + secret + "@api.alfe.ai"}, []string{`API URL "https://u:xxxxx@api.alfe.ai"`, "user info"}},
		{"bad listen address", nil, []string{"--addr", "8080"}, []string{`listen address "8080"`}},
		{"unknown flag", nil, []string{"--api-key", secret}, []string{"-api-key"}},
		{"empty key file", nil, []string{"--api-key-file", emptyKey}, []string{"empty.key", "is empty"}},
		{"missing key file", nil, []string{"--api-key-file", filepath.Join(dir, "absent.key")}, []string{"API key file", "absent.key"}},
		{"missing key file from config", nil, []string{"--config", file("conf/missing-key.json", `{"apiKeyFile": "absent.key"}`)}, []string{"API key file", filepath.Join(dir, "conf", "absent.key")}},
		{"empty key file from config", nil, []string{"--config", file("empty-key.json", `{"apiKeyFile": "empty.key"}`)}, []string{"is empty"}},
		{"oversize key file", nil, []string{"--api-key-file", bigKey}, []string{"big.key", "larger than 4096 bytes"}},
		{"key file of two tokens", nil, []string{"--api-key-file", twoTokens}, []string{"two.key", "on one line"}},
		{"key file that is a directory", nil, []string{"--api-key-file", dir}, []string{"API key file"}},
		// The key file is read before the other settings are checked, and
		// its errors win over the env key.
		{"flag key file error beats env key", map[string]string{EnvAPIKey: envKey}, []string{"--api-key-file", emptyKey}, []string{"is empty"}},
		// A key redaction could corrupt results with (apiclient.CheckKey):
		// the error names where it came from, never the key.
		{"short env key", map[string]string{EnvAPIKey: shortKey}, nil, []string{EnvAPIKey, "15 characters", "at least 16"}},
		{"short flag key file", nil, []string{"--api-key-file", shortFile}, []string{"--api-key-file", "short.key", "15 characters", "at least 16"}},
		{"short config key file", nil, []string{"--config", file("short-key.json", `{"apiKeyFile": "short.key"}`)}, []string{"apiKeyFile", "short.key", "15 characters"}},
		{"env key of other characters", map[string]string{EnvAPIKey: `sk_live_"` + shortKey + `"`}, nil, []string{EnvAPIKey, "character"}},
		{"short env key with --sandbox", map[string]string{EnvAPIKey: shortKey}, []string{"--sandbox"}, []string{EnvAPIKey, "at least 16"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg, err := Load(tt.args, allGroups, envOf(tt.env))
			if err == nil {
				t.Fatalf("no error; config %+v", cfg)
			}
			for _, want := range tt.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q lacks %q", err, want)
				}
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), shortKey) {
				t.Errorf("the secret leaks: error %q", err)
			}
		})
	}

	t.Run("key file of exactly the limit", func(t *testing.T) {
		cfg, err := Load([]string{"--api-key-file", maxKey}, allGroups, envOf(nil))
		if err != nil || len(cfg.APIKey) != maxKeyFileBytes {
			t.Errorf("err %v, key length %d", err, len(cfg.APIKey))
		}
	})
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Duration
		wantErr bool
	}{
		{`"30s"`, 30 * time.Second, false},
		{`"1h2m"`, time.Hour + 2*time.Minute, false},
		{`"0"`, 0, false},
		{`45`, 45 * time.Second, false},
		{`0.25`, 250 * time.Millisecond, false},
		{`"30"`, 0, true}, // a string needs a unit
		{`"soon"`, 0, true},
		{`true`, 0, true},
		{`{}`, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var d Duration
			err := d.UnmarshalJSON([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && time.Duration(d) != tt.want {
				t.Errorf("got %v, want %v", time.Duration(d), tt.want)
			}
		})
	}
	b, err := Duration(90 * time.Second).MarshalJSON()
	if err != nil || string(b) != `"1m30s"` {
		t.Errorf("MarshalJSON: %s, %v", b, err)
	}
}

// TestExampleConfig loads the repository's config.example.json, which the
// README points users at.
func TestExampleConfig(t *testing.T) {
	path := filepath.Join("..", "..", "config.example.json")
	cfg, err := Load([]string{"--config", path}, allGroups, envOf(nil))
	if err != nil {
		t.Fatalf("config.example.json does not load: %v", err)
	}
	if cfg.File != path {
		t.Errorf("File %q, want %q", cfg.File, path)
	}
	if cfg.APIKey != "" {
		t.Errorf("the example configures a key: it must not hold one")
	}
}
