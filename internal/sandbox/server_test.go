package sandbox

import (
	"net/http"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestListenAndClose(t *testing.T) {
	before := runtime.NumGoroutine()

	s, err := Listen(Options{APIKey: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^http://127\.0\.0\.1:\d+$`).MatchString(s.URL()) {
		t.Fatalf("URL = %q", s.URL())
	}
	if s.Handler() == nil {
		t.Fatal("Handler() is nil")
	}

	tr := &http.Transport{}
	c := &testClient{t: t, base: s.URL(), key: "secret", hc: &http.Client{Transport: tr, Timeout: 10 * time.Second}}
	c.do(http.MethodGet, "/agent/identity/whoami", nil).data(t, http.StatusOK, nil)

	// The consent URL points at this server's own port, and the flow works end to end.
	raw, state, _ := c.consentURL("provider=github")
	if !strings.HasPrefix(raw, s.URL()+"/sandbox/oauth/consent?") {
		t.Fatalf("consent url %q is not on %s", raw, s.URL())
	}
	if p := c.getPage(raw); p.status != http.StatusOK {
		t.Fatalf("consent page = %d", p.status)
	}
	c.decide(state, "approve")
	if !c.connected("github") || c.installs()["github"].Status != "active" {
		t.Fatal("approval did not connect github")
	}

	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	tr.CloseIdleConnections()

	if _, err := (&http.Client{Timeout: 2 * time.Second}).Get(s.URL() + "/agent/identity/whoami"); err == nil {
		t.Fatal("server still responds after Close")
	}

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<16)
			t.Fatalf("goroutines: %d before, %d after Close\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestListenServersAreIndependent(t *testing.T) {
	a, err := Listen(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Listen(Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if a.URL() == b.URL() {
		t.Fatal("two servers share a URL")
	}
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	ca := &testClient{t: t, base: a.URL(), key: "k", hc: hc}
	cb := &testClient{t: t, base: b.URL(), key: "k", hc: hc}
	ca.do(http.MethodDelete, "/agent/integrations/github", nil)
	if _, ok := cb.installs()["github"]; !ok {
		t.Fatal("state leaked between servers")
	}
}
