package generate_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
)

// BenchmarkPipeline50Pages generates a 20-question quiz from a 50-page
// document (about 300 tokens a page) through the real llm client and the
// fake OpenAI server over loopback HTTP, and reports what a quiz costs in
// model calls and tokens. ns/op is the pipeline's own overhead (chunking,
// tokenising, checks, JSON, HTTP), the fake answering at once.
func BenchmarkPipeline50Pages(b *testing.B) {
	fake := fakeopenai.New()
	defer fake.Close()
	model, err := llm.New(llm.Config{APIKey: "k", BaseURL: fake.URL, Model: "gpt-4o-mini", HTTPClient: &http.Client{}})
	if err != nil {
		b.Fatal(err)
	}
	pipe, err := generate.New(generate.Config{Model: model})
	if err != nil {
		b.Fatal(err)
	}
	pages := document(50, 8, 99)
	req := generate.Request{Pages: pages, Options: mcOptions(20)}
	var calls, prompt, completion, questions int
	var cost float64
	for b.Loop() {
		res, err := pipe.Generate(context.Background(), req)
		if err != nil {
			b.Fatal(err)
		}
		calls += res.Usage.Calls
		prompt += res.Usage.PromptTokens
		completion += res.Usage.CompletionTokens
		questions += len(res.Questions)
		cost += res.Usage.CostUSD
	}
	n := float64(b.N)
	b.ReportMetric(float64(calls)/n, "calls/op")
	b.ReportMetric(float64(prompt)/float64(questions), "prompt-tokens/question")
	b.ReportMetric(float64(completion)/float64(questions), "completion-tokens/question")
	b.ReportMetric(cost/n*1000, "milli-USD/op")
}
