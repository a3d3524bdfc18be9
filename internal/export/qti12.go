package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// QTI 1.2 as Canvas Classic Quizzes writes and reads it.
//
// Package layout (what Canvas's own export holds):
//
//	imsmanifest.xml                 IMS CP 1.1 manifest (plain CP namespace, no LOM)
//	<ident>/<ident>.xml             the assessment (questestinterop)
//	<ident>/assessment_meta.xml     Canvas quiz settings (title, shuffle, points)
//
// Stems and feedback of several lines are HTML (texttype="text/html", the
// HTML escaped so the quiz text shows literally); one-line feedback and
// answer texts are text/plain (see qti12Feedback). Scores are
// out of 100 in resprocessing and scaled by Canvas to points_possible.
// ShuffleAnswers sets render_choice shuffle="Yes" and the quiz's
// shuffle_answers setting; options stay in authored order in the file.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "qti12-canvas",
			Title:         "Canvas (QTI 1.2 .zip)",
			Extension:     ".zip",
			ContentType:   "application/zip",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "QTI 1.2 package for Canvas Classic Quizzes: Settings > Import Course Content > QTI .zip file.",
		},
		suffix: "-canvas-qti12",
		noun:   "Canvas QTI 1.2",
		render: renderQTI12,
	})
}

const (
	nsQTI12  = "http://www.imsglobal.org/xsd/ims_qtiasiv1p2"
	nsXSI    = "http://www.w3.org/2001/XMLSchema-instance"
	nsCP     = "http://www.imsglobal.org/xsd/imscp_v1p1"
	nsCanvas = "http://canvas.instructure.com/xsd/cccv1p0"
)

// canvasType maps quizflow question types to Canvas question_type values.
var canvasType = map[string]string{
	quizflow.MultipleChoice: "multiple_choice_question",
	quizflow.MultipleAnswer: "multiple_answers_question",
	quizflow.TrueFalse:      "true_false_question",
	quizflow.ShortAnswer:    "short_answer_question",
	quizflow.FillInBlank:    "fill_in_multiple_blanks_question",
	quizflow.Matching:       "matching_question",
	quizflow.Essay:          "essay_question",
}

func renderQTI12(r *run) ([]byte, error) {
	version := strconv.Itoa(r.quiz.Version)
	aid := ident("g", "qti12", r.quiz.ID, version)
	metaID := ident("g", "qti12-meta", r.quiz.ID, version)
	bankID := ident("g", "qti12-bank", r.quiz.ID, version)

	w := newXML()
	w.open("questestinterop", "xmlns", nsQTI12, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsQTI12+" http://www.imsglobal.org/xsd/ims_qtiasiv1p2p1.xsd")
	w.open("assessment", "ident", aid, "title", r.title)
	w.open("qtimetadata")
	qtiField(w, "cc_maxattempts", "1")
	w.close("qtimetadata")
	w.open("section", "ident", "root_section")
	total := 0.0
	for i := range r.items {
		it := &r.items[i]
		total += it.Points
		r.qti12Item(w, it, ident("g", "qti12-item", r.quiz.ID, version, it.Q.ID, strconv.Itoa(it.N)),
			ident("g", "qti12-bankitem", r.quiz.ID, version, it.Q.ID, strconv.Itoa(it.N)))
	}
	w.close("section")
	w.close("assessment")
	w.close("questestinterop")

	m := newXML()
	m.open("quiz", "identifier", aid, "xmlns", nsCanvas, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsCanvas+" https://canvas.instructure.com/xsd/cccv1p0.xsd")
	m.leaf("title", r.title)
	m.leaf("description", "")
	m.leaf("shuffle_answers", strconv.FormatBool(r.opts.ShuffleAnswers))
	m.leaf("scoring_policy", "keep_highest")
	m.leaf("hide_results", "")
	m.leaf("quiz_type", "assignment")
	m.leaf("points_possible", formatPoints(total))
	m.leaf("require_lockdown_browser", "false")
	m.leaf("show_correct_answers", "true")
	m.leaf("anonymous_submissions", "false")
	m.leaf("could_be_locked", "false")
	m.leaf("allowed_attempts", "1")
	m.leaf("one_question_at_a_time", "false")
	m.leaf("cant_go_back", "false")
	m.leaf("available", "false")
	m.leaf("one_time_results", "false")
	m.leaf("show_correct_answers_last_attempt", "false")
	m.leaf("only_visible_to_overrides", "false")
	m.leaf("module_locked", "false")
	m.leaf("assessment_question_bank_identifierref", bankID)
	m.close("quiz")

	man := newXML()
	man.open("manifest", "identifier", aid+"_manifest", "xmlns", nsCP, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsCP+" http://www.imsglobal.org/xsd/imscp_v1p1.xsd")
	man.open("metadata")
	man.leaf("schema", "IMS Content")
	man.leaf("schemaversion", "1.1.3")
	man.close("metadata")
	man.empty("organizations")
	man.open("resources")
	man.open("resource", "identifier", aid, "type", "imsqti_xmlv1p2")
	man.empty("file", "href", aid+"/"+aid+".xml")
	man.empty("dependency", "identifierref", metaID)
	man.close("resource")
	man.open("resource", "identifier", metaID, "type", "associatedcontent/imscc_xmlv1p1/learning-application-resource",
		"href", aid+"/assessment_meta.xml")
	man.empty("file", "href", aid+"/assessment_meta.xml")
	man.close("resource")
	man.close("resources")
	man.close("manifest")

	return buildZip([]zipEntry{
		{"imsmanifest.xml", man.bytes()},
		{aid + "/" + aid + ".xml", w.bytes()},
		{aid + "/assessment_meta.xml", m.bytes()},
	})
}

func qtiField(w *xmlWriter, label, entry string) {
	w.open("qtimetadatafield")
	w.leaf("fieldlabel", label)
	w.leaf("fieldentry", entry)
	w.close("qtimetadatafield")
}

// htmlMat writes a material holding text as escaped HTML.
func htmlMat(w *xmlWriter, html string) {
	w.open("material")
	w.leaf("mattext", html, "texttype", "text/html")
	w.close("material")
}

// plainMat writes a material holding plain text.
// renderChoice writes a render_choice (with attrs) listing every answer as
// a response_label.
func renderChoice(w *xmlWriter, answers []qti12Answer, attrs ...string) {
	w.open("render_choice", attrs...)
	for _, a := range answers {
		w.open("response_label", "ident", a.id)
		plainMat(w, a.text)
		w.close("response_label")
	}
	w.close("render_choice")
}

func plainMat(w *xmlWriter, text string) {
	w.open("material")
	w.leaf("mattext", text, "texttype", "text/plain")
	w.close("material")
}

// qti12Answer is one response_label: its ident and text.
type qti12Answer struct{ id, text string }

func (r *run) qti12Item(w *xmlWriter, it *item, id, bankRef string) {
	q := &it.Q
	// Answer idents are numbers, as Canvas writes them; unique in the item.
	base := it.N * 1000
	answerID := func(i int) string { return strconv.Itoa(base + i + 1) }
	var answers []qti12Answer
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		for i, o := range q.Options {
			answers = append(answers, qti12Answer{answerID(i), o.Text})
		}
	case quizflow.TrueFalse:
		answers = []qti12Answer{{answerID(0), "True"}, {answerID(1), "False"}}
	case quizflow.FillInBlank:
		for i, a := range nonEmpty(q.Answers) {
			answers = append(answers, qti12Answer{answerID(i), a})
		}
	case quizflow.Matching:
		seen := map[string]string{}
		for _, p := range q.Pairs {
			if _, ok := seen[p.Right]; !ok {
				seen[p.Right] = answerID(len(answers))
				answers = append(answers, qti12Answer{seen[p.Right], p.Right})
			}
		}
	}
	var ids string
	for i, a := range answers {
		if i > 0 {
			ids += ","
		}
		ids += a.id
	}

	w.open("item", "ident", id, "title", fmt.Sprintf("Question %d", it.N))
	w.open("itemmetadata")
	w.open("qtimetadata")
	qtiField(w, "question_type", canvasType[q.Type])
	qtiField(w, "points_possible", formatPoints(it.Points))
	qtiField(w, "original_answer_ids", ids)
	qtiField(w, "assessment_question_identifierref", bankRef)
	w.close("qtimetadata")
	w.close("itemmetadata")

	shuffle := "No"
	if r.opts.ShuffleAnswers {
		shuffle = "Yes"
	}
	w.open("presentation")
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
		htmlMat(w, htmlText(q.Prompt))
		card := "Single"
		if q.Type == quizflow.MultipleAnswer {
			card = "Multiple"
		}
		w.open("response_lid", "ident", "response1", "rcardinality", card)
		renderChoice(w, answers, "shuffle", shuffle)
		w.close("response_lid")
	case quizflow.ShortAnswer, quizflow.Essay:
		htmlMat(w, htmlText(q.Prompt))
		w.open("response_str", "ident", "response1", "rcardinality", "Single")
		w.open("render_fib")
		w.empty("response_label", "ident", "answer1", "rshuffle", "No")
		w.close("render_fib")
		w.close("response_str")
	case quizflow.FillInBlank:
		before, after := splitBlank(q.Prompt)
		htmlMat(w, htmlText(before)+"[blank1]"+htmlText(after))
		w.open("response_lid", "ident", "response_blank1")
		w.open("material")
		w.leaf("mattext", "blank1")
		w.close("material")
		renderChoice(w, answers)
		w.close("response_lid")
	case quizflow.Matching:
		htmlMat(w, htmlText(q.Prompt))
		for i, p := range q.Pairs {
			w.open("response_lid", "ident", fmt.Sprintf("response_%d", base+500+i+1))
			plainMat(w, p.Left)
			renderChoice(w, answers, "shuffle", shuffle)
			w.close("response_lid")
		}
	}
	w.close("presentation")

	fb := r.feedback(it)
	w.open("resprocessing")
	w.open("outcomes")
	w.empty("decvar", "maxvalue", "100", "minvalue", "0", "varname", "SCORE", "vartype", "Decimal")
	w.close("outcomes")
	if fb != "" {
		w.open("respcondition", "continue", "Yes")
		w.open("conditionvar")
		w.empty("other")
		w.close("conditionvar")
		w.empty("displayfeedback", "feedbacktype", "Response", "linkrefid", "general_fb")
		w.close("respcondition")
	}
	setScore := func(action, value string) {
		w.leaf("setvar", value, "action", action, "varname", "SCORE")
	}
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.TrueFalse:
		right := ""
		if q.Type == quizflow.TrueFalse {
			v, _ := truth(q)
			right = answers[1].id
			if v {
				right = answers[0].id
			}
		} else {
			for i, o := range q.Options {
				if o.Correct {
					right = answers[i].id
				}
			}
		}
		w.open("respcondition", "continue", "No")
		w.open("conditionvar")
		w.leaf("varequal", right, "respident", "response1")
		w.close("conditionvar")
		setScore("Set", "100")
		w.close("respcondition")
	case quizflow.MultipleAnswer:
		w.open("respcondition", "continue", "No")
		w.open("conditionvar")
		w.open("and")
		for i, o := range q.Options {
			if o.Correct {
				w.leaf("varequal", answers[i].id, "respident", "response1")
			} else {
				w.open("not")
				w.leaf("varequal", answers[i].id, "respident", "response1")
				w.close("not")
			}
		}
		w.close("and")
		w.close("conditionvar")
		setScore("Set", "100")
		w.close("respcondition")
	case quizflow.ShortAnswer:
		w.open("respcondition", "continue", "No")
		w.open("conditionvar")
		for _, a := range nonEmpty(q.Answers) {
			w.leaf("varequal", a, "respident", "response1")
		}
		w.close("conditionvar")
		setScore("Set", "100")
		w.close("respcondition")
	case quizflow.FillInBlank:
		for _, a := range answers {
			w.open("respcondition")
			w.open("conditionvar")
			w.leaf("varequal", a.id, "respident", "response_blank1")
			w.close("conditionvar")
			setScore("Add", "100.00")
			w.close("respcondition")
		}
	case quizflow.Matching:
		share := percent(100 / float64(len(q.Pairs)))
		ids := map[string]string{}
		for _, a := range answers {
			ids[a.text] = a.id
		}
		for i, p := range q.Pairs {
			w.open("respcondition")
			w.open("conditionvar")
			w.leaf("varequal", ids[p.Right], "respident", fmt.Sprintf("response_%d", base+500+i+1))
			w.close("conditionvar")
			setScore("Add", share)
			w.close("respcondition")
		}
	case quizflow.Essay:
		w.open("respcondition", "continue", "No")
		w.open("conditionvar")
		w.empty("other")
		w.close("conditionvar")
		w.close("respcondition")
		r.warnModelAnswer(it)
	}
	w.close("resprocessing")
	if fb != "" {
		w.open("itemfeedback", "ident", "general_fb")
		w.open("flow_mat")
		qti12Feedback(w, fb)
		w.close("flow_mat")
		w.close("itemfeedback")
	}
	w.close("item")
}

// qti12Feedback writes feedback text so that Canvas keeps its characters.
// Canvas converts QTI 1.2 to 2.1 with QTIMigrationTool (lib/imsqtiv1.py):
// a text/plain mattext becomes <div class="text">, which the importer
// (html_helper.rb detect_html) stores as the plain-text comment, shown
// literally wherever Canvas shows it; a text/html mattext becomes
// <div class="html">, stored as HTML (rendered right) plus a plain-text copy
// made by clear_html, which drops anything tag-like ("<b>") and every
// entity ("&lt;"). So one-line feedback is text/plain: "Yes, <b> is the
// HTML bold tag." arrives as those characters. Feedback of several lines is
// text/html with <br>, because plain text would lose its line breaks in
// Canvas's HTML display; its HTML copy then shows it right and only the
// plain-text copy (used where Canvas cannot render HTML) loses tag-like
// text. Option texts are text/plain for the same reason.
func qti12Feedback(w *xmlWriter, fb string) {
	if !strings.Contains(fb, "\n") {
		plainMat(w, fb)
		return
	}
	htmlMat(w, htmlText(fb))
}

// warnModelAnswer notes an essay's model answer that the format cannot hold.
func (r *run) warnModelAnswer(it *item) {
	if len(nonEmpty(it.Q.Answers)) > 0 {
		r.warnf(it.N, "question %d (essay): model answer left out: %s has no place for it", it.N, r.def.noun)
	}
}
