package export

import (
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Moodle XML.
//
// Text that Moodle shows as rich text (question text, choice answers,
// matching stems, feedback, grader notes) is written with format="html" and
// holds the quiz text as escaped HTML, so "Is <b> a tag?" shows literally
// and newlines become <br>. Text Moodle compares with what a student types
// or picks from a menu (short-answer answers, matching answers) is plain, as
// Moodle reads it; '*' in a short answer is escaped (\*) because Moodle
// reads it as a wildcard. Fill-in-the-blank questions become short answer
// with the blank shown in the question text. The questions go in a
// category named after the quiz. ShuffleAnswers sets <shuffleanswers>.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "moodle-xml",
			Title:         "Moodle XML",
			Extension:     ".xml",
			ContentType:   "application/xml",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "Moodle XML for Moodle's question bank: Question bank > Import > Moodle XML format.",
		},
		suffix: "-moodle",
		noun:   "Moodle XML",
		render: renderMoodle,
	})
}

func renderMoodle(r *run) ([]byte, error) {
	w := newXML()
	w.open("quiz")
	w.open("question", "type", "category")
	w.open("category")
	w.leaf("text", "$course$/top/"+strings.ReplaceAll(moodleName(r.title), "/", "//"))
	w.close("category")
	w.close("question")
	for i := range r.items {
		r.moodleQuestion(w, &r.items[i])
	}
	w.close("quiz")
	return w.bytes(), nil
}

var moodleType = map[string]string{
	quizflow.MultipleChoice: "multichoice",
	quizflow.MultipleAnswer: "multichoice",
	quizflow.TrueFalse:      "truefalse",
	quizflow.ShortAnswer:    "shortanswer",
	quizflow.FillInBlank:    "shortanswer",
	quizflow.Matching:       "matching",
	quizflow.Essay:          "essay",
}

// moodleHTML writes an element holding <text> with format="html".
func moodleHTML(w *xmlWriter, name, text string) {
	w.open(name, "format", "html")
	w.leaf("text", htmlText(text))
	w.close(name)
}

// moodleName writes a question or category name so that Moodle shows its
// characters. Moodle's importers (question/format.php clean_question_name,
// and the category path) pass names through clean_param(PARAM_TEXT), which
// strips anything tag-like ("<Special>") but leaves entities alone, and
// Moodle shows names with format_string, which renders entities. So < and
// > are written as &lt; and &gt;; & is left as it is (format_string escapes
// a bare &).
func moodleName(s string) string { return moodleNameEscaper.Replace(s) }

var moodleNameEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;")

// questionName is a short one-line name for banks that list questions by
// name: "Q3 First words of the prompt".
func questionName(it *item) string {
	words := strings.Fields(it.Q.Prompt)
	name := strings.Join(words, " ")
	if r := []rune(name); len(r) > 60 {
		name = strings.TrimSpace(string(r[:60])) + "…"
	}
	return fmt.Sprintf("Q%d %s", it.N, name)
}

func (r *run) moodleQuestion(w *xmlWriter, it *item) {
	q := &it.Q
	w.open("question", "type", moodleType[q.Type])
	w.open("name")
	w.leaf("text", moodleName(questionName(it)))
	w.close("name")
	moodleHTML(w, "questiontext", q.Prompt)
	moodleHTML(w, "generalfeedback", r.feedback(it))
	w.leaf("defaultgrade", formatPoints(it.Points))
	w.leaf("penalty", "0")
	w.leaf("hidden", "0")
	shuffle := "false"
	if r.opts.ShuffleAnswers {
		shuffle = "true"
	}
	answer := func(fraction, text string, html bool) {
		if html {
			w.open("answer", "fraction", fraction, "format", "html")
			w.leaf("text", htmlText(text))
		} else {
			w.open("answer", "fraction", fraction, "format", "plain_text")
			w.leaf("text", text)
		}
		moodleHTML(w, "feedback", "")
		w.close("answer")
	}
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		single := q.Type == quizflow.MultipleChoice
		w.leaf("single", fmt.Sprint(single))
		w.leaf("shuffleanswers", shuffle)
		w.leaf("answernumbering", "abc")
		nc := correctCount(q)
		nw := len(q.Options) - nc
		for _, o := range q.Options {
			fraction := "0"
			switch {
			case o.Correct:
				fraction = percent(100 / float64(nc))
			case !single:
				fraction = percent(-100 / float64(nw))
			}
			answer(fraction, o.Text, true)
		}
	case quizflow.TrueFalse:
		v, _ := truth(q)
		t, f := "100", "0"
		if !v {
			t, f = f, t
		}
		answer(t, "true", false)
		answer(f, "false", false)
	case quizflow.ShortAnswer, quizflow.FillInBlank:
		w.leaf("usecase", "0")
		for _, a := range nonEmpty(q.Answers) {
			answer("100", strings.ReplaceAll(a, "*", `\*`), false)
		}
	case quizflow.Matching:
		w.leaf("shuffleanswers", shuffle)
		for _, p := range q.Pairs {
			w.open("subquestion", "format", "html")
			w.leaf("text", htmlText(p.Left))
			w.open("answer")
			w.leaf("text", p.Right)
			w.close("answer")
			w.close("subquestion")
		}
	case quizflow.Essay:
		w.leaf("responseformat", "editor")
		w.leaf("responserequired", "1")
		w.leaf("responsefieldlines", "15")
		w.leaf("attachments", "0")
		w.leaf("attachmentsrequired", "0")
		moodleHTML(w, "graderinfo", strings.Join(nonEmpty(q.Answers), "\n\n"))
		moodleHTML(w, "responsetemplate", "")
	}
	w.close("question")
}
