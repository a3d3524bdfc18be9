package extract

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/ledongthuc/pdf"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// manyPagePDF is a generated PDF of n pages of prose in one flat page tree,
// the shape LibreOffice writes.
func manyPagePDF(n int) []byte {
	lines := strings.Split(strings.TrimSpace(`The cell is the basic unit of life. Every living organism is made of one or more cells.
Photosynthesis captures the energy of sunlight and stores it in the chemical bonds of sugar.
The water cycle describes the continuous movement of water between oceans, air and land.
Newton's second law states that the acceleration of an object is proportional to the net force.`), "\n")
	contents := make([]string, n)
	for i := range contents {
		var ls []string
		for j := 0; j < 40; j++ {
			ls = append(ls, fmt.Sprintf("%d.%d %s", i+1, j+1, lines[(i+j)%len(lines)]))
		}
		contents[i] = textPage(ls...)
	}
	return makePDF(contents, nil)
}

// BenchmarkExtractPDF measures whole-document extraction; ns/page is the
// per-page cost.
func BenchmarkExtractPDF(b *testing.B) {
	cases := []struct {
		name string
		data []byte
	}{
		{"libreoffice-handbook-10p", fixture(b, "libreoffice-handbook-10p.pdf")},
		{"chromium-print", fixture(b, "chromium-print.pdf")},
		{"ghostscript-ps2pdf", fixture(b, "ghostscript-ps2pdf.pdf")},
		{"generated-200p", manyPagePDF(200)},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.data)))
			pages := 0
			for b.Loop() {
				ps, err := extractBytes(b, c.data, quizflow.KindPDF, Limits{})
				if err != nil {
					b.Fatal(err)
				}
				pages = ps[len(ps)-1].Number
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(pages), "ns/page")
		})
	}
}

// BenchmarkPageWalk compares listing every page of a 200-page PDF by one
// walk of the page tree (pdfPages) with the library's Reader.Page(i), which
// walks from the root for each page.
func BenchmarkPageWalk(b *testing.B) {
	data := manyPagePDF(200)
	r, err := pdf.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		b.Fatal(err)
	}
	b.Run("one-pass", func(b *testing.B) {
		for b.Loop() {
			pages, err := pdfPages(r, 1000)
			if err != nil || len(pages) != 200 {
				b.Fatal(len(pages), err)
			}
			for _, p := range pages {
				if p.V.Key("Contents").IsNull() {
					b.Fatal("no contents")
				}
			}
		}
	})
	b.Run("Reader.Page", func(b *testing.B) {
		for b.Loop() {
			for i := 1; i <= r.NumPage(); i++ {
				if r.Page(i).V.Key("Contents").IsNull() {
					b.Fatal("no contents")
				}
			}
		}
	})
}
