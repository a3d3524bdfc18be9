package export

import (
	"bufio"
	"bytes"
	"regexp"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

var aikenOption = regexp.MustCompile(`^([A-Z])[.)] (.*)$`)

// readAiken parses Aiken the way Moodle's importer does: a question line,
// lettered option lines, an ANSWER line, blank lines between questions.
func readAiken(t *testing.T, data []byte) []parsed {
	t.Helper()
	var out []parsed
	var cur *parsed
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.TrimSpace(line) == "":
			if cur != nil {
				t.Errorf("aiken: question %q has no ANSWER line", cur.Prompt)
				cur = nil
			}
		case cur == nil:
			cur = &parsed{Type: quizflow.MultipleChoice, Prompt: line}
		case strings.HasPrefix(line, "ANSWER: "):
			a := strings.TrimPrefix(line, "ANSWER: ")
			for i := range cur.Options {
				cur.Options[i].Correct = letter(i) == a
			}
			out = append(out, *cur)
			cur = nil
		default:
			m := aikenOption.FindStringSubmatch(line)
			if m == nil || m[1] != letter(len(cur.Options)) {
				t.Fatalf("aiken: unexpected line %q", line)
			}
			cur.Options = append(cur.Options, parsedOption{Text: m[2]})
		}
	}
	return out
}

func TestAikenParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "aiken", parseBackOptions)
	checkParsed(t, "aiken", readAiken(t, f.Data), want(quiz, parseBackOptions, expectation{
		carries: func(q *quizflow.Question) bool {
			return q.Type == quizflow.MultipleChoice || q.Type == quizflow.TrueFalse
		},
		adjust: func(p *parsed) {
			p.Type = quizflow.MultipleChoice
			p.Prompt = oneLine(p.Prompt)
			for i := range p.Options {
				p.Options[i].Text = oneLine(p.Options[i].Text)
			}
		},
	}))
	for _, w := range [][]string{
		{"question 2 (multiple_answer) left out", "Aiken carries multiple choice only"},
		{"question 4 (short_answer) left out"}, {"question 5 (fill_in_blank) left out"},
		{"question 6 (matching) left out"}, {"question 7 (essay) left out"},
		{"question 3 (true_false) written as multiple choice"},
		{"question 8: line breaks"}, {"explanations left out"},
	} {
		if !hasWarning(f.Warnings, w...) {
			t.Errorf("no warning %q in %q", w, f.Warnings)
		}
	}
}

func TestAikenNothingToCarry(t *testing.T) {
	quiz := &quizflow.Quiz{ID: "x", Title: "Matching only", Questions: []quizflow.Question{{
		ID: "m", Type: quizflow.Matching, Prompt: "Match",
		Pairs: []quizflow.Pair{{Left: "a", Right: "1"}, {Left: "b", Right: "2"}},
	}}}
	_, err := Render(quiz, "aiken", quizflow.ExportOptions{})
	if quizflow.ErrorCode(err) != quizflow.EINVALID || !strings.Contains(err.Error(), "this quiz has no questions that Aiken can carry") {
		t.Fatalf("err = %v, want EINVALID about Aiken", err)
	}
}
