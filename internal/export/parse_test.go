package export

import (
	"fmt"
	"html"
	"reflect"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// parsed is a question as a test reader finds it in an export, in a form
// every format can be compared in.
type parsed struct {
	Type     string
	Prompt   string
	Options  []parsedOption // choice types; true/false as True, False
	Answers  []string       // accepted answers; essay model answers
	Pairs    []quizflow.Pair
	Feedback string
	Points   string // "" where the format has no points
}

type parsedOption struct {
	Text    string
	Correct bool
}

func (p parsed) String() string {
	short := func(s string) string {
		if len(s) > 120 {
			return s[:120] + fmt.Sprintf("…(%d bytes)", len(s))
		}
		return s
	}
	return fmt.Sprintf("type=%s points=%q prompt=%q options=%v answers=%q pairs=%q feedback=%q",
		p.Type, p.Points, short(p.Prompt), p.Options, p.Answers, p.Pairs, p.Feedback)
}

// expectation says how a format is expected to carry the fixture.
type expectation struct {
	carries  func(q *quizflow.Question) bool // nil: every type
	points   bool                            // the format holds points
	feedback bool                            // the format holds explanations
	// essayAnswers: the format holds essay model answers.
	essayAnswers bool
	// adjust applies the format's documented text changes.
	adjust func(p *parsed)
}

// want builds the questions a reader should find in an export of quiz.
func want(quiz *quizflow.Quiz, opts quizflow.ExportOptions, e expectation) []parsed {
	var out []parsed
	for _, raw := range quiz.Questions {
		q, _ := cleanQuestion(raw)
		if e.carries != nil && !e.carries(&q) {
			continue
		}
		p := parsed{Type: q.Type, Prompt: q.Prompt}
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			for _, o := range q.Options {
				p.Options = append(p.Options, parsedOption{o.Text, o.Correct})
			}
		case quizflow.TrueFalse:
			v, _ := truth(&q)
			p.Options = []parsedOption{{"True", v}, {"False", !v}}
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			p.Answers = nonEmpty(q.Answers)
		case quizflow.Matching:
			p.Pairs = q.Pairs
		case quizflow.Essay:
			if e.essayAnswers {
				p.Answers = nonEmpty(q.Answers)
			}
		}
		if e.feedback && opts.IncludeFeedback {
			p.Feedback = strings.TrimSpace(q.Explanation)
		}
		if e.points {
			pts := q.Points
			if pts <= 0 {
				pts = opts.PointsPerQuestion
			}
			if pts <= 0 {
				pts = 1
			}
			p.Points = formatPoints(pts)
		}
		if e.adjust != nil {
			e.adjust(&p)
		}
		out = append(out, p)
	}
	return out
}

// comparable returns p with its options sorted when the format may
// reorder them, so shuffled output compares with the quiz.
func checkParsed(t *testing.T, format string, got, want []parsed) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: read %d questions, want %d", format, len(got), len(want))
		for _, g := range got {
			t.Logf("got  %v", g)
		}
		return
	}
	for i := range want {
		if !reflect.DeepEqual(normal(got[i]), normal(want[i])) {
			t.Errorf("%s: question %d differs\n got: %v\nwant: %v", format, i+1, got[i], want[i])
		}
	}
}

// normal makes nil and empty slices equal.
func normal(p parsed) parsed {
	if len(p.Options) == 0 {
		p.Options = nil
	}
	if len(p.Answers) == 0 {
		p.Answers = nil
	}
	if len(p.Pairs) == 0 {
		p.Pairs = nil
	}
	return p
}

// fromHTML turns an HTML fragment written by htmlText back into text.
func fromHTML(s string) string {
	s = strings.ReplaceAll(s, "<br>", "\n")
	s = strings.ReplaceAll(s, "<br/>", "\n")
	return html.UnescapeString(s)
}

// parseBackOptions are the options the parse-back tests render with.
var parseBackOptions = quizflow.ExportOptions{IncludeFeedback: true}
