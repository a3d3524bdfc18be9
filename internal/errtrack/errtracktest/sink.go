// Package errtracktest is a local Sentry endpoint for tests: an HTTP
// server that accepts the SDK's envelopes (POST /api/<project>/envelope/)
// and keeps their bytes, so a test can wait for an event and check what
// it carries, and what it does not.
package errtracktest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sink receives envelopes.
type Sink struct {
	srv *httptest.Server

	mu        sync.Mutex
	envelopes [][]byte
	changed   chan struct{} // closed and replaced at each envelope
}

// New starts a Sink that stops with the test.
func New(t testing.TB) *Sink {
	s := &Sink{changed: make(chan struct{})}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// DSN is the SENTRY_DSN that sends to the sink (project 42).
func (s *Sink) DSN() string {
	return strings.Replace(s.srv.URL, "http://", "http://publickey@", 1) + "/42"
}

func (s *Sink) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || !strings.HasPrefix(r.URL.Path, "/api/42/") {
		http.NotFound(w, r)
		return
	}
	var body io.Reader = http.MaxBytesReader(w, r.Body, 10<<20)
	if r.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	s.envelopes = append(s.envelopes, b)
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"id":"00000000000000000000000000000000"}`)
}

// All returns every envelope received so far.
func (s *Sink) All() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.envelopes...)
}

// Wait returns the first envelope that contains every one of substrings,
// waiting up to within for it; it fails the test if none arrives.
func (s *Sink) Wait(t testing.TB, within time.Duration, substrings ...string) []byte {
	t.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		changed := s.changed
		for _, e := range s.envelopes {
			if containsAll(e, substrings) {
				s.mu.Unlock()
				return e
			}
		}
		n := len(s.envelopes)
		s.mu.Unlock()
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("no envelope with %q within %v (%d received)", substrings, within, n)
			return nil
		}
	}
}

func containsAll(b []byte, subs []string) bool {
	for _, s := range subs {
		if !bytes.Contains(b, []byte(s)) {
			return false
		}
	}
	return true
}
