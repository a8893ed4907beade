package installlinks

import (
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the README's install links from its configurations (go generate ./... runs the test with it)")

const readmePath = "../../README.md"

// TestREADMELinks fails when the README's install links differ from the
// ones its configurations make; -update rewrites them.
func TestREADMELinks(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := Update(readme)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(readmePath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	if string(want) != string(readme) {
		t.Error("the README's install links do not match the configurations it shows; run go generate ./... and review the diff")
	}
}

// equalJSON reports whether a and b hold the same JSON value.
func equalJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal(a, &va); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &vb); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}

// TestLinksDecode reads each link in the README back and checks that it
// installs the configuration the README shows, and that the configuration
// is the container form with the key asked for: a person without Go has no
// alfe-mcp on PATH.
func TestLinksDecode(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ReadConfigs(readme)
	if err != nil {
		t.Fatal(err)
	}
	var vf vscodeFile
	var cf cursorFile
	if err := json.Unmarshal(c.VSCode, &vf); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(c.Cursor, &cf); err != nil {
		t.Fatal(err)
	}
	links, err := ReadLinks(readme)
	if err != nil {
		t.Fatal(err)
	}
	if len(links) != 3 {
		t.Fatalf("the README has %d install links, want 3 (VS Code, VS Code Insiders, Cursor)", len(links))
	}
	for _, link := range links {
		d, err := Decode(link)
		if err != nil {
			t.Fatalf("%s: %v", link, err)
		}
		if strings.HasPrefix(link, VSCodeRedirect) {
			if !equalJSON(t, d.Server, vf.Servers[d.Name]) || !equalJSON(t, d.Inputs, vf.Inputs) {
				t.Errorf("%s installs %s %s with inputs %s; the README shows %s", link, d.Name, d.Server, d.Inputs, c.VSCode)
			}
		} else if !equalJSON(t, d.Server, cf.MCPServers[d.Name]) {
			t.Errorf("%s installs %s %s; the README shows %s", link, d.Name, d.Server, c.Cursor)
		}
	}

	// The container form, the key passed by name from the environment.
	type server struct {
		Command string            `json:"command"`
		Args    []string          `json:"args"`
		Env     map[string]string `json:"env"`
	}
	wantArgs := []string{"run", "-i", "--rm", "-e", "ALFE_API_KEY", "ghcr.io/alfe-mcp/alfe-mcp"}
	for host, raw := range map[string]json.RawMessage{"VS Code": vf.Servers["alfe"], "Cursor": cf.MCPServers["alfe"]} {
		var s server
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Fatalf("%s: %v", host, err)
		}
		if s.Command != "docker" || !slices.Equal(s.Args, wantArgs) || s.Env["ALFE_API_KEY"] == "" {
			t.Errorf("%s installs %s %q with env %v; want docker %q with ALFE_API_KEY", host, s.Command, s.Args, s.Env, wantArgs)
		}
	}
	// VS Code prompts for the key and keeps it secret.
	var inputs []struct {
		Type, ID string
		Password bool
	}
	if err := json.Unmarshal(vf.Inputs, &inputs); err != nil {
		t.Fatal(err)
	}
	var vs server
	_ = json.Unmarshal(vf.Servers["alfe"], &vs)
	if len(inputs) != 1 || inputs[0].Type != "promptString" || !inputs[0].Password || vs.Env["ALFE_API_KEY"] != "${input:"+inputs[0].ID+"}" {
		t.Errorf("VS Code does not prompt for the key as a password: inputs %+v, env %v", inputs, vs.Env)
	}
}

// TestDecodeRejects checks Decode on what is not an install link.
func TestDecodeRejects(t *testing.T) {
	for _, link := range []string{
		"https://example.com/?name=a&config=%7B%7D",
		VSCodeRedirect + "?config=%7B%7D",
		VSCodeRedirect + "?name=a&config=%7Bnot-json",
		CursorInstall + "?name=a&config=%%%",
	} {
		if _, err := Decode(link); err == nil {
			t.Errorf("Decode(%q) accepted it", link)
		}
	}
}
