package transport

import (
	"context"
	"testing"
)

func TestCapabilitiesFrom(t *testing.T) {
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want Capabilities
	}{
		{"none reported: nothing reaches the client", context.Background(), Capabilities{}},
		{"reported", WithCapabilities(context.Background(), Capabilities{InputRequiredResults: true}), Capabilities{InputRequiredResults: true}},
		{"the innermost report wins", WithCapabilities(WithCapabilities(context.Background(), Capabilities{ServerRequests: true}), Capabilities{}), Capabilities{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := CapabilitiesFrom(tt.ctx); got != tt.want {
				t.Errorf("CapabilitiesFrom = %+v, want %+v", got, tt.want)
			}
		})
	}
}
