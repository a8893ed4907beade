package config

import (
	"strings"
	"testing"
)

// Every limit of the HTTP transports must be positive: zero would refuse
// everything, and none means unlimited. A bad value names its flag.
func TestLoadLimitErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--max-connections", "0"}, "--max-connections 0"},
		{[]string{"--max-streams-per-key", "-1"}, "--max-streams-per-key -1"},
		{[]string{"--max-inflight-per-session", "0"}, "--max-inflight-per-session 0"},
		{[]string{"--max-sessions", "0"}, "--max-sessions 0"},
		{[]string{"--max-sessions-per-key", "0"}, "--max-sessions-per-key 0"},
		{[]string{"--max-subscriptions-per-session", "0"}, "--max-subscriptions-per-session 0"},
		{[]string{"--write-timeout", "0s"}, "--write-timeout 0s"},
		{[]string{"--session-idle-timeout", "0s"}, "--session-idle-timeout 0s"},
		{[]string{"--drain-delay", "-1s"}, "drain delay must not be negative"},
		{[]string{"--metrics-addr", "9090"}, `metrics address "9090"`},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			_, err := Load(tc.args, allGroups, envOf(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Load(%q): %v, want an error with %q", tc.args, err, tc.want)
			}
		})
	}
}

// A drain delay of zero is allowed (stop listening at once), and the
// metrics listener is off unless an address is given.
func TestLoadDrainAndMetrics(t *testing.T) {
	cfg, err := Load([]string{"--drain-delay", "0s"}, allGroups, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DrainDelay != 0 || cfg.MetricsAddr != "" {
		t.Errorf("drain delay %v, metrics address %q; want 0 and none", cfg.DrainDelay, cfg.MetricsAddr)
	}
}
