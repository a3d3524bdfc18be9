package export

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"
	"unicode"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// CSV: one row per question, RFC 4180 (encoding/csv), UTF-8 without a byte
// order mark, a header row, CRLF line ends. Fields holding commas, quotes
// or line breaks are quoted; line breaks inside fields are kept (written
// CRLF like the row ends, as RFC 4180 does; CSV readers give them back).
//
// Columns:
//
//	number       position of the question in the quiz, from 1
//	id           the question's ID
//	type         multiple_choice, multiple_answer, true_false, short_answer,
//	             fill_in_blank, matching or essay
//	points       score of the question
//	question     the prompt (a fill_in_blank prompt holds _____)
//	correct      choice types: letters of the correct choices, ";"-separated
//	             ("B", "A;C"); true_false: "True" or "False"; else empty
//	explanation  the explanation (only with IncludeFeedback)
//	choice_1..N  choice types: the options, in order (letter A is choice_1);
//	             short_answer, fill_in_blank: the accepted answers;
//	             matching: the left-hand sides; essay: model answers
//	match_1..N   matching: the right-hand side paired with choice_N
//
// N is the largest count any question needs; match columns appear only
// when the quiz has a matching question. ShuffleAnswers reorders options
// in the file (seeded, so stable per quiz version).
//
// Every cell of a question row goes through spreadsheetCell: text that a
// spreadsheet would run as a formula gets a leading ' (with a warning).
// number and points are positive numbers, so the rule never changes them;
// the header row is the fixed column names above.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "csv",
			Title:         "CSV spreadsheet",
			Extension:     ".csv",
			ContentType:   "text/csv; charset=utf-8",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "One row per question with documented columns, for spreadsheets and scripts.",
		},
		noun:   "CSV",
		render: renderCSV,
	})
}

func renderCSV(r *run) ([]byte, error) {
	choices, matches := 0, 0
	for _, it := range r.items {
		n := len(it.Q.Options)
		switch it.Q.Type {
		case quizflow.TrueFalse:
			n = 0
		case quizflow.ShortAnswer, quizflow.FillInBlank, quizflow.Essay:
			n = len(nonEmpty(it.Q.Answers))
		case quizflow.Matching:
			n = len(it.Q.Pairs)
			matches = max(matches, n)
		}
		choices = max(choices, n)
	}
	header := []string{"number", "id", "type", "points", "question", "correct", "explanation"}
	for i := 1; i <= choices; i++ {
		header = append(header, "choice_"+strconv.Itoa(i))
	}
	for i := 1; i <= matches; i++ {
		header = append(header, "match_"+strconv.Itoa(i))
	}

	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	if err := w.Write(header); err != nil {
		return nil, err
	}
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		row := make([]string, len(header))
		row[0] = strconv.Itoa(it.N)
		row[1] = q.ID
		row[2] = q.Type
		row[3] = formatPoints(it.Points)
		row[4] = q.Prompt
		row[6] = r.feedback(it)
		choice := func(j int, s string) { row[7+j] = s }
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			var correct []string
			for j, o := range r.options(it, true) {
				choice(j, o.Text)
				if o.Correct {
					correct = append(correct, letter(j))
				}
			}
			row[5] = strings.Join(correct, ";")
		case quizflow.TrueFalse:
			v, _ := truth(q)
			row[5] = "False"
			if v {
				row[5] = "True"
			}
		case quizflow.ShortAnswer, quizflow.FillInBlank, quizflow.Essay:
			for j, a := range nonEmpty(q.Answers) {
				choice(j, a)
			}
		case quizflow.Matching:
			for j, p := range q.Pairs {
				choice(j, p.Left)
				row[7+choices+j] = p.Right
			}
		}
		r.spreadsheetRow(it.N, row)
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

// spreadsheetCell makes one cell of a CSV or TSV export safe to open in a
// spreadsheet (OWASP's "CSV Injection"). Excel, LibreOffice and Google
// Sheets run a cell as a formula when it starts with = + - @ (some also
// with the full-width ＝ ＋ － ＠, U+FF1D U+FF0B U+FF0D U+FF20) or a tab or
// carriage return, and some skip leading blanks first. Question text comes
// from documents and a model, so it may hold =HYPERLINK(...) and worse.
//
// The rule: skip leading blanks (Unicode white space and invisible format
// characters such as U+200B and U+FEFF); if the first other character is
// one of = + - @ ＝ ＋ － ＠, or a tab or carriage return came before it,
// return "'" + s. Otherwise return s unchanged. The quote makes the
// spreadsheet treat the cell as text; the CSV or TSV quoting rules then
// apply to the whole cell as usual. A quoted cell starts with ', which the
// rule leaves alone, so applying it twice adds one quote, not two.
//
// No exception is made for negative numbers: the cells that can hold one
// ("-5" as an accepted answer) are text from the quiz, and the only
// numeric columns (CSV number and points) are written by the program from
// positive numbers, so the rule leaves them alone.
func spreadsheetCell(s string) string {
	for _, c := range s {
		switch c {
		case '=', '+', '-', '@', '\t', '\r', '\uFF1D', '\uFF0B', '\uFF0D', '\uFF20':
			return "'" + s
		}
		if !unicode.IsSpace(c) && !unicode.Is(unicode.Cf, c) {
			return s
		}
	}
	return s
}

// spreadsheetRow applies spreadsheetCell to every cell of question n's row
// and warns once if it changed any, since the quote is then part of the
// text wherever the file is read other than as a spreadsheet.
func (r *run) spreadsheetRow(n int, cells []string) {
	changed := false
	for i, c := range cells {
		if s := spreadsheetCell(c); s != c {
			cells[i] = s
			changed = true
		}
	}
	if changed {
		r.warnf(n, "question %d: a ' was put before text starting with =, +, -, @ or a tab, so that spreadsheets show it instead of running it as a formula", n)
	}
}
