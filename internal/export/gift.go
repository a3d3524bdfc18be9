package export

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// GIFT (Moodle's "General Import Format Technology").
//
// Each question is written "::name::[html]text{answers####feedback}" and
// questions are separated by blank lines. Rich text (question text, choice
// answers, matching stems, feedback) is HTML-escaped and marked [html], so
// markup shows literally and newlines are <br> (a raw blank line would end
// the question). Answers Moodle compares with what a student types
// (short answer, matching right-hand sides) are plain; a newline in them is
// replaced by a space with a warning. The GIFT specials ~ = # { } : and
// backslash are escaped with a backslash everywhere. Fill-in-the-blank
// questions use GIFT's missing-word form (the answers stand where the blank
// is). GIFT has no shuffle flag (Moodle shuffles choices by default), so
// ShuffleAnswers reorders the choices in the file. Names and the category
// go through moodleName (Moodle strips tag-like text from them). GIFT has
// no syntax for a question's penalty: Moodle gives GIFT questions its
// default (0.3333333, question/format.php defaultquestion), which counts
// only in adaptive and interactive-with-multiple-tries quizzes; moodle-xml
// writes <penalty>0</penalty> explicitly.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "gift",
			Title:         "GIFT (Moodle)",
			Extension:     ".gift.txt",
			ContentType:   "text/plain; charset=utf-8",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "GIFT text for Moodle's question bank: Question bank > Import > GIFT format.",
		},
		noun:   "GIFT",
		render: renderGIFT,
	})
}

var giftEscaper = strings.NewReplacer(`\`, `\\`, "~", `\~`, "=", `\=`, "#", `\#`, "{", `\{`, "}", `\}`, ":", `\:`)

// giftText escapes plain text for GIFT.
func giftText(s string) string { return giftEscaper.Replace(s) }

// giftHTML writes text as escaped HTML, then escapes GIFT specials.
func giftHTML(s string) string { return giftText(htmlText(s)) }

// giftPlain writes a plain answer: one line, GIFT specials escaped.
func (r *run) giftPlain(it *item, s string) string {
	if strings.Contains(s, "\n") {
		r.warnf(it.N, "question %d: line breaks in an answer replaced by spaces: GIFT answers are one line", it.N)
		s = strings.Join(strings.Fields(s), " ")
	}
	return giftText(s)
}

func renderGIFT(r *run) ([]byte, error) {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// %s\n", strings.Join(strings.Fields(r.title), " "))
	fmt.Fprintf(&b, "$CATEGORY: $course$/top/%s\n\n", strings.ReplaceAll(moodleName(strings.Join(strings.Fields(r.title), " ")), "/", "//"))
	for i := range r.items {
		it := &r.items[i]
		q := &it.Q
		fmt.Fprintf(&b, "// question %d (%s), %s point(s)\n", it.N, q.Type, formatPoints(it.Points))
		fmt.Fprintf(&b, "::%s::[html]", giftText(moodleName(questionName(it))))
		feedback := ""
		if fb := r.feedback(it); fb != "" {
			feedback = "\n####" + giftHTML(fb)
		}
		switch q.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer:
			b.WriteString(giftHTML(q.Prompt) + " {")
			nc := correctCount(q)
			nw := len(q.Options) - nc
			for _, o := range r.options(it, true) {
				switch {
				case q.Type == quizflow.MultipleChoice && o.Correct:
					b.WriteString("\n=")
				case q.Type == quizflow.MultipleChoice:
					b.WriteString("\n~")
				case o.Correct:
					fmt.Fprintf(&b, "\n~%%%s%%", percent(100/float64(nc)))
				default:
					fmt.Fprintf(&b, "\n~%%%s%%", percent(-100/float64(nw)))
				}
				b.WriteString(giftHTML(o.Text))
			}
			b.WriteString(feedback + "\n}")
		case quizflow.TrueFalse:
			v, _ := truth(q)
			b.WriteString(giftHTML(q.Prompt) + " {")
			if v {
				b.WriteString("TRUE")
			} else {
				b.WriteString("FALSE")
			}
			b.WriteString(feedback + "}")
		case quizflow.ShortAnswer, quizflow.FillInBlank:
			var answers strings.Builder
			answers.WriteString("{")
			for _, a := range nonEmpty(q.Answers) {
				// '*' is Moodle's short-answer wildcard; \* is a literal star.
				answers.WriteString("\n=" + strings.ReplaceAll(r.giftPlain(it, a), "*", `\*`))
			}
			answers.WriteString(feedback + "\n}")
			if q.Type == quizflow.ShortAnswer {
				b.WriteString(giftHTML(q.Prompt) + " " + answers.String())
			} else {
				before, after := splitBlank(q.Prompt)
				b.WriteString(giftHTML(before) + answers.String() + giftHTML(after))
			}
		case quizflow.Matching:
			b.WriteString(giftHTML(q.Prompt) + " {")
			for _, p := range q.Pairs {
				// The left side is HTML, so a "->" in it is written "-&gt;"
				// and cannot be taken for the separator.
				b.WriteString("\n=" + giftHTML(p.Left) + " -> " + r.giftPlain(it, p.Right))
			}
			b.WriteString(feedback + "\n}")
		case quizflow.Essay:
			b.WriteString(giftHTML(q.Prompt) + " {" + strings.TrimPrefix(feedback, "\n") + "}")
			r.warnModelAnswer(it)
		}
		b.WriteString("\n\n")
		r.warnPoints(it)
	}
	return b.Bytes(), nil
}
