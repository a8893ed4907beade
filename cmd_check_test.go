package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/alfe-mcp/alfe-mcp/apiclient"
	"github.com/alfe-mcp/alfe-mcp/internal/config"
	"github.com/alfe-mcp/alfe-mcp/tools"
)

// TestCheckNamesTheSettings holds the settings that check's messages tell a
// person to fix (written in package tools, which does not import config) to
// the names config reads.
func TestCheckNamesTheSettings(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{&apiclient.APIError{StatusCode: 401}, config.EnvAPIKey},
		{&apiclient.APIError{StatusCode: 404}, config.EnvAPIURL},
		{&apiclient.NetworkError{Err: errors.New("connection refused")}, config.EnvAPIURL},
	} {
		if msg := tools.ExplainCheck(tt.err, "http://127.0.0.1:1"); !strings.Contains(msg, tt.want) {
			t.Errorf("ExplainCheck(%v) = %q, want it to name %s", tt.err, msg, tt.want)
		}
	}
}
