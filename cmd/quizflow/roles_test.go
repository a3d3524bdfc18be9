package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/testenv"
)

// logWatch is a goroutine-safe buffer for a process's output (JSON log
// lines) that wakes waiters on each write.
type logWatch struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newLogWatch() *logWatch { return &logWatch{changed: make(chan struct{})} }

func (w *logWatch) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(p)
	close(w.changed)
	w.changed = make(chan struct{})
	return n, err
}

func (w *logWatch) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// find returns the first JSON log line whose message is msg, and a channel
// closed at the next write when there is none yet.
func (w *logWatch) find(msg string) (map[string]any, <-chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	sc := bufio.NewScanner(bytes.NewReader(w.buf.Bytes()))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["message"] == msg {
			return line, nil
		}
	}
	return nil, w.changed
}

// role is one role of the nodev binary running as its own process.
type role struct {
	name string
	cmd  *exec.Cmd
	logs *logWatch
	done chan error
}

// wait returns the first log line with message msg, failing t if the
// process exits or the line does not come within a minute.
func (r *role) wait(t *testing.T, msg string) map[string]any {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		line, changed := r.logs.find(msg)
		if line != nil {
			return line
		}
		select {
		case <-changed:
		case err := <-r.done:
			r.done <- err
			t.Fatalf("quizflow %s exited (%v) before logging %q:\n%s", r.name, err, msg, r.logs.String())
		case <-timeout:
			t.Fatalf("quizflow %s did not log %q within a minute:\n%s", r.name, msg, r.logs.String())
		}
	}
}

// buildNodev builds cmd/quizflow as the Dockerfile does (static, stripped,
// -tags nodev) into a temporary directory.
func buildNodev(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "quizflow")
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	build := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-tags", "nodev", "-o", bin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build -tags nodev ./cmd/quizflow: %v\n%s", err, out)
	}
	return bin
}

// TestNodevRoles runs the production build's three roles as separate
// processes (`quizflow api`, `quizflow worker`, `quizflow scheduler`)
// against real Redis, store and S3, and submits a 10-page PDF through the
// API: the worker reads it in a sandboxed extraction child, which is the
// same binary re-executed (with no subcommand), and the quiz comes back.
// The child's run is proven by the worker's extraction metrics, which only
// the sandbox path records. SIGTERM then stops each role with exit status 0.
func TestNodevRoles(t *testing.T) {
	bin := buildNodev(t)
	env := testenv.New(t)
	const metricsToken = "roles-test-metrics-token-0123456789abcdef"
	base := []string{
		"APP_ENV=test", "BCRYPT_COST=4", "HOST=127.0.0.1", "PORT=0",
		"REDIS_URL=" + env.RedisURL, "MONGODB_URI=" + env.MongoURI, "MONGODB_DATABASE=" + env.MongoDB,
		"S3_ENDPOINT=" + env.S3.Endpoint, "S3_BUCKET=" + env.S3.Bucket, "S3_REGION=" + env.S3.Region,
		"S3_ACCESS_KEY_ID=" + env.S3.AccessKey, "S3_SECRET_ACCESS_KEY=" + env.S3.SecretKey,
		"METRICS_TOKEN=" + metricsToken, "METRICS_ADDR=127.0.0.1:0", "EXTRACT_SANDBOX=true",
		"TMPDIR=" + t.TempDir(),
	}
	start := func(name string, extra ...string) *role {
		r := &role{name: name, logs: newLogWatch(), done: make(chan error, 1)}
		r.cmd = exec.Command(bin, name)
		r.cmd.Env = append(append([]string{}, base...), extra...)
		r.cmd.Stdout, r.cmd.Stderr = r.logs, r.logs
		if err := r.cmd.Start(); err != nil {
			t.Fatalf("start quizflow %s: %v", name, err)
		}
		go func() { r.done <- r.cmd.Wait() }()
		t.Cleanup(func() {
			if r.cmd.ProcessState == nil {
				_ = r.cmd.Process.Kill()
			}
		})
		return r
	}
	api := start("api", "LOG_LEVEL=info")
	worker := start("worker", "LOG_LEVEL=debug")
	scheduler := start("scheduler", "LOG_LEVEL=info")

	apiAddr, _ := api.wait(t, "api listening")["addr"].(string)
	metricsAddr, _ := worker.wait(t, "worker metrics listening")["addr"].(string)
	scheduler.wait(t, "scheduler started")
	if _, _, err := net.SplitHostPort(apiAddr); err != nil {
		t.Fatalf("api logged listening on %q: %v", apiAddr, err)
	}

	_, file, _, _ := runtime.Caller(0)
	pdf := filepath.Join(filepath.Dir(file), "..", "..", "internal", "extract", "testdata", "libreoffice-handbook-10p.pdf")
	out, progress := newLogWatch(), newLogWatch()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	err := run(ctx, []string{"submit", "-api", "http://" + apiAddr, "-email", "roles@example.com", "-password", "roles test passphrase", "-n", "5", pdf},
		func(string) string { return "" }, out, progress)
	cancel()
	if err != nil {
		t.Fatalf("submit to the nodev roles: %v\nprogress:\n%s\nworker:\n%s", err, progress.String(), worker.logs.String())
	}
	if got := out.String(); strings.Count(got, "source: page") != 5 || !strings.Contains(got, "(5 questions, offline)") {
		t.Errorf("submit printed no 5-question quiz with sources:\n%s", got)
	}

	child := worker.wait(t, "extraction child done")
	if child["error_code"] != "" || child["peak_rss"] == nil {
		t.Errorf("extraction child log line %v, want no error code and a peak RSS", child)
	}
	if n := extractions(t, metricsAddr, metricsToken); n != 1 {
		t.Errorf("worker's quizflow_extract_cpu_seconds_count = %d, want 1 (one sandboxed extraction)", n)
	}

	for _, r := range []*role{api, worker, scheduler} {
		if err := r.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("SIGTERM quizflow %s: %v", r.name, err)
		}
	}
	for _, r := range []*role{api, worker, scheduler} {
		select {
		case err := <-r.done:
			if err != nil {
				t.Errorf("quizflow %s after SIGTERM: %v\n%s", r.name, err, r.logs.String())
			}
		case <-time.After(45 * time.Second):
			t.Errorf("quizflow %s did not stop within 45s of SIGTERM", r.name)
		}
	}
}

var extractCount = regexp.MustCompile(`(?m)^quizflow_extract_cpu_seconds_count (\d+)$`)

// extractions scrapes the worker's extraction count from its metrics.
func extractions(t *testing.T, addr, token string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("scrape worker metrics: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("worker metrics: status %d, %v", resp.StatusCode, err)
	}
	m := extractCount.FindSubmatch(body)
	if m == nil {
		t.Fatalf("worker metrics lack quizflow_extract_cpu_seconds_count:\n%s", body)
	}
	n, _ := strconv.Atoi(string(m[1]))
	return n
}

// TestRoleArgs: the role subcommands take their configuration from the
// environment only; an argument is a usage error, not silently ignored.
func TestRoleArgs(t *testing.T) {
	for _, name := range []string{"api", "worker", "scheduler"} {
		out, errw := newLogWatch(), newLogWatch()
		err := run(context.Background(), []string{name, "--port", "9000"}, func(string) string { return "" }, out, errw)
		if !errors.Is(err, errUsage) || !strings.Contains(errw.String(), fmt.Sprintf("quizflow %s takes no arguments", name)) {
			t.Errorf("quizflow %s --port 9000 = %v, stderr %q; want a usage error", name, err, errw.String())
		}
	}
	out, errw := newLogWatch(), newLogWatch()
	if err := run(context.Background(), []string{"help"}, func(string) string { return "" }, out, errw); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"quizflow api ", "quizflow worker ", "quizflow scheduler "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
}
