package export

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// D2L Brightspace's question-import CSV (Question Library > Import >
// Upload a File), in the layout of D2L's sample file
// Sample_Question_Import_UTF8.csv: each question is a block of rows, the
// first cell of a row naming what it holds, a blank row between questions.
//
//	NewQuestion,MC|MS|TF|SA|M|WR
//	ID,<quiz-unique id>
//	Title,Question <n>
//	QuestionText,<prompt>
//	Points,<points>
//	MC:  Option,100|0,<text>          one row per option (percent of the points)
//	MS:  Scoring,RightAnswers         then Option,1|0,<text>
//	TF:  TRUE,100|0 and FALSE,100|0
//	SA:  InputBox,1,40                then Answer,100,<accepted answer> per answer
//	M:   Scoring,EquallyWeighted      then Choice,<k>,<left> and Match,<k>,<right>
//	WR:  AnswerKey,<model answer>     (shown to graders)
//	Feedback,<explanation>            with IncludeFeedback
//
// Brightspace's CSV import has no fill-in-the-blank type (D2L lists it
// among the types a CSV cannot import), so a fill-in-the-blank question is
// a short answer (SA) whose text keeps its _____ blank. Text is written
// without the HTML flag, so Brightspace shows it literally; line breaks
// stay inside the quoted cell. The file is UTF-8 with a byte order mark,
// as D2L's sample is, so Excel opens it with the right characters.
// ShuffleAnswers reorders options in the file (the CSV has no shuffle
// field). Every cell goes through spreadsheetCell, as in the CSV export.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "brightspace-csv",
			Title:         "D2L Brightspace (question CSV)",
			Extension:     ".csv",
			ContentType:   "text/csv; charset=utf-8",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "D2L Brightspace question-import CSV: Question Library > Import > Upload a File.",
		},
		suffix: "-brightspace",
		noun:   "Brightspace",
		render: renderBrightspace,
	})
}

var brightspaceType = map[string]string{
	quizflow.MultipleChoice: "MC",
	quizflow.MultipleAnswer: "MS",
	quizflow.TrueFalse:      "TF",
	quizflow.ShortAnswer:    "SA",
	quizflow.FillInBlank:    "SA",
	quizflow.Matching:       "M",
	quizflow.Essay:          "WR",
}

func renderBrightspace(r *run) ([]byte, error) {
	var b bytes.Buffer
	b.WriteString("\uFEFF")
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	const width = 5
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		var rows [][]string
		add := func(cells ...string) {
			row := make([]string, width)
			copy(row, cells)
			rows = append(rows, row)
		}
		add("NewQuestion", brightspaceType[q.Type])
		add("ID", ident("Q", "brightspace", r.quiz.ID, q.ID, formatPoints(float64(it.N))))
		add("Title", "Question "+formatPoints(float64(it.N)))
		add("QuestionText", q.Prompt)
		add("Points", formatPoints(it.Points))
		switch q.Type {
		case quizflow.MultipleChoice:
			for _, o := range r.options(it, true) {
				add("Option", percentIf(o.Correct), o.Text)
			}
		case quizflow.MultipleAnswer:
			add("Scoring", "RightAnswers")
			for _, o := range r.options(it, true) {
				mark := "0"
				if o.Correct {
					mark = "1"
				}
				add("Option", mark, o.Text)
			}
		case quizflow.TrueFalse:
			v, _ := truth(q)
			add("TRUE", percentIf(v))
			add("FALSE", percentIf(!v))
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			add("InputBox", "1", "40")
			for _, a := range nonEmpty(q.Answers) {
				add("Answer", "100", a)
			}
		case quizflow.Matching:
			add("Scoring", "EquallyWeighted")
			for k, p := range q.Pairs {
				add("Choice", formatPoints(float64(k+1)), p.Left)
			}
			for k, p := range q.Pairs {
				add("Match", formatPoints(float64(k+1)), p.Right)
			}
		case quizflow.Essay:
			if a := nonEmpty(q.Answers); len(a) > 0 {
				add("AnswerKey", strings.Join(a, "\n\n"))
			}
		}
		if fb := r.feedback(it); fb != "" {
			add("Feedback", fb)
		}
		var flat []string
		for _, row := range rows {
			flat = append(flat, row...)
		}
		r.spreadsheetRow(it.N, flat)
		for k := range rows {
			if err := w.Write(flat[k*width : (k+1)*width]); err != nil {
				return nil, err
			}
		}
		if err := w.Write(make([]string, width)); err != nil {
			return nil, err
		}
	}
	w.Flush()
	return b.Bytes(), w.Error()
}

func percentIf(ok bool) string {
	if ok {
		return "100"
	}
	return "0"
}
