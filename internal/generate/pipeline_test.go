package generate_test

import (
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestHappyPath(t *testing.T) {
	b := setup(t, nil, setupOpts{pipe: generate.Config{ChunkTokens: 600}})
	pages := document(12, 8, 1)
	var progress atomic.Int32
	res, err := generate1(t, b, generate.Request{JobID: "j1", Title: "Kelomar", Pages: pages, Options: mcOptions(10),
		Progress: func(done, total int) {
			if done > total {
				t.Errorf("progress %d/%d", done, total)
			}
			progress.Add(1)
		}})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 10)
	if len(res.Warnings) != 0 {
		t.Errorf("warnings: %q", res.Warnings)
	}
	calls := b.fake.Calls(fakeopenai.KindQuestions)
	if len(calls) < 2 {
		t.Errorf("%d calls for 12 pages in 600-token chunks; want several", len(calls))
	}
	if progress.Load() == 0 {
		t.Error("no progress reported")
	}
	// Usage is what the server billed.
	u := res.Usage
	if u.Model != "gpt-4o-mini" || u.Calls != b.fake.Count("") || u.PromptTokens <= 0 || u.CompletionTokens <= 0 {
		t.Errorf("usage = %+v, fake saw %d calls", u, b.fake.Count(""))
	}
	want := float64(u.PromptTokens)*0.15/1e6 + float64(u.CompletionTokens)*0.60/1e6
	if diff := u.CostUSD - want; diff > 1e-12 || diff < -1e-12 {
		t.Errorf("cost = %v, want %v", u.CostUSD, want)
	}
	// The request used strict structured output with the requested types.
	for _, c := range calls {
		if c.SchemaName != "quiz_questions" || !c.Strict || !slices.Equal(c.Types, []string{quizflow.MultipleChoice}) {
			t.Errorf("call %d: schema %q strict=%v types=%v", c.N, c.SchemaName, c.Strict, c.Types)
		}
	}
}

func TestAllTypes(t *testing.T) {
	b := setup(t, nil, setupOpts{})
	pages := document(6, 8, 2)
	opts := quizflow.GenerateOptions{QuestionCount: 12, QuestionTypes: quizflow.QuestionTypes, Language: "de"}
	res, err := generate1(t, b, generate.Request{Pages: pages, Options: opts})
	if err != nil {
		t.Fatal(err)
	}
	assertQuiz(t, res, pages, 12)
	types := map[string]bool{}
	for _, q := range res.Questions {
		types[q.Type] = true
	}
	if len(types) < 4 {
		t.Errorf("only types %v", types)
	}
	sys := b.fake.Calls(fakeopenai.KindQuestions)[0].Request.Messages[0].Content
	if !strings.Contains(sys, "in German") {
		t.Errorf("system prompt does not ask for German:\n%s", sys)
	}
}
