package export

import (
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// BenchmarkRender renders the fixture quiz (every question type, a
// 5,000-character stem) in each format.
func BenchmarkRender(b *testing.B) {
	q := fixture(b)
	for _, f := range Formats() {
		b.Run(f.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Render(q, f.Name, quizflow.ExportOptions{IncludeFeedback: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
