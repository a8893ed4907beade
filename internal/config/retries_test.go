package config

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestLoadRetries checks --retries and the file's retries: precedence, the
// default, and the range 1..MaxRetries.
func TestLoadRetries(t *testing.T) {
	dir := t.TempDir()
	file := func(body string) string {
		return writeFile(t, dir, filepath.Join(strings.ReplaceAll(t.Name(), "/", "_"), "c.json"), body)
	}
	tests := []struct {
		name    string
		args    func() []string
		want    int
		wantErr string
	}{
		{"default", func() []string { return nil }, 3, ""},
		{"flag", func() []string { return []string{"--retries", "5"} }, 5, ""},
		{"flag 1 disables retries", func() []string { return []string{"--retries=1"} }, 1, ""},
		{"flag max", func() []string { return []string{"--retries", "10"} }, 10, ""},
		{"file", func() []string { return []string{"--config", file(`{"retries": 7}`)} }, 7, ""},
		{"flag over file", func() []string { return []string{"--config", file(`{"retries": 7}`), "--retries", "2"} }, 2, ""},
		{"flag zero", func() []string { return []string{"--retries", "0"} }, 0, "retries 0"},
		{"flag negative", func() []string { return []string{"--retries", "-1"} }, 0, "retries -1"},
		{"flag over the max", func() []string { return []string{"--retries", "11"} }, 0, "retries 11"},
		{"file zero", func() []string { return []string{"--config", file(`{"retries": 0}`)} }, 0, "retries 0"},
		{"file not a number", func() []string { return []string{"--config", file(`{"retries": "3"}`)} }, 0, "retries"},
		{"flag not a number", func() []string { return []string{"--retries", "many"} }, 0, "retries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := Load(tt.args(), allGroups, envOf(nil))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Retries != tt.want {
				t.Errorf("Retries = %d, want %d", cfg.Retries, tt.want)
			}
		})
	}
}
