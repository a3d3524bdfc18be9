package export

import (
	"bytes"
	"encoding/csv"
	"strconv"
	"strings"

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
		if err := w.Write(row); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}
