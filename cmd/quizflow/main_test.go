//go:build !nodev

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/devstack"
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

var (
	apiLine    = regexp.MustCompile(`API\s+(http://\S+)/v1`)
	listenLine = regexp.MustCompile(`(?m)^listening\s+(\S+)$`)
)

// devStack is a running `quizflow dev`: the API's base URL and the address
// it printed it listens on.
type devStack struct {
	base, listen string
}

// startDev runs `quizflow dev` in-process on its own data dir and a free
// port, and returns the API's base URL and listening address.
func startDev(t *testing.T, env map[string]string) devStack {
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
			l := listenLine.FindStringSubmatch(out.String())
			if l == nil {
				t.Fatalf("dev did not print its listening address:\n%s", out.String())
			}
			return devStack{base: m[1], listen: l[1]}
		}
		select {
		case err := <-done:
			t.Fatalf("dev exited early: %v\nstdout:\n%s\nlogs:\n%s", err, out.String(), logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("dev did not print its URL:\n%s\nlogs:\n%s", out.String(), logs.String())
	return devStack{}
}

// TestDevAndSubmit is `make run` plus `quizflow submit` of the 10-page PDF
// with no API key: the quiz is printed with answers and sources. A second
// instance with its own port and data directory runs beside the first. With
// HOST unset, both listen on 127.0.0.1 only.
func TestDevAndSubmit(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	pdf := filepath.Join(filepath.Dir(file), "..", "..", "internal", "extract", "testdata", "libreoffice-handbook-10p.pdf")
	firstStack := startDev(t, map[string]string{"PORT": "0", "QUIZFLOW_DATA": t.TempDir(), "LOG_LEVEL": "warn"})
	secondStack := startDev(t, map[string]string{"PORT": "0", "QUIZFLOW_DATA": t.TempDir(), "LOG_LEVEL": "warn"})
	first, second := firstStack.base, secondStack.base
	if first == second {
		t.Fatal("two instances share a URL")
	}
	for i, s := range []devStack{firstStack, secondStack} {
		host, _, err := net.SplitHostPort(s.listen)
		if err != nil || host != devstack.DefaultHost || !strings.HasPrefix(s.base, "http://127.0.0.1:") {
			t.Errorf("instance %d listens on %q (API %s), want 127.0.0.1 when HOST is unset", i, s.listen, s.base)
		}
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

// TestDevRefusesProduction: `quizflow dev` with APP_ENV=production stops
// before it starts anything or writes its data directory.
func TestDevRefusesProduction(t *testing.T) {
	data := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"APP_ENV": "production", "QUIZFLOW_DATA": data, "PORT": "0"}
	var out, logs syncBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := run(ctx, []string{"dev"}, func(k string) string { return env[k] }, &out, &logs)
	if !errors.Is(err, devstack.ErrProduction) {
		t.Fatalf("dev with APP_ENV=production = %v, want devstack.ErrProduction", err)
	}
	for _, want := range []string{"APP_ENV=production", "embedded", devstack.DevEmail, "cmd/api, cmd/worker and cmd/scheduler"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if _, statErr := os.Stat(data); !os.IsNotExist(statErr) {
		t.Errorf("data directory %s exists after the refusal (stat: %v)", data, statErr)
	}
	if out.String() != "" {
		t.Errorf("dev printed %q before refusing", out.String())
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
