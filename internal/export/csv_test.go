package export

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

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

// formulaLeads are the beginnings that make a spreadsheet run a cell as a
// formula, alone and after leading blanks. "\r" reaches no cell as such:
// cleanText turns it into a line break first.
var formulaLeads = []string{
	"=", "+", "-", "@", "\t", "\r", "\uFF1D", "\uFF0B", "\uFF0D", "\uFF20",
	" =", "\n-", "\u00A0+", "\u3000\uFF1D", "\u200B@", "\uFEFF=", " \t",
}

// startsFormula is the rule spreadsheetCell documents, written again
// independently: after leading white space and format characters comes
// one of = + - @ or their full-width forms, or those blanks hold a tab or
// carriage return.
func startsFormula(s string) bool {
	rest := strings.TrimLeftFunc(s, func(c rune) bool { return unicode.IsSpace(c) || unicode.Is(unicode.Cf, c) })
	if strings.ContainsAny(s[:len(s)-len(rest)], "\t\r") {
		return true
	}
	c, _ := utf8.DecodeRuneInString(rest)
	return strings.ContainsRune("=+-@\uFF1D\uFF0B\uFF0D\uFF20", c)
}

func TestSpreadsheetCell(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"=1+2", "'=1+2"},
		{"+1", "'+1"},
		{"-5", "'-5"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\tcmd", "'\tcmd"},
		{"\rcmd", "'\rcmd"},
		{"=cmd|' /C calc'!A0", "'=cmd|' /C calc'!A0"},
		{"\uFF1D1+2", "'\uFF1D1+2"},
		{"\uFF0B1", "'\uFF0B1"},
		{"\uFF0D1", "'\uFF0D1"},
		{"\uFF20x", "'\uFF20x"},
		{"  =1+2", "'  =1+2"},
		{"\n\n-1", "'\n\n-1"},
		{"\u00A0@x", "'\u00A0@x"},
		{"\u3000\uFF1Dx", "'\u3000\uFF1Dx"},
		{"\u200B=1", "'\u200B=1"},
		{"\uFEFF=1", "'\uFEFF=1"},
		{" \tx", "' \tx"},   // a tab among the leading blanks
		{"\n\rx", "'\n\rx"}, // a carriage return among them
		{"   ", "   "},
		{" \n x", " \n x"},
		{"1-2", "1-2"},
		{"a=b", "a=b"},
		{"x\t=y", "x\t=y"},
		{"'=1+2", "'=1+2"}, // already quoted: not quoted twice
		{"'plain", "'plain"},
		{"\"=1\"", "\"=1\""},
		{"\u2212 5", "\u2212 5"}, // MINUS SIGN is not one of the characters
		{"\xff=1", "\xff=1"},     // invalid UTF-8 first: not white space
		{"\u00E9=", "\u00E9="},
	} {
		if got := spreadsheetCell(tc.in); got != tc.want {
			t.Errorf("spreadsheetCell(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got, want := startsFormula(tc.in), tc.in != tc.want; got != want {
			t.Errorf("startsFormula(%q) = %v, want %v", tc.in, got, want)
		}
	}
}

// formulaQuiz has, for each of formulaLeads, questions whose every text
// (prompt, options, accepted and model answers, pairs, explanation, ID)
// starts with it.
func formulaQuiz() *quizflow.Quiz {
	quiz := &quizflow.Quiz{ID: "formulas", Version: 1, Title: "=Formulas"}
	for i, lead := range formulaLeads {
		f := func(s string) string { return lead + s }
		id := func(kind string) string {
			// IDs are not cleaned, and encoding/csv drops a carriage
			// return (UseCRLF) after the quote was added: leave it out.
			return strings.ReplaceAll(f(fmt.Sprintf("%s%d", kind, i)), "\r", "")
		}
		quiz.Questions = append(quiz.Questions,
			quizflow.Question{ID: id("mc"), Type: quizflow.MultipleChoice, Prompt: f("1+2 is?"),
				Options:     []quizflow.Option{{Text: f("3"), Correct: true}, {Text: f("HYPERLINK(x)")}, {Text: "plain"}},
				Explanation: f("cmd|' /C calc'!A0"), Points: 2},
			quizflow.Question{ID: id("sa"), Type: quizflow.ShortAnswer, Prompt: f("5 minus 10?"),
				Answers: []string{f("5"), "minus five"}, Explanation: "plain"},
			quizflow.Question{ID: id("mat"), Type: quizflow.Matching, Prompt: "Match.",
				Pairs: []quizflow.Pair{{Left: f("a"), Right: f("b")}, {Left: "c", Right: "d"}}},
			quizflow.Question{ID: id("ess"), Type: quizflow.Essay, Prompt: f("SUM(A1:A9)"), Answers: []string{f("model")}},
			quizflow.Question{ID: id("tf"), Type: quizflow.TrueFalse, Prompt: f("1 is 1"),
				Options: []quizflow.Option{{Text: "True", Correct: true}, {Text: "False"}}},
		)
	}
	return quiz
}

// unquoteCells checks the cells of a CSV or TSV file read back: none may
// still start like a formula, and a cell may start with ' only if what
// follows does (formulaQuiz has no text that starts with ' of its own).
// It returns the rows with those quotes removed and the questions (row
// numbers from 1, after skip header rows) that had a cell quoted.
func unquoteCells(t *testing.T, rows [][]string, skip int) ([][]string, map[int]bool) {
	t.Helper()
	quoted := map[int]bool{}
	for i, row := range rows {
		for j, cell := range row {
			if startsFormula(cell) {
				t.Errorf("row %d cell %d = %q: not neutralised", i+1, j+1, cell)
			}
			if rest, ok := strings.CutPrefix(cell, "'"); ok {
				if !startsFormula(rest) {
					t.Errorf("row %d cell %d = %q: quoted without need", i+1, j+1, cell)
				}
				row[j] = rest
				quoted[i+1-skip] = true
			}
		}
	}
	return rows, quoted
}

// checkQuotedWarnings checks that every question with a quoted cell, and
// no other, has the warning about it.
func checkQuotedWarnings(t *testing.T, warnings []string, quoted map[int]bool, questions int) {
	t.Helper()
	if len(quoted) < len(formulaLeads) {
		t.Errorf("only %d questions had a quoted cell", len(quoted))
	}
	for n := 1; n <= questions; n++ {
		if got := hasWarning(warnings, fmt.Sprintf("question %d: a ' was put before", n)); got != quoted[n] {
			t.Errorf("question %d: warning %v, quoted cell %v; warnings = %q", n, got, quoted[n], warnings)
		}
	}
}

// TestCSVFormulaCells: cells that would run as formulas start with ',
// and nothing else in the file changes.
func TestCSVFormulaCells(t *testing.T) {
	quiz := formulaQuiz()
	f := render(t, quiz, "csv", parseBackOptions)
	if !bytes.Contains(f.Data, []byte(",'=1+2 is?,")) || !bytes.Contains(f.Data, []byte(",'=cmd|' /C calc'!A0,")) {
		t.Errorf("no '=1+2 is? or '=cmd... cell in\n%s", f.Data)
	}
	rows, err := csv.NewReader(bytes.NewReader(f.Data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	rows, quoted := unquoteCells(t, rows, 1)
	checkQuotedWarnings(t, f.Warnings, quoted, len(quiz.Questions))

	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.WriteAll(rows); err != nil {
		t.Fatal(err)
	}
	checkParsed(t, "csv", readCSV(t, b.Bytes()), want(quiz, parseBackOptions,
		expectation{points: true, feedback: true, essayAnswers: true}))
	for i, row := range rows[1:] {
		if got, want := row[1], quiz.Questions[i].ID; got != want {
			t.Errorf("row %d: id %q, want %q", i+2, got, want)
		}
	}
}
