package main

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a goroutine-safe buffer that can wait for a pattern.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

var apiLine = regexp.MustCompile(`API\s+(http://\S+)/v1`)

// startDev runs `quizflow dev` in-process on its own data dir and a free
// port, and returns the API's base URL.
func startDev(t *testing.T, env map[string]string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, logs syncBuffer
	done := make(chan error, 1)
	getenv := func(k string) string { return env[k] }
	go func() { done <- run(ctx, []string{"dev"}, getenv, &out, &logs) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("dev exited with %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Error("dev did not shut down within 30s")
		}
	})
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		if m := apiLine.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("dev exited early: %v\nstdout:\n%s\nlogs:\n%s", err, out.String(), logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("dev did not print its URL:\n%s\nlogs:\n%s", out.String(), logs.String())
	return ""
}

// TestDevAndSubmit is `make run` plus `quizflow submit` of the 10-page PDF
// with no API key: the quiz is printed with answers and sources. A second
// instance with its own port and data directory runs beside the first.
func TestDevAndSubmit(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	pdf := filepath.Join(filepath.Dir(file), "..", "..", "internal", "extract", "testdata", "libreoffice-handbook-10p.pdf")
	first := startDev(t, map[string]string{"PORT": "0", "QUIZFLOW_DATA": t.TempDir(), "LOG_LEVEL": "warn"})
	second := startDev(t, map[string]string{"PORT": "0", "QUIZFLOW_DATA": t.TempDir(), "LOG_LEVEL": "warn"})
	if first == second {
		t.Fatal("two instances share a URL")
	}
	for i, base := range []string{first, second} {
		var out, progress syncBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		err := run(ctx, []string{"submit", "-api", base, "-n", "10", pdf}, func(string) string { return "" }, &out, &progress)
		cancel()
		if err != nil {
			t.Fatalf("instance %d: submit: %v\n%s", i, err, progress.String())
		}
		got := out.String()
		for n := 1; n <= 10; n++ {
			if !strings.Contains(got, fmt.Sprintf("\n%d. [", n)) {
				t.Errorf("instance %d: question %d missing from output:\n%s", i, n, got)
			}
		}
		if strings.Count(got, "source: page") != 10 || !strings.Contains(got, "(10 questions, offline)") {
			t.Errorf("instance %d: output lacks sources or header:\n%s", i, got)
		}
		if !strings.Contains(progress.String(), "done") || !strings.Contains(progress.String(), "uploaded") {
			t.Errorf("instance %d: no progress shown:\n%s", i, progress.String())
		}
	}
	// Health of the first instance through plain HTTP.
	var out syncBuffer
	err := run(context.Background(), []string{"submit", "-api", first, "/no/such/file.pdf"}, func(string) string { return "" }, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("submit of a missing file = %v", err)
	}
}

func TestUsage(t *testing.T) {
	var out, errw syncBuffer
	if err := run(context.Background(), nil, func(string) string { return "" }, &out, &errw); err != errUsage || !strings.Contains(errw.String(), "quizflow dev") {
		t.Errorf("no args: %v %q", err, errw.String())
	}
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errw); err != errUsage {
		t.Errorf("unknown command: %v", err)
	}
}
