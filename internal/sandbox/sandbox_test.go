package sandbox_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/hostile"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/sandbox"
)

func TestMain(m *testing.M) {
	sandbox.Main()
	os.Exit(m.Run())
}

// peakBound is the most memory (child peak RSS) a hostile file may cost
// with the default limits: the Go runtime, the parser's budgets and slack.
const peakBound = 200 << 20

func runner(t *testing.T, lim sandbox.Limits) *sandbox.Runner {
	t.Helper()
	r, err := sandbox.New(lim, t.TempDir(), zerolog.New(zerolog.NewTestWriter(t)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// file writes b to a temporary file, as the worker does with a download.
func file(t *testing.T, b []byte) (*os.File, int64) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "upload"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	if _, err := f.Write(b); err != nil {
		t.Fatal(err)
	}
	return f, int64(len(b))
}

var (
	bombOnce sync.Once
	bomb     []byte
)

// gigaBomb is a 1.5 MB PDF whose page inflates to 1 GiB of text operators.
func gigaBomb() []byte {
	bombOnce.Do(func() { bomb = hostile.FlateBombPDF(1<<30, hostile.GlyphOps) })
	return bomb
}

func TestExtractMatchesInProcess(t *testing.T) {
	b, err := os.ReadFile("../extract/testdata/libreoffice-handbook-10p.pdf")
	if err != nil {
		t.Fatal(err)
	}
	f, size := file(t, b)
	var progress []int
	pages, st, err := runner(t, sandbox.Limits{}).Extract(context.Background(), f, size, quizflow.KindPDF,
		extract.Limits{Progress: func(done, total int) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	want, err := extract.Extract(context.Background(), f, size, quizflow.KindPDF, extract.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != len(want) {
		t.Fatalf("%d pages in the child, %d in process", len(pages), len(want))
	}
	for i := range want {
		if pages[i] != want[i] {
			t.Errorf("page %d differs:\nchild %q\nhere  %q", i, pages[i].Text, want[i].Text)
		}
	}
	for i, done := range progress {
		if done != i+1 {
			t.Fatalf("progress %v, want 1, 2, ... one call per page", progress)
		}
	}
	if len(progress) < len(pages) {
		t.Errorf("progress %v for %d pages", progress, len(pages))
	}
	if st.PeakRSS <= 0 || st.PeakRSS > peakBound || st.CPU <= 0 {
		t.Errorf("stats %+v: want a peak RSS measured and below %d", st, peakBound)
	}
	if !st.Isolated {
		t.Error("the child ran with the host's network: this machine allows user and network namespaces")
	}
}

// TestHostileFiles: each crafted file ends as its documented error, and
// the child's peak memory (from the kernel's rusage) stays below peakBound.
func TestHostileFiles(t *testing.T) {
	r := runner(t, sandbox.Limits{})
	for _, tc := range []struct {
		name string
		kind string
		file []byte
		code string
	}{
		{"1 MB PDF inflating to 1 GiB", quizflow.KindPDF, gigaBomb(), quizflow.ETOOLARGE},
		{"25 KB PDF inflating to 16 MiB of glyphs", quizflow.KindPDF, hostile.FlateBombPDF(16<<20, hostile.GlyphOps), quizflow.ETOOLARGE},
		{"1 GiB of white space", quizflow.KindPDF, hostile.FlateBombPDF(1<<30, "\x00"), quizflow.ETOOLARGE},
		{"page tree that lists itself", quizflow.KindPDF, hostile.PageCyclePDF(), quizflow.ECORRUPT},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f, size := file(t, tc.file)
			_, st, err := r.Extract(context.Background(), f, size, tc.kind, extract.Limits{})
			if quizflow.ErrorCode(err) != tc.code {
				t.Fatalf("err = %v, want %s", err, tc.code)
			}
			if st.PeakRSS > peakBound {
				t.Errorf("peak RSS %d MiB, want below %d MiB", st.PeakRSS>>20, peakBound>>20)
			}
			t.Logf("%s: peak RSS %d MiB, CPU %v", quizflow.ErrorCode(err), st.PeakRSS>>20, st.CPU)
		})
	}
}

// TestMemoryCapHolds: with the parser's own budgets out of the way, the
// gigabyte bomb meets the kernel-backed cap instead: the child stops near
// it and the file is too large; the parent is untouched.
func TestMemoryCapHolds(t *testing.T) {
	const memory = 256 << 20
	r := runner(t, sandbox.Limits{Memory: memory})
	f, size := file(t, gigaBomb())
	_, st, err := r.Extract(context.Background(), f, size, quizflow.KindPDF,
		extract.Limits{MaxBytes: 1 << 40, MaxStreamBytes: 1 << 40})
	if quizflow.ErrorCode(err) != quizflow.ETOOLARGE || !strings.Contains(err.Error(), "256 MiB") {
		t.Fatalf("err = %v, want %s naming the 256 MiB cap", err, quizflow.ETOOLARGE)
	}
	if st.PeakRSS > memory+32<<20 {
		t.Errorf("peak RSS %d MiB past the %d MiB cap", st.PeakRSS>>20, memory>>20)
	}
	t.Logf("peak RSS %d MiB, CPU %v", st.PeakRSS>>20, st.CPU)
}

// TestCPUCapHolds: a page of a gigabyte of positioning operators (no
// glyphs, so no memory) with the stream bound off runs into the CPU cap.
func TestCPUCapHolds(t *testing.T) {
	r := runner(t, sandbox.Limits{CPU: time.Second})
	f, size := file(t, hostile.FlateBombPDF(1<<30, "0 0 Td\n"))
	start := time.Now()
	_, st, err := r.Extract(context.Background(), f, size, quizflow.KindPDF,
		extract.Limits{MaxBytes: 1 << 40, MaxStreamBytes: 1 << 40})
	if quizflow.ErrorCode(err) != quizflow.ETIMEOUT {
		t.Fatalf("err = %v after %v (stats %+v), want %s", err, time.Since(start), st, quizflow.ETIMEOUT)
	}
	if st.CPU > 3*time.Second {
		t.Errorf("child used %v of CPU past a 1s cap", st.CPU)
	}
}

// TestDeadlineKillsChild: when the task's context ends, the child is
// killed at once and Extract returns the context's error.
func TestDeadlineKillsChild(t *testing.T) {
	r := runner(t, sandbox.Limits{})
	f, size := file(t, hostile.FlateBombPDF(1<<30, "0 0 Td\n"))
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, st, err := r.Extract(ctx, f, size, quizflow.KindPDF, extract.Limits{MaxBytes: 1 << 40, MaxStreamBytes: 1 << 40})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want context.DeadlineExceeded", err)
	}
	if took := time.Since(start); took > 5*time.Second || st.CPU > 3*time.Second {
		t.Errorf("returned after %v, child used %v of CPU: it was not killed at the deadline", took, st.CPU)
	}
}
