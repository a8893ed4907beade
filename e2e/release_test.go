package e2e

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// releaseTargets are the platforms the release builds binaries for.
var releaseTargets = []struct{ goos, goarch string }{
	{"darwin", "amd64"}, {"darwin", "arm64"},
	{"linux", "amd64"}, {"linux", "arm64"},
	{"windows", "amd64"}, {"windows", "arm64"},
}

// archiveName is the file name goreleaser gives an archive.
func (r release) archiveName(goos, goarch string) string {
	ext := ".tar.gz"
	if goos == "windows" {
		ext = ".zip"
	}
	return fmt.Sprintf("alfe-mcp_%s_%s%s", goos, goarch, ext)
}

// TestReleaseChecksums checks that checksums.txt lists every archive and
// bundle of the release, and only those, with their SHA-256.
func TestReleaseChecksums(t *testing.T) {
	r := loadRelease(t)
	var want []string
	for _, tg := range releaseTargets {
		want = append(want, r.archiveName(tg.goos, tg.goarch))
	}
	for _, b := range releaseBundles {
		want = append(want, r.bundleName(b))
	}
	slices.Sort(want)

	f, err := os.Open(r.path("checksums.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var listed []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		sum, name, ok := strings.Cut(sc.Text(), "  ")
		if !ok {
			t.Fatalf("checksums.txt: malformed line %q", sc.Text())
		}
		listed = append(listed, name)
		data, err := os.ReadFile(r.path(name))
		if err != nil {
			t.Errorf("checksums.txt lists %s: %v", name, err)
			continue
		}
		if got := sha256.Sum256(data); hex.EncodeToString(got[:]) != sum {
			t.Errorf("%s: SHA-256 %x, checksums.txt says %s", name, got, sum)
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(listed)
	if !slices.Equal(listed, want) {
		t.Errorf("checksums.txt lists\n%q\nwant\n%q", listed, want)
	}
}

// TestReleaseArchives opens each archive: README, LICENSE and the binary
// goreleaser built for its platform, static and stripped; the linux/amd64
// binary runs and prints the release's version.
func TestReleaseArchives(t *testing.T) {
	r := loadRelease(t)
	for _, tg := range releaseTargets {
		name := r.archiveName(tg.goos, tg.goarch)
		t.Run(tg.goos+"_"+tg.goarch, func(t *testing.T) {
			files := readArchive(t, r.path(name))
			exe := "alfe-mcp"
			if tg.goos == "windows" {
				exe += ".exe"
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			if want := []string{"LICENSE", "README.md", exe}; !slices.Equal(names, want) {
				t.Fatalf("%s holds %q, want %q", name, names, want)
			}
			for _, doc := range []string{"LICENSE", "README.md"} {
				committed, err := os.ReadFile(filepath.Join("..", doc))
				if err != nil {
					t.Fatal(err)
				}
				if string(files[doc].data) != string(committed) {
					t.Errorf("%s: %s differs from the committed one", name, doc)
				}
			}
			bin := files[exe]
			if tg.goos != "windows" && bin.mode.Perm()&0o111 == 0 {
				t.Errorf("%s: %s has mode %v, not executable", name, exe, bin.mode)
			}
			if string(bin.data) != string(r.built(t, tg.goos, tg.goarch)) {
				t.Errorf("%s: %s is not the binary goreleaser built", name, exe)
			}
			checkBinary(t, name+": "+exe, bin.data, tg.goos, tg.goarch)

			if tg.goos == "linux" && tg.goarch == "amd64" {
				path := filepath.Join(t.TempDir(), exe)
				if err := os.WriteFile(path, bin.data, 0o755); err != nil {
					t.Fatal(err)
				}
				ctx, cancel := context.WithTimeout(t.Context(), processLimit)
				defer cancel()
				out, err := exec.CommandContext(ctx, path, "version").Output()
				if err != nil {
					t.Fatalf("%s version: %v", name, err)
				}
				wantVersionLine(t, name, string(out), r)
			}
		})
	}
}
