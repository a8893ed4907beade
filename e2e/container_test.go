package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// podman runs podman with args and returns its standard output; it fails
// the test on an error.
func podman(t *testing.T, ctx context.Context, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, "podman", args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// image returns the image named by env, and podman's path.
func image(t *testing.T, env string) string {
	t.Helper()
	ref := artefact(t, env, "the image built from Containerfile")
	tool(t, "podman", "to run the image")
	return ref
}

// serverJSONName is the name in the release's server.json.
func serverJSONName(t *testing.T, r release) string {
	t.Helper()
	raw, err := os.ReadFile(r.path("server.json"))
	if err != nil {
		t.Fatalf("server.json: %v (.ci/run generates it after goreleaser)", err)
	}
	var s struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s.Name
}

// TestContainerImage inspects each image built from Containerfile: the
// registry label matches server.json's name, the user is not root, the
// entrypoint and default command, and the filesystem holds the release's
// binary for its architecture, the CA bundle and the licence, nothing else.
func TestContainerImage(t *testing.T) {
	r := loadRelease(t)
	name := serverJSONName(t, r)
	if name != serverName {
		t.Errorf("server.json names %q, want %q", name, serverName)
	}
	for _, tt := range []struct{ env, arch string }{{envImage, "amd64"}, {envImageARM64, "arm64"}} {
		t.Run(tt.arch, func(t *testing.T) {
			ref := image(t, tt.env)
			ctx, cancel := context.WithTimeout(t.Context(), artefactLimit)
			defer cancel()
			var inspect []struct {
				Architecture string
				Os           string
				Config       struct {
					User       string
					Entrypoint []string
					Cmd        []string
					Labels     map[string]string
				}
			}
			if err := json.Unmarshal([]byte(podman(t, ctx, "image", "inspect", ref)), &inspect); err != nil || len(inspect) != 1 {
				t.Fatalf("podman image inspect %s: %v", ref, err)
			}
			img := inspect[0]
			checks := []struct {
				what      string
				got, want any
			}{
				{"label io.modelcontextprotocol.server.name", img.Config.Labels["io.modelcontextprotocol.server.name"], name},
				{"user", img.Config.User, "65532:65532"},
				{"entrypoint", img.Config.Entrypoint, []string{"/usr/local/bin/alfe-mcp"}},
				{"cmd", img.Config.Cmd, []string{"stdio"}},
				{"platform", img.Os + "/" + img.Architecture, "linux/" + tt.arch},
			}
			for _, c := range checks {
				g, _ := json.Marshal(c.got)
				w, _ := json.Marshal(c.want)
				if !bytes.Equal(g, w) {
					t.Errorf("%s: %s is %s, want %s", ref, c.what, g, w)
				}
			}

			// The filesystem, from an exported container.
			id := container(strings.TrimSpace(podman(t, ctx, "create", ref)))
			defer id.remove()
			cmd := exec.CommandContext(ctx, "podman", "export", string(id))
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			tarball, err := cmd.Output()
			if err != nil {
				t.Fatalf("podman export: %v\n%s", err, stderr.String())
			}
			files := map[string][]byte{}
			tr := tar.NewReader(bytes.NewReader(tarball))
			for {
				h, err := tr.Next()
				if errors.Is(err, io.EOF) {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				if h.Typeflag == tar.TypeReg {
					data, _ := io.ReadAll(tr)
					files[strings.TrimPrefix(h.Name, "/")] = data
				}
			}
			var names []string
			for n := range files {
				names = append(names, n)
			}
			slices.Sort(names)
			want := []string{"etc/ssl/certs/ca-certificates.crt", "usr/local/bin/alfe-mcp", "usr/share/doc/alfe-mcp/LICENSE"}
			if !slices.Equal(names, want) {
				t.Errorf("the image holds %q, want %q", names, want)
			}
			if !bytes.Equal(files["usr/local/bin/alfe-mcp"], r.built(t, "linux", tt.arch)) {
				t.Errorf("/usr/local/bin/alfe-mcp is not the linux/%s binary goreleaser built", tt.arch)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(files["etc/ssl/certs/ca-certificates.crt"]) || len(bytes.Split(files["etc/ssl/certs/ca-certificates.crt"], []byte("BEGIN CERTIFICATE"))) < 50 {
				t.Error("the CA bundle holds fewer than 50 certificates")
			}
		})
	}
}

// TestContainerRuns runs the linux/amd64 image the ways the README shows:
// version; stdio as a host launches it (docker run -i --rm -e ALFE_API_KEY
// image, the key from the host's environment), in both protocol eras; stdio
// on the sandbox; and HTTP on a published loopback port, where /healthz
// responds, a request without a key is refused (a non-loopback listener lends
// no key) and SIGTERM stops the server cleanly.
func TestContainerRuns(t *testing.T) {
	r := loadRelease(t)
	ref := image(t, envImage)
	podmanPath, _ := exec.LookPath("podman")
	ctx, cancel := context.WithTimeout(t.Context(), artefactLimit)
	defer cancel()

	t.Run("version", func(t *testing.T) {
		wantVersionLine(t, "the image", podman(t, ctx, "run", "--rm", ref, "version"), r)
	})

	// The host's environment: podman's own needs (CONTAINERS_CONF and the
	// like) plus the key, which -e ALFE_API_KEY passes on by name.
	hostEnv := append(os.Environ(), "ALFE_API_KEY="+cliKey)
	for _, e := range eras {
		t.Run("stdio as a host runs it/"+e.Name, func(t *testing.T) {
			var logs syncBuffer
			got := mcpSession(t, ctx, e, podmanPath, []string{"run", "-i", "--rm", "-e", "ALFE_API_KEY", ref}, hostEnv, &logs)
			if !slices.Equal(got, allToolNames()) {
				t.Errorf("tools %q, want %q", got, allToolNames())
			}
			if strings.Contains(logs.String(), cliKey) {
				t.Error("the logs carry the key")
			}
		})
	}
	t.Run("stdio --sandbox", func(t *testing.T) {
		var logs syncBuffer
		got := mcpSession(t, ctx, eras[1], podmanPath, []string{"run", "-i", "--rm", ref, "stdio", "--sandbox"}, os.Environ(), &logs)
		if !slices.Equal(got, allToolNames()) {
			t.Errorf("tools %q, want %q", got, allToolNames())
		}
	})
	t.Run("http", func(t *testing.T) {
		id := container(strings.TrimSpace(podman(t, ctx, "run", "-d", "-p", "127.0.0.1::8080", ref, "http", "--addr", "0.0.0.0:8080", "--sandbox")))
		defer id.remove()
		hostPort := strings.TrimSpace(podman(t, ctx, "port", string(id), "8080/tcp"))
		base := "http://" + hostPort
		waitHealthy(t, ctx, base+"/healthz", id.exited, id.logs)

		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"e2e","version":"1"}}}`
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/mcp", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("a request without a key got %s (WWW-Authenticate %q), want 401 Bearer", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		http.DefaultClient.CloseIdleConnections()

		podman(t, ctx, "stop", "--time", "20", string(id))
		state := struct{ ExitCode int }{}
		raw := podman(t, ctx, "inspect", "--format", "{{json .State}}", string(id))
		if err := json.Unmarshal([]byte(raw), &state); err != nil {
			t.Fatalf("podman inspect: %v: %s", err, raw)
		}
		if state.ExitCode != 0 {
			t.Errorf("after SIGTERM the server exited %d, want 0\nlogs:\n%s", state.ExitCode, id.logs())
		}
	})
}
