package config

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// allGroups are every group of flags, as a command that took them all would.
var allGroups = []Group{APIFlags, ToolFlags, HTTPFlags, LimitFlags, SessionFlags, ReplicaFlags, LogFlags, FileFlags}

func TestLoadHelp(t *testing.T) {
	for _, arg := range []string{"-h", "--help", "-help"} {
		t.Run(arg, func(t *testing.T) {
			if _, err := Load([]string{"--read-only", arg}, []Group{ToolFlags}, envOf(nil)); !errors.Is(err, flag.ErrHelp) {
				t.Errorf("err %v, want flag.ErrHelp", err)
			}
		})
	}
}

// Mistakes in the command line are UsageErrors; a flag of a group the
// command does not take is refused by name, even when it is well formed.
func TestLoadUsageErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		groups    []Group
		wantFlag  string
		wantGroup Group
		wantText  string
	}{
		{"unknown flag", []string{"--nope"}, allGroups, "", 0, "flag provided but not defined: -nope"},
		{"missing value", []string{"--addr"}, allGroups, "", 0, "flag needs an argument: -addr"},
		{"bad duration", []string{"--timeout", "soon"}, allGroups, "", 0, `invalid value "soon" for flag -timeout: use a duration such as 30s or 1m`},
		{"bad number", []string{"--retries=many"}, allGroups, "", 0, `invalid value "many" for flag -retries: use a whole number`},
		{"bad switch value", []string{"--read-only=maybe"}, allGroups, "", 0, `invalid boolean value "maybe" for -read-only: use true or false`},
		{"a flag of another group", []string{"--stateless"}, []Group{APIFlags, HTTPFlags}, "stateless", ReplicaFlags, "--stateless is not a flag of this command"},
		{"another group's flag after a positional argument", []string{"get_registry", "--addr", "127.0.0.1:1"}, []Group{APIFlags, ToolFlags}, "addr", HTTPFlags, "--addr is not a flag of this command"},
		{"another group's switch set to false", []string{"--sandbox=false"}, []Group{ToolFlags, FileFlags}, "sandbox", APIFlags, "--sandbox is not a flag of this command"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, tt.groups, envOf(nil))
			var ue *UsageError
			if !errors.As(err, &ue) {
				t.Fatalf("err %v (%T), want a *UsageError", err, err)
			}
			if ue.Flag != tt.wantFlag || (tt.wantFlag != "" && ue.Group != tt.wantGroup) {
				t.Errorf("Flag %q, Group %v; want %q, %v", ue.Flag, ue.Group, tt.wantFlag, tt.wantGroup)
			}
			if err.Error() != tt.wantText {
				t.Errorf("error %q, want %q", err, tt.wantText)
			}
		})
	}
}

// Each flag and its config file field are one setting: setting either to
// the same value gives the same configuration. The samples cover every
// flag, so a new flag needs one here.
func TestFlagsAndFileFieldsAreOneSetting(t *testing.T) {
	dir := t.TempDir()
	keyFile := writeFile(t, dir, "api.key", "key_from_the_key_file\n")
	confirmFile := writeFile(t, dir, "confirm.key", strings.Repeat("c", minConfirmKeyLen)+"\n")
	samples := map[string]struct {
		flag  string // the flag's value
		field string // the same as the file's JSON
	}{
		"api-url":          {"http://127.0.0.1:9", `"http://127.0.0.1:9"`},
		"api-key-file":     {keyFile, `"` + keyFile + `"`},
		"sandbox":          {"true", `true`},
		"timeout":          {"7s", `"7s"`},
		"retries":          {"5", `5`},
		"read-only":        {"true", `true`},
		"tools":            {"get_registry,list_integrations", `["get_registry","list_integrations"]`},
		"addr":             {"127.0.0.1:9", `"127.0.0.1:9"`},
		"allowed-origins":  {"https://a.example,https://b.example", `["https://a.example","https://b.example"]`},
		"shutdown-timeout": {"3s", `"3s"`},
		"stateless":        {"true", `true`},
		"confirm-key-file": {confirmFile, `"` + confirmFile + `"`},
		"log-level":        {"debug", `"debug"`},
		"log-format":       {"json", `"json"`},
		// Issue 11: the drain, metrics and limits of the HTTP transports.
		"drain-delay":                   {"2s", `"2s"`},
		"metrics-addr":                  {"127.0.0.1:9", `"127.0.0.1:9"`},
		"max-connections":               {"9", `9`},
		"max-streams-per-key":           {"9", `9`},
		"max-inflight-per-session":      {"9", `9`},
		"max-subscriptions-per-session": {"7", `7`},
		"write-timeout":                 {"9s", `"9s"`},
		"session-idle-timeout":          {"9m", `"9m"`},
		"max-sessions":                  {"9", `9`},
		"max-sessions-per-key":          {"9", `9`},
	}
	for _, f := range Flags() {
		if f.Field == "" {
			if f.Name != "config" {
				t.Errorf("--%s has no config file field", f.Name)
			}
			continue
		}
		t.Run(f.Name, func(t *testing.T) {
			sample, ok := samples[f.Name]
			if !ok {
				t.Fatalf("no sample value for --%s", f.Name)
			}
			byFlag, err := Load([]string{"--" + f.Name + "=" + sample.flag}, allGroups, envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			path := writeFile(t, t.TempDir(), "c.json", `{"`+f.Field+`": `+sample.field+`}`)
			byFile, err := Load([]string{"--config", path}, allGroups, envOf(nil))
			if err != nil {
				t.Fatal(err)
			}
			byFile.File = ""
			if !reflect.DeepEqual(byFlag, byFile) {
				t.Errorf("--%s=%s and %q: %s differ:\n flag %+v\n file %+v", f.Name, sample.flag, f.Field, sample.field, byFlag, byFile)
			}
			if reflect.DeepEqual(byFlag, Defaults()) {
				t.Errorf("the sample of --%s is the default: the test proves nothing", f.Name)
			}
		})
	}
}

// WriteFlags lists exactly the flags of the groups given, group by group,
// with defaults and environment variables, within 80 columns.
func TestWriteFlags(t *testing.T) {
	for _, groups := range [][]Group{allGroups, {ToolFlags, FileFlags}, {APIFlags, LogFlags, FileFlags}} {
		var b strings.Builder
		if err := WriteFlags(&b, groups); err != nil {
			t.Fatal(err)
		}
		out := b.String()
		var headings []string
		shown := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
			if len(line) > 80 {
				t.Errorf("line over 80 columns: %q", line)
			}
			if strings.HasSuffix(line, ":") && !strings.HasPrefix(line, " ") {
				headings = append(headings, strings.TrimSuffix(line, ":"))
			}
			if rest, ok := strings.CutPrefix(line, "  --"); ok {
				shown[strings.Fields(rest)[0]] = true
			}
		}
		var want []string
		for _, g := range groups {
			want = append(want, g.String())
		}
		if !slices.Equal(headings, want) {
			t.Errorf("headings %q, want %q", headings, want)
		}
		for _, f := range Flags() {
			if shown[f.Name] != slices.Contains(groups, f.Group) {
				t.Errorf("groups %v: --%s shown: %v\n%s", groups, f.Name, shown[f.Name], out)
			}
		}
		if slices.Contains(groups, APIFlags) {
			for _, want := range []string{"(default https://api.alfe.ai; env ALFE_API_URL)", "env ALFE_API_KEY: the key itself", "(default 30s)"} {
				if !strings.Contains(strings.Join(strings.Fields(out), " "), want) {
					t.Errorf("help lacks %q:\n%s", want, out)
				}
			}
		}
	}
}

// TestExampleConfigHasEveryField: config.example.json, which the README
// points at, shows every field a flag sets.
func TestExampleConfigHasEveryField(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "config.example.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range Flags() {
		if f.Field != "" && !strings.Contains(string(b), `"`+f.Field+`":`) {
			t.Errorf("config.example.json lacks %q (--%s)", f.Field, f.Name)
		}
	}
}
