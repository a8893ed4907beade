package main

import (
	"net"
	"testing"
)

func TestServeURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, "http://127.0.0.1:8080/mcp"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 8080}, "http://[::1]:8080/mcp"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, "http://localhost:8080/mcp"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, "http://localhost:8080/mcp"},
		{&net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 80}, "http://192.0.2.7:80/mcp"},
	}
	for _, tt := range tests {
		if got := serveURL(tt.addr, "/mcp"); got != tt.want {
			t.Errorf("serveURL(%v) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}
