package main

// Tests of the command line, run in process: the help of alfe-mcp and of
// each command, which flags each command takes, the errors that point at
// the help, and the README's Commands and Configuration sections, which
// must say what the help says.

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/internal/config"
)

var update = flag.Bool("update", false, "rewrite testdata/help/*.txt from the help alfe-mcp prints (go generate ./... runs TestHelp with it)")

// wantFlags are the flags each command takes, written out rather than
// derived from the command table, so that a change to either shows here.
var wantFlags = map[string][]string{
	"stdio": {"api-url", "api-key-file", "sandbox", "timeout", "retries", "read-only", "tools", "log-level", "log-format", "config"},
	"http": {"api-url", "api-key-file", "sandbox", "timeout", "retries", "read-only", "tools", "addr", "allowed-origins", "drain-delay", "shutdown-timeout", "metrics-addr",
		"max-connections", "max-streams-per-key", "max-inflight-per-session", "max-subscriptions-per-session", "write-timeout", "session-idle-timeout", "max-sessions", "max-sessions-per-key",
		"stateless", "confirm-key-file", "log-level", "log-format", "config"},
	"sse": {"api-url", "api-key-file", "sandbox", "timeout", "retries", "read-only", "tools", "addr", "allowed-origins", "drain-delay", "shutdown-timeout", "metrics-addr",
		"max-connections", "max-streams-per-key", "max-inflight-per-session", "max-subscriptions-per-session", "write-timeout", "log-level", "log-format", "config"},
	"call":    {"api-url", "api-key-file", "sandbox", "timeout", "retries", "read-only", "tools", "log-level", "log-format", "config"},
	"check":   {"api-url", "api-key-file", "sandbox", "timeout", "retries", "log-level", "log-format", "config"},
	"tools":   {"read-only", "tools", "config"},
	"version": nil,
	"help":    nil,
}

// runCLI runs the command line args in process, with an empty environment.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut strings.Builder
	code = run(context.Background(), env{args: args, stdin: strings.NewReader(""), stdout: &out, stderr: &errOut, getenv: func(string) string { return "" }})
	return out.String(), errOut.String(), code
}

// TestHelp: every way of asking for help prints it on stdout and exits 0;
// the text is kept in testdata/help/ (go generate ./... rewrites it), fits
// 80 columns, and lists exactly the command's flags.
func TestHelp(t *testing.T) {
	type form struct {
		args   []string
		golden string // file in testdata/help, without .txt
	}
	forms := []form{
		{[]string{"--help"}, "alfe-mcp"},
		{[]string{"-h"}, "alfe-mcp"},
		{[]string{"-help"}, "alfe-mcp"},
		{[]string{"help"}, "alfe-mcp"},
		{[]string{"--read-only", "--help"}, "stdio"}, // alfe-mcp [flags] is stdio
	}
	for _, c := range commands() {
		forms = append(forms,
			form{[]string{c.name, "--help"}, c.name},
			form{[]string{c.name, "-h"}, c.name},
			form{[]string{"help", c.name}, c.name})
	}
	if len(commands()) != len(wantFlags) {
		t.Errorf("%d commands, but wantFlags lists %d", len(commands()), len(wantFlags))
	}
	for _, f := range forms {
		t.Run(strings.Join(f.args, " "), func(t *testing.T) {
			stdout, stderr, code := runCLI(t, f.args...)
			if code != 0 || stderr != "" {
				t.Fatalf("exit %d, stderr %q", code, stderr)
			}
			path := filepath.Join("testdata", "help", f.golden+".txt")
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(stdout), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v; run go generate ./... to write it", err)
			}
			if stdout != string(want) {
				t.Errorf("help differs from %s; if the change is intended, run go generate ./... and review the diff:\n%s", path, stdout)
			}
			var shown []string
			for _, line := range strings.Split(stdout, "\n") {
				if len(line) > 80 {
					t.Errorf("line over 80 columns: %q", line)
				}
				if rest, ok := strings.CutPrefix(line, "  --"); ok {
					shown = append(shown, strings.Fields(rest)[0])
				}
			}
			if f.golden != "alfe-mcp" && !slices.Equal(shown, wantFlags[f.golden]) {
				t.Errorf("the help of %s lists the flags %q, want %q", f.golden, shown, wantFlags[f.golden])
			}
		})
	}
}

// TestFlagRouting gives every command every flag: the command's own are
// accepted, any other is refused with exit 2 and a pointer to its help.
func TestFlagRouting(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	values := map[string]string{ // a valid value of each flag; "" for a switch
		"api-url":          "http://127.0.0.1:1",
		"api-key-file":     write("key", "sk_test_CLI_KEY_0123\n"),
		"sandbox":          "",
		"timeout":          "5s",
		"retries":          "2",
		"read-only":        "",
		"tools":            "get_registry",
		"addr":             "127.0.0.1:0",
		"allowed-origins":  "https://app.example.com",
		"shutdown-timeout": "1s",
		"stateless":        "",
		"confirm-key-file": write("confirm", strings.Repeat("c", 32)),
		"log-level":        "debug",
		"log-format":       "json",
		"config":           write("config.json", "{}"),
		// Issue 11.
		"drain-delay":                   "1s",
		"metrics-addr":                  "127.0.0.1:0",
		"max-connections":               "8",
		"max-streams-per-key":           "8",
		"max-inflight-per-session":      "8",
		"max-subscriptions-per-session": "8",
		"write-timeout":                 "8s",
		"session-idle-timeout":          "8m",
		"max-sessions":                  "8",
		"max-sessions-per-key":          "8",
	}
	for _, f := range config.Flags() {
		if _, ok := values[f.Name]; !ok {
			t.Errorf("no value for --%s", f.Name)
		}
	}
	for _, c := range commands() {
		for _, f := range config.Flags() {
			arg := "--" + f.Name
			if v := values[f.Name]; v != "" {
				arg += "=" + v
			}
			lines := [][]string{{c.name, arg}}
			if c.name == "stdio" {
				lines = append(lines, []string{arg}) // the default command
			}
			for _, args := range lines {
				t.Run(strings.Join(args, " "), func(t *testing.T) {
					_, cfg, err := parseCommandLine(args, func(string) string { return "" })
					if slices.Contains(wantFlags[c.name], f.Name) {
						if err != nil {
							t.Errorf("refused: %v", err)
						}
						return
					}
					if err == nil {
						t.Fatalf("accepted (config %+v)", cfg)
					}
					if !strings.Contains(err.Error(), "--"+f.Name) && !strings.Contains(err.Error(), "takes no flags") {
						t.Errorf("error %q does not name --%s", err, f.Name)
					}
					if want := "run 'alfe-mcp " + c.name + " --help'"; !strings.Contains(err.Error(), want) {
						t.Errorf("error %q lacks %q", err, want)
					}
				})
			}
		}
	}
}

// TestCommandLineErrors: mistakes in the command line exit 2 with a message
// on stderr that says what is wrong and where to read the usage.
func TestCommandLineErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"bogus"}, `alfe-mcp: unknown command "bogus"; run 'alfe-mcp help' for the commands` + "\n"},
		{[]string{"help", "bogus"}, `alfe-mcp: unknown command "bogus"; run 'alfe-mcp help' for the commands` + "\n"},
		{[]string{"help", "call", "tools"}, `alfe-mcp: unexpected argument "tools" (usage: alfe-mcp help [COMMAND]; run 'alfe-mcp help --help')` + "\n"},
		{[]string{"version", "now"}, `alfe-mcp: unexpected argument "now" (usage: alfe-mcp version; run 'alfe-mcp version --help')` + "\n"},
		{[]string{"version", "--sandbox"}, "alfe-mcp: version takes no flags; run 'alfe-mcp version --help'\n"},
		{[]string{"tools", "extra"}, `alfe-mcp: unexpected argument "extra" (usage: alfe-mcp tools [flags]; run 'alfe-mcp tools --help')` + "\n"},
		{[]string{"call", "get_registry", "{}", "more"}, `alfe-mcp: unexpected argument "more" (usage: alfe-mcp call TOOL [JSON] [flags]; run 'alfe-mcp call --help')` + "\n"},
		{[]string{"--nope"}, "alfe-mcp: flag provided but not defined: -nope; run 'alfe-mcp stdio --help' for its flags\n"},
		{[]string{"sse", "--stateless"}, "alfe-mcp: sse does not take --stateless (a flag of http); run 'alfe-mcp sse --help' for its flags\n"},
		{[]string{"check", "--tools", "get_registry"}, "alfe-mcp: check does not take --tools (a flag of stdio, http, sse, call, tools); run 'alfe-mcp check --help' for its flags\n"},
		{[]string{"tools", "--sandbox"}, "alfe-mcp: tools does not take --sandbox (a flag of stdio, http, sse, call, check); run 'alfe-mcp tools --help' for its flags\n"},
		{[]string{"http", "--timeout", "soon"}, `alfe-mcp: invalid value "soon" for flag -timeout: use a duration such as 30s or 1m; run 'alfe-mcp http --help' for its flags` + "\n"},
		{[]string{"http", "--addr"}, "alfe-mcp: flag needs an argument: -addr; run 'alfe-mcp http --help' for its flags\n"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			stdout, stderr, code := runCLI(t, tt.args...)
			if code != 2 || stdout != "" || stderr != tt.want {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2, nothing, %q", code, stdout, stderr, tt.want)
			}
		})
	}
}

// readmeSection returns the README's section under the heading "## name".
func readmeSection(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "\n## "+name+"\n")
	if !ok {
		t.Fatalf("README.md has no section %q", name)
	}
	section, _, _ := strings.Cut(rest, "\n## ")
	return section
}

// The README's Commands section lists the commands as the help does; with
// -update (go generate ./...) it rewrites the list.
func TestREADMECommands(t *testing.T) {
	section := readmeSection(t, "Commands")
	_, block, _ := strings.Cut(section, "```\n")
	block, _, _ = strings.Cut(block, "```")
	var want strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimSuffix(commandList(), "\n"), "\n") {
		want.WriteString(strings.TrimPrefix(line, "  "))
	}
	got := strings.TrimSuffix(block, "\n")
	if *update {
		b, err := os.ReadFile("README.md")
		if err != nil {
			t.Fatal(err)
		}
		readme := strings.Replace(string(b), "```\n"+got+"\n```", "```\n"+want.String()+"\n```", 1)
		if err := os.WriteFile("README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if got != want.String() {
		t.Errorf("the README's command list differs from the help's; run go generate ./...\nREADME:\n%s\nhelp:\n%s", got, want.String())
	}
}

// The README's Configuration section has a table per group of flags, in
// the help's order, naming the commands that take it, and a row per flag
// with its flag, environment variable, config field and default.
func TestREADMEConfiguration(t *testing.T) {
	section := readmeSection(t, "Configuration")
	heading := regexp.MustCompile(`^\*\*(.+)\*\* \((.+)\)$`)
	type row struct{ group, flag, env, field, def string }
	var (
		groups []string
		rows   []row
		cmds   = map[string]string{}
	)
	for _, line := range strings.Split(section, "\n") {
		if m := heading.FindStringSubmatch(line); m != nil {
			groups = append(groups, m[1])
			cmds[m[1]] = m[2]
			continue
		}
		if !strings.HasPrefix(line, "| `--") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|") // no cell holds a "|"
		if len(cells) != 5 {
			t.Errorf("row of %d cells, want 5 (flag, env, config field, default, meaning): %s", len(cells), line)
			continue
		}
		if len(groups) == 0 {
			t.Fatalf("a row before any group heading: %s", line)
		}
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		// The env cell may go on after the variable's name, as in
		// "`ALFE_API_KEY` (the key itself)"; a default may be code or prose.
		env, _, _ := strings.Cut(cells[1], " ")
		rows = append(rows, row{groups[len(groups)-1], cells[0], env, cells[2], strings.Trim(cells[3], "`")})
	}

	var wantGroups []string
	var wantRows []row
	for _, f := range config.Flags() {
		if !slices.Contains(wantGroups, f.Group.String()) {
			wantGroups = append(wantGroups, f.Group.String())
			var names []string
			for _, c := range commandsTaking(f.Group) {
				names = append(names, "`"+c+"`")
			}
			if got, want := cmds[f.Group.String()], strings.Join(names, ", "); got != want {
				t.Errorf("README: %s is for %s, want %s", f.Group, got, want)
			}
		}
		r := row{group: f.Group.String(), flag: "`--" + f.Name + "`", field: "—", def: "—"}
		if f.Arg != "" {
			r.flag = "`--" + f.Name + " " + f.Arg + "`"
		}
		if f.Env != "" {
			r.env = "`" + f.Env + "`"
		}
		if f.Field != "" {
			r.field = "`" + f.Field + "`"
		}
		switch {
		case f.Arg == "":
			r.def = "false"
		case f.Default != "":
			r.def = f.Default
		}
		wantRows = append(wantRows, r)
	}
	if !slices.Equal(groups, wantGroups) {
		t.Errorf("README groups %q, want %q", groups, wantGroups)
	}
	for i := range max(len(rows), len(wantRows)) {
		var got, want row
		if i < len(rows) {
			got = rows[i]
		}
		if i < len(wantRows) {
			want = wantRows[i]
		}
		if got != want {
			t.Errorf("README row %d:\n got %+v\nwant %+v", i+1, got, want)
		}
	}
}
