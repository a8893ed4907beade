package httpserver

import (
	"context"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want bool
	}{
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.0.0.2"), Port: 8080}, true},
		{&net.TCPAddr{IP: net.ParseIP("127.255.255.254"), Port: 1}, true},
		{&net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080}, true},
		{&net.TCPAddr{IP: net.ParseIP("::ffff:127.0.0.1"), Port: 8080}, true},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, false},
		{&net.TCPAddr{IP: net.ParseIP("10.0.0.5"), Port: 8080}, false},
		{&net.TCPAddr{IP: net.ParseIP("192.168.1.10"), Port: 8080}, false},
		{&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 8080}, false},
		{&net.UnixAddr{Name: "/tmp/sock", Net: "unix"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%v) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestIsLoopbackOfRealListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if !IsLoopback(ln.Addr()) {
		t.Errorf("IsLoopback(%v) = false", ln.Addr())
	}
}

func TestBearerKey(t *testing.T) {
	tests := []struct {
		name    string
		values  []string
		want    string
		wantErr bool
	}{
		{"none", nil, "", false},
		{"bearer", []string{"Bearer abc.DEF-123_~+/="}, "abc.DEF-123_~+/=", false},
		{"scheme case-insensitive", []string{"bearer abc"}, "abc", false},
		{"extra spaces before the token", []string{"Bearer   abc"}, "abc", false},
		{"basic", []string{"Basic dXNlcjpwYXNz"}, "", true},
		{"scheme alone", []string{"Bearer"}, "", true},
		{"empty token", []string{"Bearer "}, "", true},
		{"token with a space", []string{"Bearer abc def"}, "", true},
		{"token with a tab", []string{"Bearer abc\tdef"}, "", true},
		{"non-ASCII token", []string{"Bearer clé"}, "", true},
		{"empty header", []string{""}, "", true},
		{"two headers", []string{"Bearer a", "Bearer b"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.values {
				h.Add("Authorization", v)
			}
			got, err := bearerKey(h)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("bearerKey(%q) = %q, %v; want %q, error %v", tt.values, got, err, tt.want, tt.wantErr)
			}
		})
	}
}

func TestKeyPolicy(t *testing.T) {
	tests := []struct {
		name       string
		policy     keyPolicy
		auth       string
		wantKey    string
		wantStatus int
	}{
		{"own key on loopback", keyPolicy{loopback: true, defaultKey: defaultKey}, "Bearer " + keyA, keyA, 0},
		{"own key beyond loopback", keyPolicy{loopback: false, defaultKey: defaultKey}, "Bearer " + keyA, keyA, 0},
		{"no key on loopback: the server's", keyPolicy{loopback: true, defaultKey: defaultKey}, "", defaultKey, 0},
		{"no key on loopback, server has none", keyPolicy{loopback: true}, "", "", http.StatusUnauthorized},
		{"no key beyond loopback", keyPolicy{loopback: false, defaultKey: defaultKey}, "", "", http.StatusUnauthorized},
		{"malformed on loopback", keyPolicy{loopback: true, defaultKey: defaultKey}, "Token " + keyA, "", http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest("POST", "http://127.0.0.1/mcp", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			key, status, msg := tt.policy.resolve(r)
			if key != tt.wantKey || status != tt.wantStatus {
				t.Errorf("resolve = %q, %d (%s); want %q, %d", key, status, msg, tt.wantKey, tt.wantStatus)
			}
			for _, k := range []string{keyA, defaultKey} {
				if strings.Contains(msg, k) {
					t.Errorf("message %q carries a key", msg)
				}
			}
			ctx := tt.policy.contextFunc(context.Background(), r)
			got, ok := KeyFromContext(ctx)
			if ok != (tt.wantStatus == 0) || got != tt.wantKey {
				t.Errorf("contextFunc put %q, %v; want %q", got, ok, tt.wantKey)
			}
		})
	}
}

func TestOriginPolicy(t *testing.T) {
	p, err := newOriginPolicy([]string{"https://App.Example.com", "http://10.0.0.5:3000", "https://tools.example.org:443/"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		origin string
		want   bool
	}{
		{"", true},
		{"http://localhost", true},
		{"http://localhost:3000", true},
		{"https://localhost:8443", true},
		{"http://127.0.0.1:8080", true},
		{"http://[::1]:8080", true},
		{"HTTP://LOCALHOST:5173", true},
		{"https://app.example.com", true},
		{"https://app.example.com:443", true},
		{"http://10.0.0.5:3000", true},
		{"https://tools.example.org", true},
		{"http://app.example.com", false},       // other scheme
		{"https://app.example.com:8443", false}, // other port
		{"http://10.0.0.5", false},
		{"https://evil.example", false},
		{"http://localhost.evil.example", false},
		{"http://127.0.0.1.nip.io", false},
		{"null", false},
		{"file://", false},
		{"chrome-extension://abcdef", false},
		{"http://localhost/path", false},
		{"http://user@localhost", false},
		{"::::", false},
	}
	for _, tt := range tests {
		if got := p.allowed(tt.origin); got != tt.want {
			t.Errorf("allowed(%q) = %v, want %v", tt.origin, got, tt.want)
		}
	}
}

func TestOriginPolicyRejectsBadEntries(t *testing.T) {
	for _, o := range []string{"example.com", "ftp://example.com", "https://", "https://example.com/app", "https://example.com?x=1", "*"} {
		if err := ValidateOrigins([]string{o}); err == nil {
			t.Errorf("ValidateOrigins(%q): no error", o)
		}
	}
}

func TestCountMessages(t *testing.T) {
	tests := []struct {
		raw                 string
		requests, responses int64
	}{
		{`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{}}`, 1, 0},
		{`{"jsonrpc":"2.0","id":"a","method":"ping"}`, 1, 0},
		{`{"jsonrpc":"2.0","method":"notifications/initialized"}`, 0, 0},
		{`{"jsonrpc":"2.0","id":null,"method":"x"}`, 0, 0},
		{`{"jsonrpc":"2.0","id":1,"result":{}}`, 0, 1},
		{`{"jsonrpc":"2.0","id":1,"error":{"code":-1,"message":"x"}}`, 0, 1},
		{`[{"jsonrpc":"2.0","id":1,"method":"a"},{"jsonrpc":"2.0","method":"b"},{"jsonrpc":"2.0","id":2,"method":"c"}]`, 2, 0},
		{`not json`, 0, 0},
		{``, 0, 0},
	}
	for _, tt := range tests {
		if got := countMessages([]byte(tt.raw), rpcShape.isRequest); got != tt.requests {
			t.Errorf("requests in %s = %d, want %d", tt.raw, got, tt.requests)
		}
		if got := countMessages([]byte(tt.raw), rpcShape.isResponse); got != tt.responses {
			t.Errorf("responses in %s = %d, want %d", tt.raw, got, tt.responses)
		}
	}
	event := "event: message\ndata: {\"jsonrpc\":\"2.0\",\"id\":3,\"result\":{}}\n\n"
	if got := countMessages(sseData([]byte(event)), rpcShape.isResponse); got != 1 {
		t.Errorf("responses in an SSE event = %d, want 1", got)
	}
	if got := countMessages(sseData([]byte("event: endpoint\ndata: /message?sessionId=X\r\n\r\n")), rpcShape.isResponse); got != 0 {
		t.Errorf("responses in the endpoint event = %d, want 0", got)
	}
}
