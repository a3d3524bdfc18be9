package sandbox_test

import (
	"context"
	"os"
	"testing"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/sandbox"
)

// BenchmarkExtract reads the 10-page handbook PDF in this process (the
// baseline) and in a sandbox child: the difference is the child's start,
// limits and result encoding.
func BenchmarkExtract(b *testing.B) {
	data, err := os.ReadFile("../extract/testdata/libreoffice-handbook-10p.pdf")
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.CreateTemp(b.TempDir(), "upload")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if _, err := f.Write(data); err != nil {
		b.Fatal(err)
	}
	size := int64(len(data))
	ctx := context.Background()
	b.Run("in-process", func(b *testing.B) {
		for b.Loop() {
			if _, err := extract.Extract(ctx, f, size, quizflow.KindPDF, extract.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("child", func(b *testing.B) {
		r, err := sandbox.New(sandbox.Limits{}, b.TempDir(), zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, _, err := r.Extract(ctx, f, size, quizflow.KindPDF, extract.Limits{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
