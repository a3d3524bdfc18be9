// Package childproc builds QuizFlow's commands (cmd/api, cmd/worker,
// cmd/scheduler) and runs them as child processes of a test or benchmark,
// configured by environment variables as in production.
//
// A child runs in its own process group with a parent-death signal, so
// neither it nor anything it starts (an extraction sandbox) outlives the
// test; the test's cleanup kills the group and logs the child's output if
// the test failed. Building needs the go command on PATH.
package childproc

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Commands built by Binary.
var commands = []string{"api", "worker", "scheduler"}

var bins struct {
	once sync.Once
	dir  string
	err  error
}

// Binary returns the path of cmd/<name> (api, worker or scheduler),
// building all three with `go build` on the first call of the test binary.
// They are built into one directory per user under the system's temporary
// directory, replaced by each run (the go command's build cache makes that
// quick), so nothing accumulates there.
func Binary(tb testing.TB, name string) string {
	tb.Helper()
	if !slices.Contains(commands, name) {
		tb.Fatalf("childproc: no command %q (have %v)", name, commands)
	}
	bins.once.Do(func() {
		dir := filepath.Join(os.TempDir(), "quizflow-childproc-"+strconv.Itoa(os.Getuid()))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			bins.err = fmt.Errorf("childproc: %w", err)
			return
		}
		bins.dir = dir
		gocmd, err := exec.LookPath("go")
		if err != nil {
			bins.err = fmt.Errorf("childproc: building QuizFlow's commands needs the go command: %w", err)
			return
		}
		args := []string{"build", "-o", dir + string(os.PathSeparator)}
		for _, c := range commands {
			args = append(args, "github.com/quizflow/quizflow/cmd/"+c)
		}
		cmd := exec.Command(gocmd, args...)
		// The module's root, from this file's place in it, so the build
		// does not depend on the caller's working directory.
		if _, file, _, ok := runtime.Caller(0); ok {
			cmd.Dir = filepath.Join(filepath.Dir(file), "..", "..")
		}
		if out, err := cmd.CombinedOutput(); err != nil {
			bins.err = fmt.Errorf("childproc: go build: %v\n%s", err, out)
		}
	})
	if bins.err != nil {
		tb.Fatal(bins.err)
	}
	return filepath.Join(bins.dir, name)
}

// Proc is a running child process.
type Proc struct {
	// Name names the process in messages.
	Name string
	cmd  *exec.Cmd
	out  *TailBuffer
	done chan struct{} // closed when the process has exited and been reaped
	err  error         // cmd.Wait's error, once done
}

// Start runs bin with exactly the environment env (plus PATH, HOME and a
// private TMPDIR), its output kept (the last 256 KiB) for Output. The
// child is killed, with its process group, when the test ends.
func Start(tb testing.TB, name, bin string, env map[string]string) *Proc {
	tb.Helper()
	cmd := exec.Command(bin)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + tb.TempDir()}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		cmd.Env = append(cmd.Env, k+"="+env[k])
	}
	p := &Proc{Name: name, cmd: cmd, out: NewTailBuffer(256 << 10), done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.out, p.out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start %s: %v", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-p.done:
		case <-time.After(10 * time.Second):
			tb.Errorf("%s (pid %d) did not exit after SIGKILL", name, cmd.Process.Pid)
		}
		if tb.Failed() {
			tb.Logf("output of %s (pid %d, %v):\n%s", name, cmd.Process.Pid, p.err, p.out.String())
		}
	})
	return p
}

// Pid is the child's process ID.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Done is closed when the child has exited.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Kill kills the child and its process group with SIGKILL and waits until
// it has exited.
func (p *Proc) Kill(tb testing.TB) {
	tb.Helper()
	_ = syscall.Kill(-p.Pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		tb.Fatalf("%s (pid %d) did not exit after SIGKILL", p.Name, p.Pid())
	}
}

// Output is the tail of what the child wrote to stdout and stderr.
func (p *Proc) Output() string { return p.out.String() }

// Status reads a field of the child's /proc/<pid>/status given in kB
// (VmRSS, VmHWM, VmPeak, ...) and returns it in bytes.
func (p *Proc) Status(field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.Pid()))
	if err != nil {
		return 0, fmt.Errorf("read status of %s: %w", p.Name, err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok || k != field {
			continue
		}
		f := strings.Fields(v)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("%s of %s: unexpected %q", field, p.Name, line)
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("%s of %s: %w", field, p.Name, err)
		}
		return n << 10, nil
	}
	return 0, fmt.Errorf("no %s in the status of %s", field, p.Name)
}

// WaitOutput waits until the child's output contains s, and fails the
// test if the child exits or timeout passes first.
func (p *Proc) WaitOutput(tb testing.TB, s string, timeout time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(p.out.String(), s) {
		select {
		case <-p.done:
			tb.Fatalf("%s exited (%v) before writing %q:\n%s", p.Name, p.err, s, p.out.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%s did not write %q within %v:\n%s", p.Name, s, timeout, p.out.String())
		}
	}
}

// TailBuffer keeps the last bytes written to it, up to its size; safe for
// concurrent use. A child's output goes into one, so a failing test can show
// the end of it without holding all of it.
type TailBuffer struct {
	mu  sync.Mutex
	buf []byte
	max int
}

// NewTailBuffer returns a TailBuffer that keeps the last max bytes.
func NewTailBuffer(max int) *TailBuffer { return &TailBuffer{max: max} }

// Write implements io.Writer.
func (b *TailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

// String returns what the buffer holds.
func (b *TailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// WaitFor polls cond every 10 ms until it reports done, failing the test
// with cond's last report after timeout. For state that sends no signal a
// test can wait on: another process's output or records, Redis.
func WaitFor(tb testing.TB, timeout time.Duration, cond func() (done bool, report string)) {
	tb.Helper()
	deadline := time.Now().Add(timeout)
	for {
		done, report := cond()
		if done {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("still waiting after %v: %s", timeout, report)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
