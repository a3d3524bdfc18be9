package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/metrics"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Main must be called first in main (and in TestMain of tests that run
// workers). In a normal start it returns at once and enables New; in an
// extraction child it reads the document and exits, never returning.
func Main() {
	if os.Getenv(envMode) != modeParse {
		hooked.Store(true)
		return
	}
	os.Exit(child())
}

// childFD is the descriptor of the pipe to the parent (ExtraFiles[0]).
const childFD = 3

// watchEvery is how often the child's watchdog looks at its memory.
const watchEvery = 10 * time.Millisecond

// child runs one extraction; its exit status is 0 whenever it wrote a
// result (success or the file's fault).
func child() int {
	out := &writer{f: os.NewFile(childFD, "parent")}
	var req request
	if err := json.Unmarshal([]byte(os.Getenv(envRequest)), &req); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child: bad request:", err)
		return 2
	}
	if err := limit(req); err != nil {
		fmt.Fprintln(os.Stderr, "sandbox child:", err)
		return 2
	}
	// Time: SIGXCPU at the CPU cap (the kernel kills a second later).
	xcpu := make(chan os.Signal, 1)
	signal.Notify(xcpu, syscall.SIGXCPU)
	go func() {
		<-xcpu
		out.result(resultMsg{Code: quizflow.ETIMEOUT, Message: timedOut(time.Duration(req.CPUSeconds) * time.Second).Message})
		os.Exit(0)
	}()
	go watchMemory(req.Memory, out)

	lim := extract.Limits{
		MaxPages: req.MaxPages, MaxBytes: req.MaxBytes, MaxStreamBytes: req.MaxStreamBytes, Timeout: req.Timeout,
		Progress: func(done, total int) {
			out.send(message{Progress: &progressMsg{Done: done, Total: total}})
		},
		PageError: func(page int, err error) {
			out.send(message{PageError: &pageErrorMsg{Page: page, Error: err.Error()}})
		},
	}
	pages, err := extract.Extract(context.Background(), os.Stdin, req.Size, req.Kind, lim)
	var qe *quizflow.Error
	switch {
	case err == nil:
		out.result(resultMsg{Pages: pages})
	case errors.As(err, &qe):
		out.result(resultMsg{Code: qe.Code, Message: qe.Message})
	default:
		out.result(resultMsg{Code: codeInternal, Message: err.Error()})
	}
	return 0
}

// limit applies the kernel limits to this process. They cannot be raised
// again by it: soft and hard are set together.
func limit(req request) error {
	mem := uint64(req.Memory)
	for _, l := range []struct {
		name     string
		res      int
		cur, max uint64
	}{
		{"RLIMIT_DATA", unix.RLIMIT_DATA, mem, mem},
		{"RLIMIT_CPU", unix.RLIMIT_CPU, req.CPUSeconds, req.CPUSeconds + 1},
		{"RLIMIT_FSIZE", unix.RLIMIT_FSIZE, 0, 0},
		{"RLIMIT_NOFILE", unix.RLIMIT_NOFILE, 32, 32},
		{"RLIMIT_CORE", unix.RLIMIT_CORE, 0, 0},
	} {
		if err := unix.Setrlimit(l.res, &unix.Rlimit{Cur: l.cur, Max: l.max}); err != nil {
			return fmt.Errorf("set %s: %w", l.name, err)
		}
	}
	return nil
}

// watchMemory answers "too large" and exits once the Go runtime holds 85%
// of the cap, which ends most overruns with a clean result before the
// kernel refuses an allocation.
func watchMemory(memory int64, out *writer) {
	samples := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	threshold := uint64(memory) * 85 / 100
	for range time.Tick(watchEvery) {
		metrics.Read(samples)
		if samples[0].Value.Uint64()-samples[1].Value.Uint64() > threshold {
			out.result(resultMsg{Code: quizflow.ETOOLARGE, Message: tooLarge(memory).Message})
			os.Exit(0)
		}
	}
}

// writer sends messages to the parent, one JSON line each; after the
// result nothing more is sent.
type writer struct {
	mu   sync.Mutex
	f    *os.File
	done bool
}

func (w *writer) send(m message) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return
	}
	b, err := json.Marshal(m)
	if err != nil {
		return
	}
	w.f.Write(append(b, '\n'))
}

func (w *writer) result(r resultMsg) {
	w.send(message{Result: &r})
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
}
