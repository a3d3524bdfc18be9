package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Blackboard's tab-delimited question upload (Tests > Upload Questions).
//
// One question per line, fields separated by tabs, no header:
//
//	MC  question  answer  correct|incorrect  answer  correct|incorrect ...
//	MA  question  answer  correct|incorrect ...
//	TF  question  true|false
//	FIB question  accepted answer  accepted answer ...
//	ESS question  sample answer
//	MAT question  left  right  left  right ...
//
// Short-answer and fill-in-the-blank questions are FIB (auto-graded against
// the accepted answers; a fill-in-the-blank keeps its blank in the
// question text). Blackboard renders question and choice text as HTML, so
// it is HTML-escaped and line breaks become <br>; tabs (the field
// separator) become spaces with a warning. Accepted answers and matching
// answers are compared or shown as plain text: line breaks there become
// spaces with a warning. The upload has no feedback or shuffle fields:
// explanations are left out with a warning and ShuffleAnswers reorders
// choices in the file.
//
// Teachers also open these files in spreadsheets, so every field goes
// through spreadsheetCell: text that would run as a formula gets a leading
// ' (with a warning). The fields Blackboard reads as keywords (the type,
// correct|incorrect, true|false) are fixed words the rule never changes;
// in question and answer text Blackboard keeps the quote, and it compares
// accepted answers with it, so such answers need editing after the upload.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "blackboard-tsv",
			Title:         "Blackboard (tab-delimited)",
			Extension:     ".txt",
			ContentType:   "text/tab-separated-values; charset=utf-8",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "Blackboard Learn question upload file: Tests > Upload Questions (or Question Pools > Upload Questions).",
		},
		suffix: "-blackboard",
		noun:   "Blackboard",
		render: renderBlackboard,
		carries: func(q *quizflow.Question) string {
			if len(q.Options) > 20 {
				return fmt.Sprintf("Blackboard's upload takes at most 20 answers, it has %d", len(q.Options))
			}
			return ""
		},
	})
}

var blackboardType = map[string]string{
	quizflow.MultipleChoice: "MC",
	quizflow.MultipleAnswer: "MA",
	quizflow.TrueFalse:      "TF",
	quizflow.ShortAnswer:    "FIB",
	quizflow.FillInBlank:    "FIB",
	quizflow.Matching:       "MAT",
	quizflow.Essay:          "ESS",
}

func renderBlackboard(r *run) ([]byte, error) {
	var b bytes.Buffer
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		tabs, breaks := false, false
		rich := func(s string) string {
			if strings.Contains(s, "\t") {
				tabs = true
				s = strings.ReplaceAll(s, "\t", " ")
			}
			return htmlText(s)
		}
		plain := func(s string) string {
			one := strings.Join(strings.Fields(s), " ")
			if strings.ContainsAny(s, "\t\n") {
				breaks = true
			}
			return one
		}
		fields := []string{blackboardType[q.Type], rich(q.Prompt)}
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			for _, o := range r.options(it, true) {
				mark := "incorrect"
				if o.Correct {
					mark = "correct"
				}
				fields = append(fields, rich(o.Text), mark)
			}
		case quizflow.TrueFalse:
			v, _ := truth(q)
			if v {
				fields = append(fields, "true")
			} else {
				fields = append(fields, "false")
			}
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			for _, a := range nonEmpty(q.Answers) {
				fields = append(fields, plain(a))
			}
		case quizflow.Matching:
			for _, p := range q.Pairs {
				fields = append(fields, rich(p.Left), plain(p.Right))
			}
		case quizflow.Essay:
			fields = append(fields, rich(strings.Join(nonEmpty(q.Answers), "\n\n")))
		}
		r.spreadsheetRow(it.N, fields)
		b.WriteString(strings.Join(fields, "\t"))
		b.WriteString("\n")
		if tabs {
			r.warnf(it.N, "question %d: tabs replaced by spaces: tabs separate Blackboard's fields", it.N)
		}
		if breaks {
			r.warnf(it.N, "question %d: line breaks in an answer replaced by spaces: Blackboard answers are one line", it.N)
		}
		r.warnPoints(it)
	}
	r.warnNoFeedback()
	return b.Bytes(), nil
}
