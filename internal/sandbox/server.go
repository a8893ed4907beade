package sandbox

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"
)

// shutdownTimeout bounds how long Close waits for in-flight requests before closing connections.
const shutdownTimeout = 5 * time.Second

// Server is a Handler served over HTTP on a loopback listener. Create one with Listen and stop it
// with Close.
type Server struct {
	handler *Handler
	srv     *http.Server
	url     string
	done    chan struct{} // closed when the serving goroutine has returned
	err     error         // the serving error, readable once done is closed

	closeOnce sync.Once
	closeErr  error
}

// Listen starts serving a new Handler built from opts on 127.0.0.1 at a free port.
func Listen(opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("sandbox: listen on loopback: %w", err)
	}
	h := NewHandler(opts)
	s := &Server{
		handler: h,
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       60 * time.Second,
			MaxHeaderBytes:    64 << 10,
		},
		url:  "http://" + ln.Addr().String(),
		done: make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.err = err
		}
	}()
	return s, nil
}

// URL returns the server's base URL, such as "http://127.0.0.1:41234" (no trailing slash).
func (s *Server) URL() string { return s.url }

// Handler returns the Handler being served.
func (s *Server) Handler() *Handler { return s.handler }

// Close shuts the server down gracefully (forcing connections closed after a timeout) and waits
// for the serving goroutine to return. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
		defer cancel()
		if err := s.srv.Shutdown(ctx); err != nil {
			if cerr := s.srv.Close(); cerr != nil {
				s.closeErr = fmt.Errorf("sandbox: close: %w", cerr)
			}
		}
		<-s.done
		if s.closeErr == nil && s.err != nil {
			s.closeErr = fmt.Errorf("sandbox: serve: %w", s.err)
		}
	})
	return s.closeErr
}
