package export

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// readSheet opens a workbook with excelize and returns its only sheet's rows.
func readSheet(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("xlsx: %v", err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) != 1 {
		t.Fatalf("xlsx: sheets %q", sheets)
	}
	rows, err := f.GetRows(sheets[0])
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		for len(rows[i]) < 11 {
			rows[i] = append(rows[i], "")
		}
	}
	return rows
}

// readKahoot reads the template's columns: headings in row 8, questions from row 9.
func readKahoot(t *testing.T, data []byte) (title string, out []parsed) {
	t.Helper()
	rows := readSheet(t, data)
	if len(rows) < 9 || !strings.HasPrefix(rows[7][1], "Question - max 120") || !strings.HasPrefix(rows[7][7], "Correct answer(s)") {
		t.Fatalf("kahoot: no template headings in row 8")
	}
	for _, row := range rows[8:] {
		correct := map[string]bool{}
		for _, c := range strings.Split(row[7], ",") {
			correct[strings.TrimSpace(c)] = true
		}
		if row[6] != "20" {
			t.Errorf("kahoot: time limit %q", row[6])
		}
		p := parsed{Prompt: row[1]}
		var answers []string
		for j := 2; j <= 5 && row[j] != ""; j++ {
			answers = append(answers, row[j])
		}
		for j, a := range answers {
			p.Options = append(p.Options, parsedOption{a, correct[string(rune('1'+j))]})
		}
		switch {
		case len(answers) == 2 && answers[0] == "True" && answers[1] == "False":
			p.Type = quizflow.TrueFalse
		case len(correct) > 1:
			p.Type = quizflow.MultipleAnswer
		default:
			p.Type = quizflow.MultipleChoice
		}
		out = append(out, p)
	}
	return rows[1][1], out
}

func TestKahootParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "kahoot-xlsx", parseBackOptions)
	title, got := readKahoot(t, f.Data)
	if title != quiz.Title {
		t.Errorf("title = %q", title)
	}
	checkParsed(t, "kahoot-xlsx", got, want(quiz, parseBackOptions, expectation{
		carries: func(q *quizflow.Question) bool { return kahootCarries(q) == "" },
		adjust: func(p *parsed) {
			p.Prompt = oneLine(p.Prompt)
			for i := range p.Options {
				p.Options[i].Text = oneLine(p.Options[i].Text)
			}
		},
	}))
}

func TestKahootLimits(t *testing.T) {
	long := strings.Repeat("é", 121)
	q := &quizflow.Quiz{ID: "q", Title: "Limits", Questions: []quizflow.Question{
		{ID: "1", Type: quizflow.MultipleChoice, Prompt: long, Options: []quizflow.Option{{Text: "a", Correct: true}, {Text: "b"}}},
		{ID: "2", Type: quizflow.MultipleChoice, Prompt: "ok", Options: []quizflow.Option{{Text: strings.Repeat("x", 76), Correct: true}, {Text: "b"}}},
		{ID: "3", Type: quizflow.MultipleChoice, Prompt: strings.Repeat("é", 120), Options: []quizflow.Option{{Text: strings.Repeat("x", 75), Correct: true}, {Text: "b"}}},
	}}
	f := render(t, q, "kahoot-xlsx", quizflow.ExportOptions{})
	if !hasWarning(f.Warnings, "question 1", "121 characters") || !hasWarning(f.Warnings, "question 2", "answer 1 is 76 characters") {
		t.Errorf("warnings %q", f.Warnings)
	}
	_, got := readKahoot(t, f.Data)
	if len(got) != 1 || got[0].Prompt != strings.Repeat("é", 120) || got[0].Options[0].Text != strings.Repeat("x", 75) {
		t.Errorf("got %v: the question at the limits must be kept whole", got)
	}
}

// readQuizizz reads the template's columns: headings in row 1, their
// descriptions in row 2, questions from row 3.
func readQuizizz(t *testing.T, data []byte) []parsed {
	t.Helper()
	rows := readSheet(t, data)
	if len(rows) < 3 || rows[0][0] != "Question Text" || rows[0][7] != "Correct Answer" || rows[0][10] != "Answer explanation" {
		t.Fatalf("quizizz: no template headings in row 1: %q", rows[0])
	}
	var out []parsed
	for _, row := range rows[2:] {
		p := parsed{Prompt: row[0], Feedback: row[10]}
		correct := map[string]bool{}
		for _, c := range strings.Split(row[7], ",") {
			correct[strings.TrimSpace(c)] = true
		}
		var options []string
		for j := 2; j <= 6 && row[j] != ""; j++ {
			options = append(options, row[j])
		}
		if row[8] != "30" {
			t.Errorf("quizizz: time %q", row[8])
		}
		switch row[1] {
		case "Multiple Choice", "Checkbox":
			p.Type = quizflow.MultipleChoice
			if row[1] == "Checkbox" {
				p.Type = quizflow.MultipleAnswer
			} else if len(options) == 2 && options[0] == "True" && options[1] == "False" {
				p.Type = quizflow.TrueFalse
			}
			for j, o := range options {
				p.Options = append(p.Options, parsedOption{o, correct[string(rune('1'+j))]})
			}
		case "Fill-in-the-Blank":
			p.Type = quizflow.ShortAnswer
			if strings.Contains(p.Prompt, quizflow.BlankMarker) {
				p.Type = quizflow.FillInBlank
			}
			p.Answers = options
		case "Open-Ended":
			p.Type = quizflow.Essay
		default:
			t.Errorf("quizizz: question type %q", row[1])
		}
		out = append(out, p)
	}
	return out
}

func TestQuizizzParseBack(t *testing.T) {
	quiz := fixture(t)
	for _, opts := range []quizflow.ExportOptions{parseBackOptions, {}} {
		f := render(t, quiz, "quizizz-xlsx", opts)
		checkParsed(t, "quizizz-xlsx", readQuizizz(t, f.Data), want(quiz, opts, expectation{
			carries:  func(q *quizflow.Question) bool { return quizizzCarries(q) == "" },
			feedback: true,
		}))
	}
}
