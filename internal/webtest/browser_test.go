package webtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/childproc"
	"github.com/quizflow/quizflow/internal/testenv"
)

func TestMain(m *testing.M) { testenv.Main(m) }

// fixturePDF is the document the browser tests upload: a real
// LibreOffice export with enough text for a quiz (the one `quizflow dev`
// suggests trying with `quizflow submit`).
const fixturePDF = "internal/extract/testdata/libreoffice-handbook-10p.pdf"

// defaultChromium is Debian's chromium package; CHROMIUM overrides it.
const defaultChromium = "/usr/bin/chromium"

// TestBrowser runs `node --test tests/` in web/ against a fresh `quizflow
// dev` (the real binary, on a free port and its own data directory, its
// mail going to Mailpit), streaming node's output into the test log. The
// tests get:
//
//	QUIZFLOW_URL          http://localhost:PORT (localhost, a secure
//	                      context, so Secure cookies work over HTTP)
//	QUIZFLOW_FIXTURE_PDF  a small real PDF to upload
//	QUIZFLOW_SCREENSHOTS  where to write screenshots (web/tests/screenshots
//	                      unless QUIZFLOW_SCREENSHOTS is set)
//	QUIZFLOW_MAILPIT_URL  Mailpit's HTTP API, to read the mail sent
//	CHROMIUM              the browser to launch (/usr/bin/chromium)
//
// Node.js and Chromium must be installed (it fails, naming the Debian
// package, when either is missing); web/node_modules is installed with
// npm ci when missing.
func TestBrowser(t *testing.T) {
	root := repoRoot(t)
	webDir := filepath.Join(root, "web")
	node := need(t, "node", "nodejs (Node.js 20 or later)")
	chromium := os.Getenv("CHROMIUM")
	if chromium == "" {
		chromium = defaultChromium
	}
	if st, err := os.Stat(chromium); err != nil || st.IsDir() || st.Mode()&0o111 == 0 {
		t.Fatalf("no Chromium at %s (CHROMIUM): install the Debian package chromium (apt-get install chromium)", chromium)
	}
	if _, err := os.Stat(filepath.Join(webDir, "node_modules")); errors.Is(err, os.ErrNotExist) {
		npm := need(t, "npm", "npm")
		t.Logf("web/node_modules is missing: npm ci")
		run(t, webDir, os.Environ(), npm, "ci", "--no-audit", "--no-fund")
	}
	shots := os.Getenv("QUIZFLOW_SCREENSHOTS")
	if shots == "" {
		shots = filepath.Join(webDir, "tests", "screenshots")
	}
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatalf("screenshots directory: %v", err)
	}
	shots, _ = filepath.Abs(shots)

	mail := testenv.MailpitServer(t)
	url := startDev(t, root, mail.SMTPURL)

	env := append(os.Environ(),
		"QUIZFLOW_URL="+url,
		"QUIZFLOW_FIXTURE_PDF="+filepath.Join(root, fixturePDF),
		"QUIZFLOW_SCREENSHOTS="+shots,
		"QUIZFLOW_MAILPIT_URL="+mail.APIURL,
		"CHROMIUM="+chromium,
	)
	ctx, cancel := context.WithTimeout(context.Background(), timeLeft(t, 20*time.Minute))
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=spec", "tests/")
	cmd.Dir, cmd.Env = webDir, env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// Kill the whole group (node's test files and their browsers) on timeout.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	out := &lineLogger{t: t, prefix: "node: "}
	cmd.Stdout, cmd.Stderr = out, out
	t.Logf("node --test tests/ with QUIZFLOW_URL=%s (screenshots in %s)", url, shots)
	start := time.Now()
	err := cmd.Run()
	out.flush()
	if ctx.Err() != nil {
		t.Fatalf("node --test ran out of time after %v", time.Since(start).Round(time.Second))
	}
	if err != nil {
		t.Fatalf("node --test failed after %v: %v (its output is above)", time.Since(start).Round(time.Second), err)
	}
	t.Logf("browser tests passed in %v", time.Since(start).Round(time.Second))
}

// startDev builds cmd/quizflow, starts `quizflow dev` on a free port with
// its own data directory and the given SMTP_URL, waits until /readyz
// answers 200 and returns the app's URL (http://localhost:PORT). The stack
// stops when the test ends; its output is logged if the test failed.
func startDev(t *testing.T, root, smtpURL string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "quizflow")
	gocmd := need(t, "go", "golang (the go command)")
	run(t, root, os.Environ(), gocmd, "build", "-o", bin, "./cmd/quizflow")
	// The port is free when probed; another process may take it before
	// the stack binds it, so a failed bind is retried on a new port.
	for try := 1; ; try++ {
		url, logs, err := launch(t, bin, smtpURL)
		if err == nil {
			return url
		}
		if try < 3 && strings.Contains(logs, "address already in use") {
			t.Logf("quizflow dev: %v; again on another port", err)
			continue
		}
		t.Fatalf("quizflow dev: %v\n%s", err, logs)
	}
}

// launch starts one `quizflow dev` and waits for it to be ready; on an
// error it returns the stack's output too.
func launch(t *testing.T, bin, smtpURL string) (url, output string, err error) {
	t.Helper()
	port := freePort(t)
	url = "http://localhost:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "dev")
	// A clean environment: a developer's MONGODB_URI, REDIS_URL or
	// OPENAI_API_KEY must not reach the test's stack.
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + t.TempDir(),
		"PORT=" + strconv.Itoa(port),
		"QUIZFLOW_DATA=" + t.TempDir(),
		"PUBLIC_URL=" + url, // the links in mail open the app under test
		"SMTP_URL=" + smtpURL,
	}
	const keep = 512 << 10
	logs := childproc.NewTailBuffer(keep)
	cmd.Stdout, cmd.Stderr = logs, logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return "", "", fmt.Errorf("start: %w", err)
	}
	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		// A graceful stop first (it stops its embedded Redis), then the
		// whole group.
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			t.Errorf("quizflow dev did not stop within 20s of SIGINT; killing it")
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
		if t.Failed() {
			t.Logf("quizflow dev output (last %d KiB):\n%s", keep>>10, logs.String())
		}
	})

	ready := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	deadline := time.Now().Add(timeLeft(t, 3*time.Minute))
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := client.Get(ready)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				t.Logf("quizflow dev ready at %s", url)
				return url, "", nil
			}
		}
		select {
		case <-exited:
			return "", logs.String(), fmt.Errorf("exited before it was ready: %v", waitErr)
		case <-tick.C:
		}
		if time.Now().After(deadline) {
			return "", logs.String(), fmt.Errorf("not ready at %s (last: %v)", ready, err)
		}
	}
}

// repoRoot is the module's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root %s: %v", root, err)
	}
	return root
}

// need returns the path of a program on PATH, or fails the test naming
// the package that provides it.
func need(t *testing.T, name, pkg string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: the browser tests need it (install the Debian package %s)", name, pkg)
	}
	return p
}

// run runs a program in dir, failing the test with its output.
func run(t *testing.T, dir string, env []string, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir, cmd.Env = dir, env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(name), strings.Join(args, " "), err, out)
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// timeLeft is limit, or less if the test's deadline is nearer (keeping a
// minute to clean up).
func timeLeft(t *testing.T, limit time.Duration) time.Duration {
	if dl, ok := t.Deadline(); ok {
		if left := time.Until(dl) - time.Minute; left < limit {
			return max(left, time.Second)
		}
	}
	return limit
}

// lineLogger writes each complete line to the test log as it comes.
type lineLogger struct {
	t      *testing.T
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.t.Log(l.prefix + string(l.buf[:i]))
		l.buf = l.buf[i+1:]
	}
}

// flush logs a last line without a newline.
func (l *lineLogger) flush() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.buf) > 0 {
		l.t.Log(l.prefix + string(l.buf))
		l.buf = nil
	}
}
