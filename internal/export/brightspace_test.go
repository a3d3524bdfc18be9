package export

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// readBrightspace reads the question blocks with encoding/csv, the way
// D2L's importer reads its template: a NewQuestion row opens a question and
// the first cell of each following row names its field.
func readBrightspace(t *testing.T, data []byte) []parsed {
	t.Helper()
	body, ok := bytes.CutPrefix(data, []byte("\uFEFF"))
	if !ok {
		t.Error("brightspace: no UTF-8 byte order mark")
	}
	cr := csv.NewReader(bytes.NewReader(body))
	cr.FieldsPerRecord = -1
	rows, err := cr.ReadAll()
	if err != nil {
		t.Fatalf("brightspace: %v", err)
	}
	types := map[string]string{"MC": quizflow.MultipleChoice, "MS": quizflow.MultipleAnswer, "TF": quizflow.TrueFalse,
		"SA": quizflow.ShortAnswer, "M": quizflow.Matching, "WR": quizflow.Essay}
	var out []parsed
	var cur *parsed
	choices, matches := map[string]string{}, map[string]string{}
	var order []string
	flush := func() {
		if cur == nil {
			return
		}
		for _, k := range order {
			cur.Pairs = append(cur.Pairs, quizflow.Pair{Left: choices[k], Right: matches[k]})
		}
		out = append(out, *cur)
		cur = nil
		choices, matches, order = map[string]string{}, map[string]string{}, nil
	}
	for _, row := range rows {
		for len(row) < 3 {
			row = append(row, "")
		}
		switch row[0] {
		case "":
			flush()
		case "NewQuestion":
			flush()
			typ, ok := types[row[1]]
			if !ok {
				t.Errorf("brightspace: question type %q", row[1])
			}
			cur = &parsed{Type: typ}
		case "ID", "Title", "InputBox":
		case "QuestionText":
			cur.Prompt = row[1]
		case "Points":
			cur.Points = row[1]
		case "Scoring":
			if want := map[string]string{quizflow.MultipleAnswer: "RightAnswers", quizflow.Matching: "EquallyWeighted"}[cur.Type]; row[1] != want {
				t.Errorf("brightspace: %s scoring %q", cur.Type, row[1])
			}
		case "Option":
			correct := row[1] == "100" || (cur.Type == quizflow.MultipleAnswer && row[1] == "1")
			cur.Options = append(cur.Options, parsedOption{row[2], correct})
		case "TRUE", "FALSE":
			cur.Options = append(cur.Options, parsedOption{map[string]string{"TRUE": "True", "FALSE": "False"}[row[0]], row[1] == "100"})
		case "Answer":
			if row[1] != "100" {
				t.Errorf("brightspace: answer weight %q", row[1])
			}
			cur.Answers = append(cur.Answers, row[2])
		case "AnswerKey":
			cur.Answers = strings.Split(row[1], "\n\n")
		case "Choice":
			choices[row[1]] = row[2]
			order = append(order, row[1])
		case "Match":
			matches[row[1]] = row[2]
		case "Feedback":
			cur.Feedback = row[1]
		default:
			t.Errorf("brightspace: unknown row %q", row[0])
		}
	}
	flush()
	return out
}

func TestBrightspaceParseBack(t *testing.T) {
	quiz := fixture(t)
	for _, opts := range []quizflow.ExportOptions{parseBackOptions, {}} {
		f := render(t, quiz, "brightspace-csv", opts)
		got := readBrightspace(t, f.Data)
		checkParsed(t, "brightspace-csv", got, want(quiz, opts, expectation{points: true, feedback: true, essayAnswers: true,
			adjust: func(p *parsed) {
				if p.Type == quizflow.FillInBlank { // no FIB in Brightspace's CSV: a short answer with its blank
					p.Type = quizflow.ShortAnswer
				}
			}}))
	}
}

func TestBrightspaceFormulaCells(t *testing.T) {
	q := formulaQuiz()
	f := render(t, q, "brightspace-csv", quizflow.ExportOptions{})
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(f.Data, []byte("\uFEFF")))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for i, row := range rows {
		for j, cell := range row {
			if startsFormula(cell) {
				t.Errorf("row %d cell %d = %q: not neutralised", i+1, j+1, cell)
			}
		}
	}
	if !hasWarning(f.Warnings, "a ' was put before") {
		t.Errorf("no warning about quoted cells: %q", f.Warnings)
	}
}
