package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Quizizz (Wayground)'s quiz spreadsheet (Create > Quiz > Import from
// spreadsheet), in the layout of its Quizizz_Quiz_Template.xlsx: row 1 the
// column headings, row 2 the template's description of each column, one
// question per row from row 3:
//
//	A  Question Text
//	B  Question Type: Multiple Choice, Checkbox, Fill-in-the-Blank, Open-Ended
//	C-G  Option 1-5
//	H  Correct Answer: option numbers, comma-separated for Checkbox; empty
//	   for Fill-in-the-Blank (its options are the accepted answers) and
//	   Open-Ended
//	I  Time in seconds
//	J  Image Link (empty)
//	K  Answer explanation (with IncludeFeedback)
//
// Multiple choice is Multiple Choice, multiple answer is Checkbox,
// true/false is Multiple Choice between True and False, short answer and
// fill in the blank are Fill-in-the-Blank (the blank stays in the text),
// an essay is Open-Ended. Matching questions, and questions with more than
// five options or accepted answers, are left out and named in the
// warnings. Quizizz has no points per question (warned) and no field for
// essay model answers (warned). ShuffleAnswers reorders the options in the
// file. Every question gets 30 seconds, the template's default.
func init() {
	register(&formatDef{
		Format: Format{
			Name:        "quizizz-xlsx",
			Title:       "Quizizz / Wayground (quiz spreadsheet)",
			Extension:   ".xlsx",
			ContentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
			QuestionTypes: []string{quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse,
				quizflow.ShortAnswer, quizflow.FillInBlank, quizflow.Essay},
			Description: "Quizizz (Wayground) quiz spreadsheet template: choice, checkbox, fill-in-the-blank and open-ended questions, up to five options.",
		},
		suffix:  "-quizizz",
		noun:    "Quizizz",
		render:  renderQuizizz,
		carries: quizizzCarries,
	})
}

const (
	quizizzOptionsMax = 5
	quizizzTime       = 30
)

func quizizzCarries(q *quizflow.Question) string {
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		if len(q.Options) > quizizzOptionsMax {
			return fmt.Sprintf("Quizizz's spreadsheet takes at most %d options, it has %d", quizizzOptionsMax, len(q.Options))
		}
	case quizflow.ShortAnswer, quizflow.FillInBlank:
		if n := len(nonEmpty(q.Answers)); n > quizizzOptionsMax {
			return fmt.Sprintf("Quizizz's spreadsheet takes at most %d accepted answers, it has %d", quizizzOptionsMax, n)
		}
	case quizflow.TrueFalse, quizflow.Essay:
	default:
		return "Quizizz's spreadsheet has no matching questions"
	}
	return ""
}

var quizizzType = map[string]string{
	quizflow.MultipleChoice: "Multiple Choice",
	quizflow.MultipleAnswer: "Checkbox",
	quizflow.TrueFalse:      "Multiple Choice",
	quizflow.ShortAnswer:    "Fill-in-the-Blank",
	quizflow.FillInBlank:    "Fill-in-the-Blank",
	quizflow.Essay:          "Open-Ended",
}

var quizizzHeader = []xlsxCell{"Question Text", "Question Type", "Option 1", "Option 2", "Option 3", "Option 4", "Option 5",
	"Correct Answer", "Time in seconds", "Image Link", "Answer explanation"}

var quizizzHelp = []xlsxCell{
	"Text of the question (required)",
	"Question Type (default is Multiple Choice)",
	"Text for option 1 (required in all cases except open-ended & draw questions)",
	"Text for option 2 (required in all cases except open-ended & draw questions)",
	"Text for option 3 (optional)",
	"Text for option 4 (optional)",
	"Text for option 5 (optional)",
	"The correct option choice (between 1-5). Leave blank for \"Open-Ended\", \"Poll\", \"Draw\" and \"Fill-in-the-Blank\".",
	"Time in seconds (optional, default value is 30 seconds)",
	"Link of the image (optional)",
	"Explanation of the answer (optional)",
}

func renderQuizizz(r *run) ([]byte, error) {
	rows := [][]xlsxCell{quizizzHeader, quizizzHelp}
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		row := make([]xlsxCell, len(quizizzHeader))
		row[0] = q.Prompt
		row[1] = quizizzType[q.Type]
		option := func(j int, s string) { row[2+j] = s }
		var correct []string
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			for j, o := range r.options(it, true) {
				option(j, o.Text)
				if o.Correct {
					correct = append(correct, strconv.Itoa(j+1))
				}
			}
		case quizflow.TrueFalse:
			v, _ := truth(q)
			option(0, "True")
			option(1, "False")
			correct = []string{"2"}
			if v {
				correct = []string{"1"}
			}
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			for j, a := range nonEmpty(q.Answers) {
				option(j, a)
			}
		case quizflow.Essay:
			if len(nonEmpty(q.Answers)) > 0 {
				r.warnf(it.N, "question %d: its model answer is not in the file: Quizizz's open-ended questions have no answer field", it.N)
			}
		}
		switch len(correct) {
		case 0:
		case 1:
			n, _ := strconv.Atoi(correct[0])
			row[7] = n
		default:
			row[7] = strings.Join(correct, ",")
		}
		row[8] = quizizzTime
		if fb := r.feedback(it); fb != "" {
			row[10] = fb
		}
		rows = append(rows, row)
		r.warnPoints(it)
	}
	return buildXLSX("Sheet1", rows, []float64{60, 18, 25, 25, 25, 25, 25, 14, 10, 12, 40})
}
