package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfirmKeyFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := strings.Repeat("ab", 20)
	goodFile := write("good", good+"\n")
	short := write("short", "tooshort\n")
	cfgFile := write("cfg.json", `{"confirmKeyFile": "good"}`)
	env := func(string) string { return "" }

	for _, tc := range []struct {
		name    string
		args    []string
		want    string
		wantErr string
	}{
		{"unset: random per process", nil, "", ""},
		{"flag", []string{"--confirm-key-file", goodFile}, good, ""},
		{"config file, relative to it", []string{"--config", cfgFile}, good, ""},
		{"too short", []string{"--confirm-key-file", short}, "", "at least 32"},
		{"missing", []string{"--confirm-key-file", filepath.Join(dir, "nope")}, "", "confirmation key file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Load(tc.args, allGroups, env)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want it to mention %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), good) {
					t.Fatalf("error %q shows the secret", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ConfirmKey != tc.want {
				t.Errorf("ConfirmKey = %q, want %q", cfg.ConfirmKey, tc.want)
			}
		})
	}
}
