package offline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/offline"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func propose(t *testing.T, p generate.Proposal) []quizflow.Question {
	t.Helper()
	res, err := offline.Model{}.Propose(context.Background(), p)
	if err != nil {
		t.Fatalf("Propose: %v", err)
	}
	if res.Usage.Model != "offline" || res.Usage.PromptTokens != 0 || res.Usage.CompletionTokens != 0 || res.Usage.CostUSD != 0 {
		t.Errorf("usage = %+v, want model offline, no tokens, no cost", res.Usage)
	}
	if len(res.Questions) > p.Count {
		t.Errorf("%d questions for Count %d", len(res.Questions), p.Count)
	}
	return res.Questions
}

// checkQuestions asserts what every offline question must satisfy.
func checkQuestions(t *testing.T, pages []quizflow.Page, qs []quizflow.Question) {
	t.Helper()
	var doc strings.Builder
	for _, p := range pages {
		doc.WriteString(p.Text + "\n")
	}
	docNorm := compact(doc.String())
	for i, q := range qs {
		if err := qcheck.Validate(q); err != nil {
			t.Errorf("question %d invalid: %v\n%+v", i, err, q)
		}
		if !qcheck.Grounded(q, pages) {
			t.Errorf("question %d not grounded: page %d quote %q", i, q.Source.Page, q.Source.Quote)
		}
		// The quote is verbatim: a substring of its page.
		for _, p := range pages {
			if p.Number == q.Source.Page && !strings.Contains(p.Text, q.Source.Quote) {
				t.Errorf("question %d: quote %q is not verbatim on page %d", i, q.Source.Quote, p.Number)
			}
		}
		if q.Explanation == "" {
			t.Errorf("question %d has no explanation", i)
		}
		for _, o := range q.Options {
			if q.Type == quizflow.TrueFalse {
				break
			}
			if !strings.Contains(docNorm, compact(o.Text)) {
				t.Errorf("question %d: option %q does not come from the document", i, o.Text)
			}
		}
		for j := range i {
			if qcheck.IsDuplicate(q, qs[j]) {
				t.Errorf("questions %d and %d are duplicates:\n  %s\n  %s", j, i, qs[j].Prompt, q.Prompt)
			}
		}
	}
}

func TestProposeRealisticDocuments(t *testing.T) {
	docs := []struct {
		name  string
		pages []quizflow.Page
		count int
		min   int // questions expected at least
	}{
		{"biology 10", biology, 10, 10},
		{"biology 30", biology, 30, 20},
		{"water cycle 10", waterCycle, 10, 8},
		{"water cycle 30", waterCycle, 30, 8},
		{"both 30", append(slices.Clone(biology), renumber(waterCycle, 6)...), 30, 28},
	}
	for _, d := range docs {
		t.Run(d.name, func(t *testing.T) {
			qs := propose(t, generate.Proposal{Pages: d.pages, Count: d.count})
			if len(qs) < d.min {
				t.Fatalf("%d questions, want at least %d", len(qs), d.min)
			}
			checkQuestions(t, d.pages, qs)

			types := map[string]int{}
			pages := map[int]int{}
			for _, q := range qs {
				types[q.Type]++
				pages[q.Source.Page]++
			}
			for _, typ := range []string{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank} {
				if types[typ] < len(qs)/5 {
					t.Errorf("only %d %s questions of %d: %v", types[typ], typ, len(qs), types)
				}
			}
			// Citations spread: every page with prose is cited, and no page
			// holds more than half the questions.
			if want := min(len(d.pages), len(qs)); len(pages) < want {
				t.Errorf("questions cite %d pages, want %d: %v", len(pages), want, pages)
			}
			for p, n := range pages {
				if n*2 > len(qs) && len(d.pages) > 1 {
					t.Errorf("page %d holds %d of %d questions", p, n, len(qs))
				}
			}
			// True/false alternates true and false statements.
			truths := 0
			for _, q := range qs {
				if q.Type == quizflow.TrueFalse && q.Options[0].Correct {
					truths++
				}
			}
			if tf := types[quizflow.TrueFalse]; tf >= 4 && (truths == 0 || truths == tf) {
				t.Errorf("true/false answers are all the same: %d true of %d", truths, tf)
			}
		})
	}
}

// compact is text as qcheck.Grounded compares it: normalised, without
// spaces, so that hyphenation across lines and elisions ("l’eau") match.
func compact(s string) string { return strings.ReplaceAll(qcheck.Normalize(s), " ", "") }

func renumber(pages []quizflow.Page, from int) []quizflow.Page {
	out := slices.Clone(pages)
	for i := range out {
		out[i].Number = from + i
	}
	return out
}

func TestProposeDistractors(t *testing.T) {
	qs := propose(t, generate.Proposal{Pages: biology, Count: 20, Types: []string{quizflow.MultipleChoice}})
	if len(qs) < 10 {
		t.Fatalf("%d multiple-choice questions, want at least 10", len(qs))
	}
	for _, q := range qs {
		if q.Type != quizflow.MultipleChoice {
			t.Fatalf("type %s, want multiple_choice only", q.Type)
		}
		if len(q.Options) < 3 {
			t.Errorf("%d options: %+v", len(q.Options), q.Options)
		}
		var key string
		for _, o := range q.Options {
			if o.Correct {
				key = o.Text
			}
		}
		// The key completes the quoted sentence; no distractor does.
		for _, o := range q.Options {
			filled := strings.Replace(q.Prompt, quizflow.BlankMarker, o.Text, 1)
			inQuote := strings.Contains(compact(filled), compact(q.Source.Quote))
			if o.Correct != inQuote {
				t.Errorf("option %q (key %q) fills the blank to give the quote: %v\n%s\n%q", o.Text, key, inQuote, q.Prompt, q.Source.Quote)
			}
		}
	}
	checkQuestions(t, biology, qs)
}

func TestProposeTypes(t *testing.T) {
	tests := []struct {
		types []string
		want  []string
	}{
		{[]string{quizflow.TrueFalse}, []string{quizflow.TrueFalse}},
		{[]string{quizflow.FillInBlank}, []string{quizflow.FillInBlank}},
		{[]string{quizflow.ShortAnswer}, []string{quizflow.ShortAnswer}},
		{[]string{quizflow.MultipleChoice, quizflow.FillInBlank}, []string{quizflow.MultipleChoice, quizflow.FillInBlank}},
		// Types it cannot make are ignored...
		{[]string{quizflow.TrueFalse, quizflow.Essay, quizflow.Matching}, []string{quizflow.TrueFalse}},
		// ...and with none it can make, it makes its default mix.
		{[]string{quizflow.Essay}, []string{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.types, ","), func(t *testing.T) {
			qs := propose(t, generate.Proposal{Pages: biology, Count: 12, Types: tt.types})
			if len(qs) < 10 {
				t.Fatalf("%d questions, want at least 10", len(qs))
			}
			got := map[string]bool{}
			for _, q := range qs {
				got[q.Type] = true
				if !slices.Contains(tt.want, q.Type) {
					t.Errorf("type %s not among %v", q.Type, tt.want)
				}
			}
			for _, w := range tt.want {
				if !got[w] {
					t.Errorf("no %s question", w)
				}
			}
			checkQuestions(t, biology, qs)
		})
	}
}

func TestProposeAvoid(t *testing.T) {
	first := propose(t, generate.Proposal{Pages: waterCycle, Count: 5})
	var avoid []string
	for _, q := range first {
		avoid = append(avoid, q.Prompt)
	}
	second := propose(t, generate.Proposal{Pages: waterCycle, Count: 5, Avoid: avoid})
	if len(second) == 0 {
		t.Fatal("no questions besides the avoided ones")
	}
	for _, q := range second {
		for _, o := range first {
			if qcheck.IsDuplicate(q, o) || q.Source.Quote == o.Source.Quote {
				t.Errorf("repeats an avoided question:\n  %s\n  %s", o.Prompt, q.Prompt)
			}
		}
	}
}

func TestProposeDeterministic(t *testing.T) {
	a := propose(t, generate.Proposal{Pages: biology, Count: 15})
	b := propose(t, generate.Proposal{Pages: biology, Count: 15})
	if len(a) != len(b) {
		t.Fatalf("%d then %d questions", len(a), len(b))
	}
	for i := range a {
		if a[i].Prompt != b[i].Prompt || a[i].Type != b[i].Type {
			t.Errorf("question %d differs: %q vs %q", i, a[i].Prompt, b[i].Prompt)
		}
	}
}

func TestProposeDifficulty(t *testing.T) {
	for _, q := range propose(t, generate.Proposal{Pages: biology, Count: 6, Difficulty: quizflow.DifficultyHard}) {
		if q.Difficulty != quizflow.DifficultyHard {
			t.Errorf("difficulty %q, want hard", q.Difficulty)
		}
	}
}

func TestProposeOtherLanguages(t *testing.T) {
	tests := []struct {
		name     string
		pages    []quizflow.Page
		language string
		min      int
		frame    string // a word of the translated frame, in some prompt or explanation
	}{
		{"french", french, "fr", 4, "texte"},
		{"german", german, "de", 4, "Text"},
		{"french auto", french, "", 4, "texte"},
		{"german as english", german, "en", 4, "The text says"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs := propose(t, generate.Proposal{Pages: tt.pages, Count: 10, Language: tt.language})
			if len(qs) < tt.min {
				t.Fatalf("%d questions, want at least %d", len(qs), tt.min)
			}
			checkQuestions(t, tt.pages, qs)
			found := false
			for _, q := range qs {
				found = found || strings.Contains(q.Prompt+q.Explanation, tt.frame)
			}
			if !found {
				t.Errorf("no question framed with %q: %+v", tt.frame, qs[0])
			}
		})
	}
}

func TestProposeEdgeCases(t *testing.T) {
	tests := []struct {
		name  string
		pages []quizflow.Page
		max   int
	}{
		{"no pages", nil, 0},
		{"empty page", []quizflow.Page{{Number: 1, Text: ""}}, 0},
		{"white space", []quizflow.Page{{Number: 1, Text: " \n\n\t "}}, 0},
		{"one sentence", []quizflow.Page{{Number: 1, Text: "Photosynthesis converts light energy into chemical energy stored in glucose molecules."}}, 1},
		{"headings and lists only", []quizflow.Page{{Number: 1, Text: "Chapter 1\nIntroduction\n\n- item one\n- item two\n\n1. First\n2. Second\n\nTable 3: Results"}}, 0},
		{"numbers only", []quizflow.Page{{Number: 1, Text: "12 34 56 78 90 12 34 56 78 90 12. 3.14159 2.71828."}}, 0},
		{"chinese", chinese, 10},
		{"japanese", []quizflow.Page{{Number: 1, Text: "光合成は植物が光エネルギーを使って二酸化炭素と水から糖を作る過程である。葉緑体で行われる。"}}, 10},
		{"korean", []quizflow.Page{{Number: 1, Text: "광합성은 식물이 빛 에너지를 이용하여 이산화탄소와 물로부터 포도당을 만드는 과정이다. 광합성은 엽록체에서 일어난다."}}, 10},
		{"invalid utf8", []quizflow.Page{{Number: 1, Text: "Photosynthesis \xff\xfe converts light energy into chemical energy in green plants and algae."}}, 1},
		{"one long line", []quizflow.Page{{Number: 1, Text: strings.Repeat("word ", 5000)}}, 0},
		{"repeated sentence", []quizflow.Page{{Number: 1, Text: strings.Repeat("Chlorophyll in the chloroplasts absorbs light energy for photosynthesis in plants. ", 20)}}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs := propose(t, generate.Proposal{Pages: tt.pages, Count: 10})
			if len(qs) > tt.max {
				t.Errorf("%d questions, want at most %d", len(qs), tt.max)
			}
			checkQuestions(t, tt.pages, qs)
		})
	}
}

func TestProposeZeroCount(t *testing.T) {
	if qs := propose(t, generate.Proposal{Pages: biology, Count: 0}); len(qs) != 0 {
		t.Errorf("%d questions for Count 0", len(qs))
	}
}

func TestProposeCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := offline.Model{}.Propose(ctx, generate.Proposal{Pages: biology, Count: 10})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Propose with a canceled context = %v, want context.Canceled", err)
	}
}

func TestName(t *testing.T) {
	if got := (offline.Model{}).Name(); got != "offline" {
		t.Errorf("Name() = %q", got)
	}
}
