// Package sandbox reads untrusted documents in a child process whose
// memory, CPU time and wall time the kernel bounds, so that a hostile file
// can cost a worker one child, never the worker itself.
//
// The child is the worker's own binary, run again: a program that uses a
// Runner calls Main first thing in main (and a test binary in TestMain);
// Main returns at once in a normal start and never returns in a child.
// This needs no second executable, so it works in a distroless image.
//
// Inside the child, before it reads a byte of the file:
//   - RLIMIT_DATA caps its private writable memory (the Go heap and
//     everything else it allocates); going past it fails the allocation
//     and the Go runtime exits;
//   - RLIMIT_CPU caps its CPU seconds (SIGXCPU, then SIGKILL a second
//     later);
//   - RLIMIT_FSIZE is 0, so it cannot write a file, and RLIMIT_NOFILE
//     keeps it to a handful of descriptors;
//   - GOMEMLIMIT makes its collector work hard well before the cap, and a
//     watchdog answers "too large" cleanly at 85% of it;
//   - it runs in new user and network namespaces where the kernel allows
//     them (no network at all: only a loopback that is down), in an empty
//     private temporary directory, with an environment that holds none of
//     the worker's settings or secrets.
//
// The parent gives the file as the child's standard input (a regular file,
// so the parser has random access), reads progress and the result from a
// pipe, kills the child at the deadline, and maps a child that died to the
// job error a user can act on: too_large when it died near its memory cap,
// timeout when it ran out of time, corrupt otherwise.
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Defaults applied by New to zero fields of Limits.
const (
	// DefaultMemory is the child's memory cap. The in-parser budgets
	// (extract.Limits) stop the common hostile files far below it.
	DefaultMemory = 1 << 30
	// MinMemory is the smallest cap New accepts: the Go runtime of the
	// child needs about 100 MiB of it before the parser allocates.
	MinMemory = 192 << 20
)

// grace is how long past the extraction timeout the parent waits before it
// kills the child: the child stops itself at the timeout and says so,
// which gives a better message than a kill.
const grace = 5 * time.Second

// Environment variables of the child protocol.
const (
	envMode    = "QUIZFLOW_SANDBOX"
	envRequest = "QUIZFLOW_SANDBOX_REQUEST"
	modeParse  = "extract"
)

// Limits bound one child.
type Limits struct {
	// Memory caps the child's private writable memory in bytes; zero means
	// DefaultMemory.
	Memory int64
	// CPU caps the child's CPU time; zero means the extraction's timeout.
	CPU time.Duration
}

// Stats describe one child's run, from the kernel's accounting.
type Stats struct {
	// PeakRSS is the child's peak resident memory in bytes (its rusage
	// maxrss).
	PeakRSS int64
	// CPU is the user and system CPU time the child used.
	CPU time.Duration
	// Wall is how long the child ran.
	Wall time.Duration
	// Isolated tells whether the child ran without network (in new
	// namespaces).
	Isolated bool
}

// Runner starts extraction children. It is safe for concurrent use.
type Runner struct {
	exe     string
	lim     Limits
	tempDir string
	log     zerolog.Logger

	// flags is the index in isolation of the namespace set that last
	// worked; it only moves down, once per kind of refusal.
	flags atomic.Int32
	warn  sync.Once
}

// isolation lists the namespace sets tried in order: an unprivileged user
// namespace with a network namespace, then (for a root worker without
// user namespaces) a network namespace alone, then none.
var isolation = []uintptr{
	syscall.CLONE_NEWUSER | syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC,
	syscall.CLONE_NEWNET | syscall.CLONE_NEWIPC,
	0,
}

var hooked atomic.Bool

// ErrNotHooked is returned by New in a binary whose main does not call Main.
var ErrNotHooked = errors.New("sandbox: this program does not call sandbox.Main at start, so it cannot run extraction children (call it first in main, or turn the sandbox off)")

// New returns a Runner that runs this executable as the child. tempDir
// holds the children's private directories ("" = the system default).
func New(lim Limits, tempDir string, log zerolog.Logger) (*Runner, error) {
	if !hooked.Load() {
		return nil, ErrNotHooked
	}
	if lim.Memory == 0 {
		lim.Memory = DefaultMemory
	}
	if lim.Memory < MinMemory {
		return nil, fmt.Errorf("sandbox: memory cap %d bytes is below the %d the child's runtime needs", lim.Memory, MinMemory)
	}
	if lim.CPU < 0 {
		return nil, fmt.Errorf("sandbox: negative CPU limit %s", lim.CPU)
	}
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("sandbox: find own executable: %w", err)
	}
	return &Runner{exe: exe, lim: lim, tempDir: tempDir, log: log}, nil
}

// request is what the parent tells the child.
type request struct {
	Kind           string        `json:"kind"`
	Size           int64         `json:"size"`
	MaxPages       int           `json:"max_pages"`
	MaxBytes       int64         `json:"max_bytes"`
	MaxStreamBytes int64         `json:"max_stream_bytes"`
	Timeout        time.Duration `json:"timeout"`
	Memory         int64         `json:"memory"`
	CPUSeconds     uint64        `json:"cpu_seconds"`
}

// message is one line the child writes to the parent.
type message struct {
	Progress  *progressMsg  `json:"progress,omitempty"`
	PageError *pageErrorMsg `json:"page_error,omitempty"`
	Result    *resultMsg    `json:"result,omitempty"`
}

type progressMsg struct{ Done, Total int }

type pageErrorMsg struct {
	Page  int
	Error string
}

type resultMsg struct {
	Pages []quizflow.Page `json:"pages,omitempty"`
	// Code and Message are set on failure: a quizflow error code, or
	// codeInternal for an error that is not the file's fault.
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
}

const codeInternal = "sandbox_internal"

// Extract reads the document in f (size bytes, of the given kind) in a
// child process, within lim (see extract.Extract: its limits apply inside
// the child, its Progress and PageError callbacks are called here) and the
// Runner's kernel limits. Errors are those of extract.Extract, plus
// ETOOLARGE, ETIMEOUT or ECORRUPT for a child that died; ctx.Err() when ctx
// ends first; any other error is the sandbox's own and worth a retry.
func (r *Runner) Extract(ctx context.Context, f *os.File, size int64, kind string, lim extract.Limits) ([]quizflow.Page, Stats, error) {
	timeout := lim.Timeout
	if timeout <= 0 {
		timeout = extract.DefaultTimeout
	}
	cpu := r.lim.CPU
	if cpu <= 0 {
		cpu = timeout
	}
	req := request{
		Kind: kind, Size: size, MaxPages: lim.MaxPages, MaxBytes: lim.MaxBytes, MaxStreamBytes: lim.MaxStreamBytes,
		Timeout: timeout, Memory: r.lim.Memory, CPUSeconds: uint64(max(1, (cpu+time.Second-1)/time.Second)),
	}
	reqJSON, err := json.Marshal(req)
	if err != nil {
		return nil, Stats{}, fmt.Errorf("sandbox: encode request: %w", err)
	}
	dir, err := os.MkdirTemp(r.tempDir, "quizflow-sandbox-*")
	if err != nil {
		return nil, Stats{}, fmt.Errorf("sandbox: private directory: %w", err)
	}
	defer os.RemoveAll(dir)

	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, Stats{}, fmt.Errorf("sandbox: pipe: %w", err)
	}
	defer pr.Close()
	var logs tailBuffer
	cmd, isolated, err := r.start(f, pw, &logs, dir, reqJSON)
	pw.Close() // the child holds its own copy
	if err != nil {
		return nil, Stats{}, err
	}
	started := time.Now()

	// Kill the child at the deadline or when ctx ends; closing the pipe's
	// read end is not needed, the child's death closes its write end.
	killed := make(chan string, 1)
	stop := make(chan struct{})
	go func() {
		t := time.NewTimer(timeout + grace)
		defer t.Stop()
		select {
		case <-ctx.Done():
			killed <- "context"
			cmd.Process.Kill()
		case <-t.C:
			killed <- "deadline"
			cmd.Process.Kill()
		case <-stop:
		}
	}()

	res, readErr := readMessages(pr, lim, maxOutput(lim))
	if readErr != nil {
		// The child is speaking out of turn (or too much): stop it.
		cmd.Process.Kill()
	}
	waitErr := cmd.Wait()
	close(stop)
	st := stats(cmd.ProcessState, time.Since(started), isolated)

	var why string
	select {
	case why = <-killed:
	default:
	}
	switch {
	case why == "context":
		return nil, st, ctx.Err()
	case res != nil && readErr == nil:
		pages, err := res.outcome()
		return pages, st, err
	case why == "deadline" || st.CPU >= time.Duration(req.CPUSeconds)*time.Second || signalled(cmd.ProcessState, syscall.SIGXCPU):
		return nil, st, timedOut(timeout)
	case st.PeakRSS >= r.lim.Memory/2:
		r.log.Warn().Int64("peak_rss", st.PeakRSS).Str("child", logs.String()).Msg("extraction child died at its memory cap")
		return nil, st, tooLarge(r.lim.Memory)
	default:
		r.log.Warn().Err(waitErr).AnErr("read", readErr).Str("child", logs.String()).Msg("extraction child died")
		return nil, st, corrupt(kind)
	}
}

// start runs the child, trying the namespace sets from the one that last
// worked.
func (r *Runner) start(f, pw *os.File, logs io.Writer, dir string, req []byte) (*exec.Cmd, bool, error) {
	for {
		i := int(r.flags.Load())
		cmd := exec.Command(r.exe)
		cmd.Dir = dir
		cmd.Env = []string{envMode + "=" + modeParse, envRequest + "=" + string(req), "TMPDIR=" + dir,
			"GOMAXPROCS=1", "GOTRACEBACK=none",
			"GOMEMLIMIT=" + strconv.FormatInt(goMemLimit(r.lim.Memory), 10)}
		cmd.Stdin = f
		cmd.Stdout, cmd.Stderr = logs, logs
		cmd.ExtraFiles = []*os.File{pw}
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Cloneflags: isolation[i]}
		err := cmd.Start()
		if err == nil {
			if i > 0 {
				r.warn.Do(func() {
					r.log.Warn().Msg("sandbox: the kernel refused new user or network namespaces; extraction children run with this host's network (their memory, CPU and files are still bounded)")
				})
			}
			return cmd, isolation[i] != 0, nil
		}
		if i == len(isolation)-1 || !refused(err) {
			return nil, false, fmt.Errorf("sandbox: start child: %w", err)
		}
		r.flags.CompareAndSwap(int32(i), int32(i+1))
	}
}

// refused reports whether a start failed because namespaces are not
// allowed here (rather than, say, a missing executable).
func refused(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) ||
		errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EUSERS)
}

// goMemLimit is the child's GOMEMLIMIT: well under the kernel cap, so the
// collector runs hard before an allocation can fail.
func goMemLimit(memory int64) int64 { return memory * 6 / 10 }

// maxOutput bounds what the parent reads from a child: the text it may
// produce, JSON-escaped, and room for progress lines.
func maxOutput(lim extract.Limits) int64 {
	b := lim.MaxBytes
	if b <= 0 {
		b = extract.DefaultMaxBytes
	}
	return 6*b + 4<<20
}

// readMessages reads the child's lines until its result (or the end of the
// pipe), calling lim's callbacks for progress and page errors.
func readMessages(pr io.Reader, lim extract.Limits, limit int64) (*resultMsg, error) {
	dec := json.NewDecoder(io.LimitReader(pr, limit))
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil, nil // died before its result; Wait tells why
			}
			return nil, fmt.Errorf("sandbox: read child: %w", err)
		}
		switch {
		case m.Result != nil:
			return m.Result, nil
		case m.Progress != nil && lim.Progress != nil:
			lim.Progress(m.Progress.Done, m.Progress.Total)
		case m.PageError != nil && lim.PageError != nil:
			lim.PageError(m.PageError.Page, errors.New(m.PageError.Error))
		}
	}
}

func (m *resultMsg) outcome() ([]quizflow.Page, error) {
	switch m.Code {
	case "":
		return m.Pages, nil
	case codeInternal:
		return nil, fmt.Errorf("sandbox: extraction: %s", m.Message)
	}
	return nil, quizflow.Errorf(m.Code, "%s", m.Message)
}

func stats(ps *os.ProcessState, wall time.Duration, isolated bool) Stats {
	st := Stats{Wall: wall, Isolated: isolated}
	if ps == nil {
		return st
	}
	st.CPU = ps.UserTime() + ps.SystemTime()
	if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
		st.PeakRSS = ru.Maxrss << 10 // kilobytes on Linux
	}
	return st
}

func signalled(ps *os.ProcessState, sig syscall.Signal) bool {
	if ps == nil {
		return false
	}
	ws, ok := ps.Sys().(syscall.WaitStatus)
	return ok && ws.Signaled() && ws.Signal() == sig
}

func timedOut(limit time.Duration) *quizflow.Error {
	return quizflow.Errorf(quizflow.ETIMEOUT,
		"Reading this document took longer than the %s limit. Try a smaller file, or split it into parts.", limit)
}

func tooLarge(memory int64) *quizflow.Error {
	return quizflow.Errorf(quizflow.ETOOLARGE,
		"Reading this document needed more than the %s of memory one document may use. Split it into smaller parts, or save it again (some files hold far more data than their size shows).",
		quizflow.HumanBytes(memory))
}

func corrupt(kind string) *quizflow.Error {
	what := "file"
	switch kind {
	case quizflow.KindPDF:
		what = "PDF"
	case quizflow.KindDOCX:
		what = "Word document"
	}
	return quizflow.Errorf(quizflow.ECORRUPT, "This %s is damaged and cannot be read. Open it, save or export it again, and upload the new copy.", what)
}

// tailBuffer keeps the last few kilobytes written to it: the child's own
// output, for the log when it dies.
type tailBuffer struct {
	mu  sync.Mutex
	buf []byte
}

const tailMax = 1 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - tailMax; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}
