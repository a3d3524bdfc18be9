package e2e_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/sandbox"
)

// pdfFixtures are the readable PDF fixtures of internal/extract/testdata
// (the bad-*.pdf ones are hostile or broken on purpose, and pdf20.pdf is a
// PDF 2.0 file our parser refuses).
var pdfFixtures = []string{
	"chromium-print.pdf", "encrypted-owner-only.pdf", "ghostscript-ps2pdf.pdf", "groff-ms.pdf",
	"libreoffice-handbook-10p.pdf", "libreoffice-writer.pdf", "pandoc-ms.pdf",
}

var extractOnce struct {
	sync.Once
	ours, poppler time.Duration // summed over the fixtures, per round
	rounds        int
}

// BenchmarkExtractVsPdftotext: each PDF fixture read as the worker reads
// it, by a sandbox child process per file (internal/sandbox), against
// poppler's `pdftotext FILE -` as a process per file, alternating, several
// rounds; the figures are the time of one round over all fixtures (the
// median round). pdftotext comes from Debian's poppler-utils.
func BenchmarkExtractVsPdftotext(b *testing.B) {
	extractOnce.Do(func() {
		pdftotext, err := exec.LookPath("pdftotext")
		if err != nil {
			b.Fatalf("this benchmark compares against poppler's pdftotext: install it (apt-get install poppler-utils): %v", err)
		}
		r, err := sandbox.New(sandbox.Limits{}, b.TempDir(), zerolog.Nop())
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		const rounds = 7
		var ours, poppler []time.Duration
		perFile := map[string][2][]time.Duration{} // fixture -> ours, pdftotext
		// Round 0 warms the page cache and the binaries.
		for round := range rounds + 1 {
			var o, p time.Duration
			for _, name := range pdfFixtures {
				o0, p0 := o, p
				path := fixture(b, name)
				f, err := os.Open(path)
				if err != nil {
					b.Fatal(err)
				}
				fi, err := f.Stat()
				if err != nil {
					b.Fatal(err)
				}
				start := time.Now()
				pages, _, err := r.Extract(ctx, f, fi.Size(), quizflow.KindPDF, extract.Limits{})
				o += time.Since(start)
				f.Close()
				if err != nil || len(pages) == 0 {
					b.Fatalf("extract %s: %d pages, %v", name, len(pages), err)
				}
				start = time.Now()
				out, err := exec.Command(pdftotext, path, "-").Output()
				p += time.Since(start)
				if err != nil || len(out) == 0 {
					b.Fatalf("pdftotext %s: %d bytes, %v", name, len(out), err)
				}
				if round > 0 {
					pf := perFile[name]
					pf[0], pf[1] = append(pf[0], o-o0), append(pf[1], p-p0)
					perFile[name] = pf
				}
			}
			if round > 0 {
				ours, poppler = append(ours, o), append(poppler, p)
			}
		}
		extractOnce.ours, extractOnce.poppler, extractOnce.rounds = median(ours), median(poppler), rounds
		for _, name := range pdfFixtures {
			pf := perFile[name]
			b.Logf("%-30s ours %7.1f ms, pdftotext %7.1f ms (medians)", name, ms(median(pf[0])), ms(median(pf[1])))
		}
		e := &extractOnce
		benchRow(fmt.Sprintf("PDF extraction, whole process per file: the %d PDF fixtures (%s), median of %d rounds", len(pdfFixtures), filepath.Join("internal", "extract", "testdata"), e.rounds),
			fmt.Sprintf("%.0f ms (sandbox child per file)", ms(e.ours)),
			fmt.Sprintf("poppler `pdftotext FILE -`: %.0f ms", ms(e.poppler)),
			fmt.Sprintf("%.2fx its time", float64(e.ours)/float64(e.poppler)))
	})
	for b.Loop() {
	}
	e := &extractOnce
	b.ReportMetric(ms(e.ours), "quizflow-ms/round")
	b.ReportMetric(ms(e.poppler), "pdftotext-ms/round")
	b.ReportMetric(float64(e.ours)/float64(e.poppler), "time-ratio")
}

// median returns the middle of ds.
func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
