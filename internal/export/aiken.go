package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Aiken: single-answer multiple choice as plain text.
//
//	Question text on one line
//	A. first option
//	B. second option
//	ANSWER: B
//
// Every question and option must fit one line, so line breaks (and tabs)
// become spaces, with a warning. True/false questions are written as a
// two-option choice (A. True, B. False), with a warning; other types are
// left out. Aiken has no feedback and no shuffle flag: explanations are
// left out with a warning and ShuffleAnswers reorders options in the file.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "aiken",
			Title:         "Aiken (Moodle)",
			Extension:     ".aiken.txt",
			ContentType:   "text/plain; charset=utf-8",
			QuestionTypes: []string{quizflow.MultipleChoice, quizflow.TrueFalse},
			Description:   "Aiken text, single-answer multiple choice only, for Moodle's question bank: Question bank > Import > Aiken format.",
		},
		noun:   "Aiken",
		render: renderAiken,
		carries: func(q *quizflow.Question) string {
			if q.Type != quizflow.MultipleChoice && q.Type != quizflow.TrueFalse {
				return "Aiken carries multiple choice only"
			}
			if len(q.Options) > 26 {
				return fmt.Sprintf("Aiken letters options A to Z, it has %d", len(q.Options))
			}
			return ""
		},
	})
}

// aikenLine puts s on one line and says whether it had to change it.
func aikenLine(s string) (string, bool) {
	one := strings.Join(strings.Fields(s), " ")
	return one, one != strings.TrimSpace(s)
}

func renderAiken(r *run) ([]byte, error) {
	var b bytes.Buffer
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		opts := r.options(it, true)
		if q.Type == quizflow.TrueFalse {
			v, _ := truth(q)
			opts = []quizflow.Option{{Text: "True", Correct: v}, {Text: "False", Correct: !v}}
			r.warnf(it.N, "question %d (true_false) written as multiple choice with the options True and False: Aiken has no true/false type", it.N)
		}
		collapsed := false
		line := func(s string) string {
			one, changed := aikenLine(s)
			collapsed = collapsed || changed
			return one
		}
		b.WriteString(line(q.Prompt) + "\n")
		answer := ""
		for j, o := range opts {
			fmt.Fprintf(&b, "%s. %s\n", letter(j), line(o.Text))
			if o.Correct {
				answer = letter(j)
			}
		}
		fmt.Fprintf(&b, "ANSWER: %s\n\n", answer)
		r.warnPoints(it)
		if collapsed {
			r.warnf(it.N, "question %d: line breaks and tabs replaced by spaces: Aiken questions and options are one line", it.N)
		}
	}
	r.warnNoFeedback()
	return b.Bytes(), nil
}
