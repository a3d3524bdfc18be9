package generate_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/llm"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// document returns pages of made-up prose: every sentence is distinct
// words, so questions about different sentences are never near-duplicates.
func document(pages, sentencesPerPage int, seed uint64) []quizflow.Page {
	r := rand.New(rand.NewPCG(seed, 7))
	syl := []string{"ka", "lo", "mir", "tan", "ve", "sul", "dor", "pe", "qui", "ran", "zo", "bel", "fen", "gri", "hu", "nax", "op", "ric", "sta", "wen"}
	word := func(minSyl int) string {
		n := minSyl + r.IntN(3)
		var b strings.Builder
		for range n {
			b.WriteString(syl[r.IntN(len(syl))])
		}
		return b.String()
	}
	out := make([]quizflow.Page, pages)
	for p := range out {
		var b strings.Builder
		for s := range sentencesPerPage {
			n := 8 + r.IntN(6)
			ws := make([]string, n)
			for i := range ws {
				ws[i] = word(1 + i%3)
			}
			ws[0] = strings.ToUpper(ws[0][:1]) + ws[0][1:]
			b.WriteString(strings.Join(ws, " "))
			b.WriteString(". ")
			if s%4 == 3 {
				b.WriteString("\n\n")
			}
		}
		out[p] = quizflow.Page{Number: p + 1, Text: strings.TrimSpace(b.String())}
	}
	return out
}

// bundle is what a pipeline test needs.
type bundle struct {
	fake  *fakeopenai.Server
	model *llm.Client
	pipe  *generate.Pipeline
}

// setupModel returns an llm client for fake (first cfg, if given, is the
// base configuration).
func setupModel(t *testing.T, fake *fakeopenai.Server, cfg ...llm.Config) *llm.Client {
	t.Helper()
	var lc llm.Config
	if len(cfg) > 0 {
		lc = cfg[0]
	}
	lc.APIKey, lc.BaseURL = "test-key", fake.URL
	if lc.Model == "" {
		lc.Model = "gpt-4o-mini"
	}
	if lc.MaxBackoff == 0 {
		lc.MaxBackoff = 50 * time.Millisecond // keep 5xx retries quick
	}
	if lc.HTTPClient == nil {
		lc.HTTPClient = &http.Client{}
	}
	model, err := llm.New(lc)
	if err != nil {
		t.Fatal(err)
	}
	return model
}

type setupOpts struct {
	llm  llm.Config
	pipe generate.Config
}

// setup starts a fake OpenAI server and a pipeline over the real llm
// client talking to it over HTTP.
func setup(t *testing.T, script fakeopenai.Script, o setupOpts) *bundle {
	t.Helper()
	fake := fakeopenai.New()
	t.Cleanup(fake.Close)
	fake.SetScript(script)
	model := setupModel(t, fake, o.llm)
	pc := o.pipe
	pc.Model = model
	pipe, err := generate.New(pc)
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{fake: fake, model: model, pipe: pipe}
}

func mcOptions(n int) quizflow.GenerateOptions {
	return quizflow.GenerateOptions{QuestionCount: n, QuestionTypes: []string{quizflow.MultipleChoice}, Difficulty: "medium", Language: "en"}
}

// assertQuiz checks what every successful quiz must be: exactly n
// questions, each valid and grounded in pages, no two duplicates, unique
// IDs, and keys spread evenly over positions.
func assertQuiz(t *testing.T, res *generate.Result, pages []quizflow.Page, n int) {
	t.Helper()
	if res == nil {
		t.Fatal("nil result")
	}
	if len(res.Questions) != n {
		t.Fatalf("got %d questions, want %d (warnings %q)", len(res.Questions), n, res.Warnings)
	}
	ids := map[string]bool{}
	for i, q := range res.Questions {
		if err := qcheck.Validate(q); err != nil {
			t.Errorf("question %d invalid: %v", i, err)
		}
		if !qcheck.Grounded(q, pages) {
			t.Errorf("question %d not grounded: page %d quote %q", i, q.Source.Page, q.Source.Quote)
		}
		if !q.Verified {
			t.Errorf("question %d not marked verified", i)
		}
		if ids[q.ID] || q.ID == "" {
			t.Errorf("question %d: bad or repeated ID %q", i, q.ID)
		}
		ids[q.ID] = true
		for j := range i {
			if qcheck.IsDuplicate(q, res.Questions[j]) {
				t.Errorf("questions %d and %d are duplicates: %q / %q", j, i, res.Questions[j].Prompt, q.Prompt)
			}
		}
	}
	assertBalanced(t, res.Questions)
}

// assertBalanced checks that, among multiple-choice questions with the
// same number of options, key positions differ in count by at most one.
func assertBalanced(t *testing.T, qs []quizflow.Question) {
	t.Helper()
	byN := map[int][]quizflow.Question{}
	for _, q := range qs {
		if q.Type == quizflow.MultipleChoice {
			byN[len(q.Options)] = append(byN[len(q.Options)], q)
		}
	}
	for n, group := range byN {
		counts := qcheck.PositionCounts(group)
		lo, hi := len(group), 0
		for p := range n {
			lo, hi = min(lo, counts[p]), max(hi, counts[p])
		}
		if hi-lo > 1 {
			t.Errorf("key positions of %d-option questions not balanced: %v", n, counts)
		}
	}
}

// assertGenerationError checks err is the user-facing EGENERATION error.
func assertGenerationError(t *testing.T, err error) {
	t.Helper()
	var qe *quizflow.Error
	if !errors.As(err, &qe) || qe.Code != quizflow.EGENERATION {
		t.Fatalf("err = %v, want *quizflow.Error with code %s", err, quizflow.EGENERATION)
	}
}

// assertTransient checks err is a plain (retryable) error, not a user one.
func assertTransient(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		t.Fatal("err = nil, want a transient error")
	}
	if quizflow.IsUserError(err) {
		t.Fatalf("err = %v is a user error; want a plain error so the task retries", err)
	}
}

func generate1(t *testing.T, b *bundle, req generate.Request) (*generate.Result, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return b.pipe.Generate(ctx, req)
}

func pagesOf(c *fakeopenai.Call) string {
	var s []string
	for _, p := range c.Pages {
		s = append(s, fmt.Sprint(p.Number))
	}
	return strings.Join(s, ",")
}
