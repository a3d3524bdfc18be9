package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// readCSV parses the CSV export by its documented columns.
func readCSV(t *testing.T, data []byte) []parsed {
	t.Helper()
	rows, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("csv: %v", err)
	}
	header := rows[0]
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	var out []parsed
	for _, row := range rows[1:] {
		p := parsed{Type: row[col["type"]], Prompt: row[col["question"]], Feedback: row[col["explanation"]], Points: row[col["points"]]}
		var choices, matches []string
		for i, h := range header {
			if strings.HasPrefix(h, "choice_") && row[i] != "" {
				choices = append(choices, row[i])
			}
			if strings.HasPrefix(h, "match_") && row[i] != "" {
				matches = append(matches, row[i])
			}
		}
		correct := map[string]bool{}
		for _, l := range strings.Split(row[col["correct"]], ";") {
			correct[l] = true
		}
		switch p.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			for i, c := range choices {
				p.Options = append(p.Options, parsedOption{c, correct[letter(i)]})
			}
		case quizflow.TrueFalse:
			v := row[col["correct"]] == "True"
			p.Options = []parsedOption{{"True", v}, {"False", !v}}
		case quizflow.Matching:
			for i := range choices {
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: choices[i], Right: matches[i]})
			}
		default:
			p.Answers = choices
		}
		out = append(out, p)
	}
	return out
}

func TestCSVParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "csv", parseBackOptions)
	checkParsed(t, "csv", readCSV(t, f.Data), want(quiz, parseBackOptions,
		expectation{points: true, feedback: true, essayAnswers: true}))
	// The multi-line prompt sits in one quoted field, line breaks kept
	// (written CRLF, as RFC 4180 writes them).
	if !bytes.Contains(f.Data, []byte("\"Line one of the prompt.\r\nLine two\twith a tab.\r\n\r\nA third")) {
		t.Error("multi-line prompt not kept in a quoted field")
	}
}
