package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/module"
	modzip "golang.org/x/mod/zip"
)

// modulePath is alfe-mcp's module path.
const modulePath = "github.com/alfe-mcp/alfe-mcp"

// goInstallLimit bounds each go command of TestGoInstall, which builds the
// module from scratch in an empty module cache; it is never asserted on.
const goInstallLimit = 5 * time.Minute

// TestGoInstall takes the path of a Go user, `go install module@version` and
// the quick start's `go run module@latest ...`, through a file-based GOPROXY
// made from this checkout, since the module is on no public proxy yet. The
// module zip is made from the commit at HEAD with golang.org/x/mod/zip, the
// way a proxy makes it from the repository (git archive: uncommitted and
// ignored files stay out), and served as HEAD's pseudo-version. The module
// cache starts empty; dependencies come from the local module cache's
// download directory, then the configured proxy. The installed binary must
// print that version, and the quick start's command the JSON the README shows.
func TestGoInstall(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the module from a module zip")
	}
	gitTool := tool(t, "git", "to make the module zip from HEAD")
	ctx, cancel := context.WithTimeout(t.Context(), 2*goInstallLimit)
	defer cancel()
	git := func(args ...string) string {
		t.Helper()
		cmd := exec.CommandContext(ctx, gitTool, args...)
		cmd.Dir = ".."
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("git %s: %v", strings.Join(args, " "), err)
		}
		return strings.TrimSpace(string(out))
	}
	rev := git("rev-parse", "HEAD")
	unix, err := strconv.ParseInt(git("show", "-s", "--format=%ct", "HEAD"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	version := module.PseudoVersion("", "", time.Unix(unix, 0), rev[:12])

	// The proxy: list, info, mod and zip of that version, and @latest.
	tmp := t.TempDir()
	proxy := filepath.Join(tmp, "proxy")
	vdir := filepath.Join(proxy, filepath.FromSlash(modulePath), "@v")
	if err := os.MkdirAll(vdir, 0o755); err != nil {
		t.Fatal(err)
	}
	info, _ := json.Marshal(map[string]string{"Version": version, "Time": time.Unix(unix, 0).UTC().Format(time.RFC3339)})
	// The commit's files, as git archive gives them (what modzip.CreateFromVCS
	// does too, but it wants a .git directory, and a worktree has a file).
	src := filepath.Join(tmp, "src")
	archive := exec.CommandContext(ctx, gitTool, "-c", "core.autocrlf=input", "-c", "core.eol=lf", "archive", "--format=tar", rev)
	archive.Dir = ".."
	tarball, err := archive.Output()
	if err != nil {
		t.Fatalf("git archive %s: %v", rev, err)
	}
	extractTar(t, tarball, src)
	zipFile, err := os.Create(filepath.Join(vdir, version+".zip"))
	if err != nil {
		t.Fatal(err)
	}
	if err := modzip.CreateFromDir(zipFile, module.Version{Path: modulePath, Version: version}, src); err != nil {
		t.Fatalf("module zip of %s: %v", rev, err)
	}
	if err := zipFile.Close(); err != nil {
		t.Fatal(err)
	}
	for name, body := range map[string]string{
		filepath.Join(vdir, "list"):                  "", // no tagged versions
		filepath.Join(vdir, version+".info"):         string(info),
		filepath.Join(vdir, version+".mod"):          git("show", rev+":go.mod") + "\n",
		filepath.Join(filepath.Dir(vdir), "@latest"): string(info),
	} {
		if err := os.WriteFile(name, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	goEnv := func(name string) string {
		out, err := exec.CommandContext(ctx, "go", "env", name).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", name, err)
		}
		return strings.TrimSpace(string(out))
	}
	proxies := "file://" + filepath.ToSlash(proxy) + ",file://" + filepath.ToSlash(filepath.Join(goEnv("GOMODCACHE"), "cache", "download"))
	if p := goEnv("GOPROXY"); p != "" && p != "off" {
		proxies += "," + p
	}
	bin := filepath.Join(tmp, "bin")
	var env []string
	for _, kv := range os.Environ() {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "GOPROXY", "GOMODCACHE", "GOFLAGS", "GOBIN", "GONOSUMDB", "GOPRIVATE", "GONOPROXY", "GOTOOLCHAIN", "GOWORK":
		default:
			if !strings.HasPrefix(k, "ALFE_") {
				env = append(env, kv)
			}
		}
	}
	env = append(env,
		"GOPROXY="+proxies,
		"GOMODCACHE="+filepath.Join(tmp, "modcache"), // empty, as on a fresh machine
		"GOFLAGS=-modcacherw",                        // so that the test can remove it
		"GONOSUMDB="+modulePath,                      // no checksum database knows this version
		"GOBIN="+bin,
		"GOTOOLCHAIN=local",
		"GOWORK=off",
	)
	run := func(name string, args ...string) (string, string) {
		t.Helper()
		cctx, cancel := context.WithTimeout(ctx, goInstallLimit)
		defer cancel()
		cmd := exec.CommandContext(cctx, name, args...)
		cmd.Env = env
		cmd.Dir = tmp // outside any module, as a user's shell
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
		}
		return stdout.String(), stderr.String()
	}

	run("go", "install", modulePath+"@"+version)
	out, _ := run(filepath.Join(bin, "alfe-mcp"), "version")
	if want := "alfe-mcp " + version + "\n"; out != want {
		t.Errorf("the installed binary printed %q, want %q", out, want)
	}

	// The quick start, word for word from the README.
	command, wantJSON := quickStart(t)
	args := shellWords(t, command)
	if args[0] != "go" || args[2] != modulePath+"@latest" {
		t.Fatalf("the quick start's command is %q", command)
	}
	out, stderr := run(args[0], args[1:]...)
	var got, want any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("the quick start printed %q: %v\nstderr:\n%s", out, err, stderr)
	}
	if err := json.Unmarshal([]byte(wantJSON), &want); err != nil {
		t.Fatalf("the README's quick-start JSON: %v", err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the quick start printed\n%s\nthe README shows\n%s", out, wantJSON)
	}
}

// extractTar writes the regular files of a tar archive under dir.
func extractTar(t *testing.T, tarball []byte, dir string) {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(tarball))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			t.Fatalf("git archive: %q is outside the tree", h.Name)
		}
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, data, h.FileInfo().Mode().Perm()); err != nil {
			t.Fatal(err)
		}
	}
}

// quickStart returns the quick start's go run command and the JSON the
// README shows after it.
func quickStart(t *testing.T) (command, output string) {
	t.Helper()
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(raw), "\n## Quick start\n")
	if !ok {
		t.Fatal("the README has no Quick start")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := strings.Split(section, "```")
	// blocks[1], [3], ... are the fenced blocks: "sh\n...", "json\n...".
	for i := 1; i+2 < len(blocks); i += 2 {
		lang, body, _ := strings.Cut(blocks[i], "\n")
		if lang == "sh" && strings.HasPrefix(body, "go run "+modulePath+"@latest ") {
			next, js, _ := strings.Cut(blocks[i+2], "\n")
			if next != "json" {
				t.Fatal("the quick start's command is not followed by its JSON output")
			}
			return strings.TrimSpace(body), js
		}
	}
	t.Fatal("the quick start has no go run " + modulePath + "@latest command")
	return "", ""
}

// shellWords splits a command line as sh does, for words that are plain or
// in single quotes.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for _, r := range line {
		switch {
		case quoted:
			if r == '\'' {
				quoted = false
			} else {
				cur.WriteRune(r)
			}
		case r == '\'':
			quoted, inWord = true, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case strings.ContainsRune(`"\$`+"`", r):
			t.Fatalf("%q: only plain and single-quoted words are supported", line)
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quoted {
		t.Fatalf("%q: unterminated quote", line)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
