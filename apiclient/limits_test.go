package apiclient

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// The cap on the size of a response (Options.MaxResponseBytes).

func TestResponseTooLarge(t *testing.T) {
	const limit = 1024
	envelope := func(n int) string { // a valid envelope of exactly n bytes
		s := `{"data":[]}`
		return s + strings.Repeat(" ", n-len(s))
	}
	tests := []struct {
		name    string
		status  int
		body    string
		chunked bool
		wantErr bool
	}{
		{name: "at the limit", status: 200, body: envelope(limit)},
		{name: "at the limit chunked", status: 200, body: envelope(limit), chunked: true},
		{name: "one over with length", status: 200, body: envelope(limit + 1), wantErr: true},
		{name: "one over chunked", status: 200, body: envelope(limit + 1), chunked: true, wantErr: true},
		{name: "far over with length", status: 200, body: envelope(64 * limit), wantErr: true},
		{name: "error response over with length", status: 500, body: strings.Repeat("x", 2*limit), wantErr: true},
		{name: "error response over chunked", status: 500, body: strings.Repeat("x", 2*limit), chunked: true, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := newUpstream(t, func(w http.ResponseWriter, _ *http.Request) {
				if !tt.chunked {
					w.Header().Set("Content-Length", fmt.Sprint(len(tt.body)))
				}
				w.WriteHeader(tt.status)
				if tt.chunked { // flush in small pieces so that no length is known
					for i := 0; i < len(tt.body); i += 100 {
						_, _ = io.WriteString(w, tt.body[i:min(i+100, len(tt.body))])
						w.(http.Flusher).Flush()
					}
					return
				}
				_, _ = io.WriteString(w, tt.body)
			})
			c := newClient(t, u.URL, func(o *Options) { o.MaxResponseBytes = limit })
			_, err := c.ListIntegrations(t.Context())
			if !tt.wantErr {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				return
			}
			if !errors.Is(err, ErrResponseTooLarge) {
				t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
			}
			if !strings.Contains(err.Error(), "GET /agent/integrations") {
				t.Errorf("err %q does not name the request", err)
			}
		})
	}
}

// TestResponseTooLargeStreamNotReadWhole streams a response that never ends
// until the client goes away: the client must give up after the cap, not
// read on until its timeout.
func TestResponseTooLargeStreamNotReadWhole(t *testing.T) {
	const limit = 4096
	var written atomic.Int64
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"data":[`)
		chunk := strings.Repeat(`"xxxxxxxxxxxxxx",`, 1024)
		for written.Load() < 8<<20 {
			n, err := io.WriteString(w, chunk)
			written.Add(int64(n))
			if err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
		<-r.Context().Done() // never end the body: only the client can
	})
	c := newClient(t, u.URL, func(o *Options) {
		o.MaxResponseBytes = limit
		o.Timeout = 30 * time.Second
	})
	_, err := c.ListIntegrations(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
	}
	var te *TimeoutError
	if errors.As(err, &te) {
		t.Fatalf("err = %v: the client read the stream until its timeout", err)
	}
}

// TestResponseTooLargeByLength checks that a response whose Content-Length is
// over the cap is refused without reading it: the body here never arrives.
func TestResponseTooLargeByLength(t *testing.T) {
	u := newUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(1<<30))
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"data":`)
		w.(http.Flusher).Flush()
		<-r.Context().Done()
	})
	c := newClient(t, u.URL, func(o *Options) { o.MaxResponseBytes = 4096 })
	_, err := c.GetRegistry(t.Context())
	if !errors.Is(err, ErrResponseTooLarge) {
		t.Fatalf("err = %v, want one wrapping ErrResponseTooLarge", err)
	}
	if !strings.Contains(err.Error(), fmt.Sprint(1<<30)) {
		t.Errorf("err %q does not give the announced size", err)
	}
}
