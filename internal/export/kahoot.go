package export

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Kahoot!'s quiz spreadsheet (Create > Import spreadsheet), in the layout
// of Kahoot's KahootQuizTemplate.xlsx: rows 1-7 are free (we put the quiz
// title in B2), row 8 holds the column headings, and each question is one
// row from row 9:
//
//	A  number
//	B  question, at most 120 characters
//	C-F  answers 1-4, at most 75 characters each (at least two)
//	G  time limit in seconds: one of 5, 10, 20, 30, 60, 90, 120, 240
//	H  correct answer(s): answer numbers, comma-separated ("2", "1,3")
//
// Kahoot takes quiz (choice) questions, one or more correct, and true/false
// (written as answers True and False). Other types, questions with more
// than four options, and text over Kahoot's limits are left out and named
// in the warnings: text is never cut. Line breaks become spaces (with a
// warning): Kahoot shows one line. Kahoot has no points per question (its
// own scoring applies) and no explanation field, so both are warned about.
// ShuffleAnswers reorders the answers in the file. Every question gets the
// same 20-second limit, Kahoot's default.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "kahoot-xlsx",
			Title:         "Kahoot! (quiz spreadsheet)",
			Extension:     ".xlsx",
			ContentType:   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			QuestionTypes: []string{quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse},
			Description:   "Kahoot! quiz spreadsheet template: choice and true/false questions, up to four answers.",
		},
		suffix:  "-kahoot",
		noun:    "Kahoot",
		render:  renderKahoot,
		carries: kahootCarries,
	})
}

const (
	kahootQuestionMax = 120
	kahootAnswerMax   = 75
	kahootTimeLimit   = 20
	kahootHeaderRow   = 8
)

func kahootCarries(q *quizflow.Question) string {
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		if len(q.Options) > 4 {
			return fmt.Sprintf("Kahoot takes at most 4 answers, it has %d", len(q.Options))
		}
		for i, o := range q.Options {
			if n := utf8.RuneCountInString(oneLine(o.Text)); n > kahootAnswerMax {
				return fmt.Sprintf("answer %d is %d characters, Kahoot takes at most %d", i+1, n, kahootAnswerMax)
			}
		}
	case quizflow.TrueFalse:
	default:
		return "Kahoot's spreadsheet takes only choice and true/false questions"
	}
	if n := utf8.RuneCountInString(oneLine(q.Prompt)); n > kahootQuestionMax {
		return fmt.Sprintf("the question is %d characters, Kahoot takes at most %d", n, kahootQuestionMax)
	}
	return ""
}

// oneLine collapses runs of white space (line breaks, tabs) to one space.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

func renderKahoot(r *run) ([]byte, error) {
	rows := make([][]xlsxCell, kahootHeaderRow)
	rows[1] = []xlsxCell{nil, r.title}
	rows[kahootHeaderRow-1] = []xlsxCell{nil,
		"Question - max 120 characters",
		"Answer 1 - max 75 characters", "Answer 2 - max 75 characters",
		"Answer 3 - max 75 characters", "Answer 4 - max 75 characters",
		"Time limit (sec) – 5, 10, 20, 30, 60, 90, 120, or 240 secs",
		"Correct answer(s) - choose at least one"}
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		flat := false
		line := func(s string) string {
			if one := oneLine(s); one != strings.TrimSpace(s) || strings.ContainsAny(s, "\n\t") {
				flat = true
				return one
			}
			return strings.TrimSpace(s)
		}
		row := []xlsxCell{it.N, line(q.Prompt)}
		var correct []string
		if q.Type == quizflow.TrueFalse {
			v, _ := truth(q)
			row = append(row, "True", "False", nil, nil)
			correct = []string{"2"}
			if v {
				correct = []string{"1"}
			}
		} else {
			opts := r.options(it, true)
			for j := 0; j < 4; j++ {
				if j < len(opts) {
					row = append(row, line(opts[j].Text))
					if opts[j].Correct {
						correct = append(correct, strconv.Itoa(j+1))
					}
				} else {
					row = append(row, nil)
				}
			}
		}
		row = append(row, kahootTimeLimit)
		if len(correct) == 1 {
			n, _ := strconv.Atoi(correct[0])
			row = append(row, n)
		} else {
			row = append(row, strings.Join(correct, ","))
		}
		rows = append(rows, row)
		if flat {
			r.warnf(it.N, "question %d: line breaks and tabs replaced by spaces: Kahoot shows one line", it.N)
		}
		r.warnPoints(it)
	}
	r.warnNoFeedback()
	return buildXLSX("Sheet1", rows, []float64{6, 60, 30, 30, 30, 30, 14, 14})
}
