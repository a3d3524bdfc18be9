package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// readBlackboard parses Blackboard's tab-delimited upload format.
func readBlackboard(t *testing.T, data []byte) []parsed {
	t.Helper()
	types := map[string]string{}
	for k, v := range blackboardType {
		types[v] = k
	}
	var out []parsed
	for _, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		f := strings.Split(line, "\t")
		p := parsed{Type: types[f[0]], Prompt: fromHTML(f[1])}
		switch f[0] {
		case "MC", "MA":
			for i := 2; i+1 < len(f); i += 2 {
				if f[i+1] != "correct" && f[i+1] != "incorrect" {
					t.Fatalf("blackboard: bad mark %q", f[i+1])
				}
				p.Options = append(p.Options, parsedOption{fromHTML(f[i]), f[i+1] == "correct"})
			}
		case "TF":
			v := f[2] == "true"
			p.Options = []parsedOption{{"True", v}, {"False", !v}}
		case "FIB":
			p.Answers = f[2:]
			// FIB stands for both; the blank tells them apart.
			p.Type = quizflow.ShortAnswer
			if strings.Contains(p.Prompt, quizflow.BlankMarker) {
				p.Type = quizflow.FillInBlank
			}
		case "MAT":
			for i := 2; i+1 < len(f); i += 2 {
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: fromHTML(f[i]), Right: f[i+1]})
			}
		case "ESS":
			if f[2] != "" {
				p.Answers = []string{fromHTML(f[2])}
			}
		default:
			t.Fatalf("blackboard: unknown type %q", f[0])
		}
		out = append(out, p)
	}
	return out
}

// blackboardWant is what readBlackboard should find in an export of quiz:
// tabs in HTML text become spaces, plain answers are one line.
func blackboardWant(quiz *quizflow.Quiz, opts quizflow.ExportOptions) []parsed {
	untab := func(s string) string { return strings.ReplaceAll(s, "\t", " ") }
	return want(quiz, opts, expectation{
		essayAnswers: true,
		adjust: func(p *parsed) {
			p.Prompt = untab(p.Prompt)
			for i := range p.Options {
				p.Options[i].Text = untab(p.Options[i].Text)
			}
			for i := range p.Answers {
				if p.Type == quizflow.Essay {
					p.Answers[i] = untab(p.Answers[i])
				} else {
					p.Answers[i] = oneLine(p.Answers[i])
				}
			}
			for i := range p.Pairs {
				p.Pairs[i].Left = untab(p.Pairs[i].Left)
				p.Pairs[i].Right = oneLine(p.Pairs[i].Right)
			}
		},
	})
}

func TestBlackboardParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "blackboard-tsv", parseBackOptions)
	checkParsed(t, "blackboard-tsv", readBlackboard(t, f.Data), blackboardWant(quiz, parseBackOptions))
	for _, line := range strings.Split(string(f.Data), "\n") {
		if strings.Contains(line, "\r") {
			t.Errorf("carriage return in %q", line)
		}
	}
	if !hasWarning(f.Warnings, "question 4: tabs replaced") || !hasWarning(f.Warnings, "explanations left out") {
		t.Errorf("warnings = %q", f.Warnings)
	}
}

// TestBlackboardFormulaCells: fields that would run as formulas when the
// file is opened in a spreadsheet start with ', the keyword fields
// Blackboard reads (type, correct|incorrect, true|false) are untouched
// (readBlackboard fails on any other), and nothing else changes.
func TestBlackboardFormulaCells(t *testing.T) {
	quiz := formulaQuiz()
	f := render(t, quiz, "blackboard-tsv", parseBackOptions)
	if !bytes.Contains(f.Data, []byte("MC\t'=1+2 is?\t'=3\tcorrect\t'=HYPERLINK(x)\tincorrect\tplain\tincorrect\n")) {
		t.Errorf("no quoted MC line for = in\n%s", f.Data)
	}
	r := csv.NewReader(bytes.NewReader(f.Data))
	r.Comma = '\t'
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows, quoted := unquoteCells(t, rows, 0)
	checkQuotedWarnings(t, f.Warnings, quoted, len(quiz.Questions))

	var b strings.Builder
	for _, row := range rows {
		b.WriteString(strings.Join(row, "\t") + "\n")
	}
	checkParsed(t, "blackboard-tsv", readBlackboard(t, []byte(b.String())), blackboardWant(quiz, parseBackOptions))
}
