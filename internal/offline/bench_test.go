package offline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/offline"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// BenchmarkPropose measures a 40-page chunk (the biology and water-cycle
// texts repeated with varied numbers) asked for 30 questions.
func BenchmarkPropose(b *testing.B) {
	var pages []quizflow.Page
	for i := range 5 {
		for _, p := range append(append([]quizflow.Page{}, biology...), waterCycle...) {
			pages = append(pages, quizflow.Page{Number: len(pages) + 1, Text: fmt.Sprintf("%s Section %d covers this material in depth.", p.Text, i)})
		}
	}
	p := generate.Proposal{Pages: pages, Count: 30}
	for b.Loop() {
		if _, err := (offline.Model{}).Propose(context.Background(), p); err != nil {
			b.Fatal(err)
		}
	}
}
