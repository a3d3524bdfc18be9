package export

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// IMS QTI 2.1 content package.
//
// Package layout:
//
//	imsmanifest.xml          IMS CP 1.1: one imsqti_test_xmlv2p1 resource
//	                         depending on one imsqti_item_xmlv2p1 per item
//	test.xml                 the assessmentTest, summing item SCOREs
//	items/<ident>.xml        one assessmentItem per question
//
// Every auto-scored item declares its correct response and a mapping whose
// values are the question's points, so SCORE is in points and the
// map_response template scores it: a single choice or text entry maps the
// correct answers to the full points; multiple answers map each correct
// choice to points/correct and each wrong one to -points/wrong, bounded to
// [0, points]; matching maps each correct directedPair to points/pairs.
// Essays are scored by hand; a model answer goes to a rubricBlock for
// scorers. With IncludeFeedback the explanation is a general modalFeedback
// (identifier general_fb) shown after the attempt, which needs the FEEDBACK
// outcome set, so such items carry map_response's rules inline plus that
// assignment instead of the template reference. True/false items always
// carry their rules inline (see qti21TFResponse). Each assessmentItemRef
// carries the question's points as its weight. ShuffleAnswers sets
// shuffle="true" on choice and match interactions.
func init() {
	register(&formatDef{
		Format: Format{
			Name:          "qti21",
			Title:         "QTI 2.1 package (.zip)",
			Extension:     ".zip",
			ContentType:   "application/zip",
			QuestionTypes: quizflow.QuestionTypes,
			Description:   "IMS QTI 2.1 content package with one item per question and an assessment test, for LMSs and item banks that import QTI 2.1.",
		},
		suffix: "-qti21",
		noun:   "QTI 2.1",
		render: renderQTI21,
	})
}

const (
	nsQTI21         = "http://www.imsglobal.org/xsd/imsqti_v2p1"
	qti21Schema     = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
	mapResponseTmpl = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/map_response"
)

func renderQTI21(r *run) ([]byte, error) {
	version := strconv.Itoa(r.quiz.Version)
	testID := ident("T", "qti21-test", r.quiz.ID, version)
	var entries []zipEntry
	var itemIDs, hrefs []string
	for i := range r.items {
		it := &r.items[i]
		id := ident("I", "qti21-item", r.quiz.ID, version, it.Q.ID, strconv.Itoa(it.N))
		href := "items/" + id + ".xml"
		itemIDs = append(itemIDs, id)
		hrefs = append(hrefs, href)
		entries = append(entries, zipEntry{href, r.qti21Item(it, id)})
	}

	t := newXML()
	t.open("assessmentTest", "xmlns", nsQTI21, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsQTI21+" "+qti21Schema, "identifier", testID, "title", r.title)
	t.open("outcomeDeclaration", "identifier", "SCORE", "cardinality", "single", "baseType", "float")
	t.open("defaultValue")
	t.leaf("value", "0")
	t.close("defaultValue")
	t.close("outcomeDeclaration")
	t.open("testPart", "identifier", "part1", "navigationMode", "nonlinear", "submissionMode", "simultaneous")
	// visible="false": Canvas turns a visible section's title into a text-only question.
	t.open("assessmentSection", "identifier", "section1", "title", r.title, "visible", "false")
	for i, id := range itemIDs {
		t.open("assessmentItemRef", "identifier", id, "href", hrefs[i])
		t.empty("weight", "identifier", "POINTS", "value", formatPoints(r.items[i].Points))
		t.close("assessmentItemRef")
	}
	t.close("assessmentSection")
	t.close("testPart")
	t.open("outcomeProcessing")
	t.open("setOutcomeValue", "identifier", "SCORE")
	t.open("sum")
	t.empty("testVariables", "variableIdentifier", "SCORE")
	t.close("sum")
	t.close("setOutcomeValue")
	t.close("outcomeProcessing")
	t.close("assessmentTest")

	m := newXML()
	m.open("manifest", "xmlns", nsCP, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsCP+" http://www.imsglobal.org/xsd/imscp_v1p1.xsd", "identifier", testID+"_manifest")
	m.open("metadata")
	m.leaf("schema", "QTIv2.1 Package")
	m.leaf("schemaversion", "1.0.0")
	m.close("metadata")
	m.empty("organizations")
	m.open("resources")
	m.open("resource", "identifier", testID, "type", "imsqti_test_xmlv2p1", "href", "test.xml")
	m.empty("file", "href", "test.xml")
	for _, id := range itemIDs {
		m.empty("dependency", "identifierref", id)
	}
	m.close("resource")
	for i, id := range itemIDs {
		m.open("resource", "identifier", id, "type", "imsqti_item_xmlv2p1", "href", hrefs[i])
		if t := qti21InteractionType(&r.items[i].Q); t != "" {
			m.open("metadata")
			m.open("qtiMetadata", "xmlns", nsQTI21)
			m.leaf("interactionType", t)
			m.close("qtiMetadata")
			m.close("metadata")
		}
		m.empty("file", "href", hrefs[i])
		m.close("resource")
	}
	m.close("resources")
	m.close("manifest")

	all := append([]zipEntry{{"imsmanifest.xml", m.bytes()}, {"test.xml", t.bytes()}}, entries...)
	return buildZip(all)
}

// What importers read, from their source (see IMPORTING.md):
//
//   - Canvas (gems/plugins/qti_exporter, Qti::AssessmentTestConverter) takes
//     a question's points from the <weight> of its assessmentItemRef and
//     ignores MAXSCORE; every other item defaults to 1 point. QTI 2.1 applies
//     a weight only where the test names it (testVariables weightIdentifier),
//     and our test sums unweighted SCOREs that are already in points, so the
//     weight informs importers without scaling the score twice.
//   - Canvas files a modalFeedback as general feedback when its identifier
//     matches /general_|_all/ (right- and wrong-answer feedback by
//     /correct/ and /wrong|incorrect/); any other identifier is dropped.
//   - Canvas classifies a choice item as true/false only when a response
//     condition matches a variable whose identifier starts with TF and the
//     two choices read True and False.
//   - Canvas reads the accepted answers of text entry from correctResponse
//     only (not the mapping), so correctResponse lists every accepted answer
//     and the mapping maps each of them to the full points.
//   - Canvas takes a matching item's text from <p> and <div> children of
//     itemBody only, never from the interaction's prompt; it reads a choice
//     holding one text node as already-escaped HTML unless the text sits in
//     <div class="text">.
const (
	qti21FeedbackID = "general_fb"
	qti21TFResponse = "TF_RESPONSE"
)

// qti21Mapping is one mapEntry: key and value in points.
type qti21Mapping struct {
	key   string
	value float64
}

// qti21InteractionType is the interaction named in the manifest's
// qtiMetadata for the item, or "" for none. Short answers name
// extendedTextInteraction: the item holds a one-line textEntryInteraction,
// but Canvas sends text entry items to fill in multiple blanks (appending
// "[RESPONSE]" to the text) unless the manifest says otherwise, and reads an
// extended text item with accepted answers as a short answer. Fill in the
// blank names nothing: Canvas only reads the blank and its answers when it
// finds the textEntryInteraction itself (a named textEntryInteraction takes
// it down a path that finds no answers).
func qti21InteractionType(q *quizflow.Question) string {
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
		return "choiceInteraction"
	case quizflow.ShortAnswer, quizflow.Essay:
		return "extendedTextInteraction"
	case quizflow.Matching:
		return "matchInteraction"
	}
	return ""
}

// qti21PlainText writes text that importers must show literally as XHTML:
// one line goes in <div class="text"> (Canvas then reads it as text, not as
// escaped HTML); several lines keep their <br/>, which Canvas reads as HTML.
func qti21PlainText(s string) string {
	if !strings.Contains(s, "\n") {
		return `<div class="text">` + xmlText(s) + `</div>`
	}
	return xhtmlText(s)
}

func (r *run) qti21Item(it *item, id string) []byte {
	q := &it.Q
	fb := r.feedback(it)
	shuffle := strconv.FormatBool(r.opts.ShuffleAnswers)

	var (
		cardinality, baseType string
		correct               []string
		mapping               []qti21Mapping
		lower, upper          string
		caseSensitive         string
	)
	responseID := "RESPONSE"
	choiceID := func(i int) string { return letter(i) }
	answers := nonEmpty(q.Answers)
	switch q.Type {
	case quizflow.MultipleChoice:
		cardinality, baseType = "single", "identifier"
		for i, o := range q.Options {
			if o.Correct {
				correct = append(correct, choiceID(i))
				mapping = append(mapping, qti21Mapping{choiceID(i), it.Points})
			}
		}
	case quizflow.MultipleAnswer:
		cardinality, baseType = "multiple", "identifier"
		nc := correctCount(q)
		nw := len(q.Options) - nc
		for i, o := range q.Options {
			if o.Correct {
				correct = append(correct, choiceID(i))
				mapping = append(mapping, qti21Mapping{choiceID(i), it.Points / float64(nc)})
			} else {
				mapping = append(mapping, qti21Mapping{choiceID(i), -it.Points / float64(nw)})
			}
		}
		lower, upper = "0", formatPoints(it.Points)
	case quizflow.TrueFalse:
		responseID = qti21TFResponse
		cardinality, baseType = "single", "identifier"
		v, _ := truth(q)
		key := "false"
		if v {
			key = "true"
		}
		correct = []string{key}
		mapping = []qti21Mapping{{key, it.Points}}
	case quizflow.ShortAnswer, quizflow.FillInBlank:
		// Every accepted answer is a correct response and maps to the full
		// points; matching ignores case, as the LMSs' short answers do.
		cardinality, baseType, caseSensitive = "single", "string", "false"
		seen := map[string]bool{}
		for _, a := range answers {
			if seen[a] {
				continue
			}
			seen[a] = true
			correct = append(correct, a)
			mapping = append(mapping, qti21Mapping{a, it.Points})
		}
	case quizflow.Matching:
		cardinality, baseType = "multiple", "directedPair"
		rights := qti21Rights(q)
		for i, p := range q.Pairs {
			key := fmt.Sprintf("L%d %s", i+1, rights[p.Right])
			correct = append(correct, key)
			mapping = append(mapping, qti21Mapping{key, it.Points / float64(len(q.Pairs))})
		}
		lower, upper = "0", formatPoints(it.Points)
	case quizflow.Essay:
		cardinality, baseType = "single", "string"
	}

	w := newXML()
	w.open("assessmentItem", "xmlns", nsQTI21, "xmlns:xsi", nsXSI,
		"xsi:schemaLocation", nsQTI21+" "+qti21Schema,
		"identifier", id, "title", fmt.Sprintf("Question %d", it.N), "adaptive", "false", "timeDependent", "false")
	w.open("responseDeclaration", "identifier", responseID, "cardinality", cardinality, "baseType", baseType)
	if len(correct) > 0 {
		w.open("correctResponse")
		for _, c := range correct {
			w.leaf("value", c)
		}
		w.close("correctResponse")
	}
	if len(mapping) > 0 {
		attrs := []string{}
		if lower != "" {
			attrs = append(attrs, "lowerBound", lower, "upperBound", upper)
		}
		attrs = append(attrs, "defaultValue", "0")
		w.open("mapping", attrs...)
		for _, m := range mapping {
			if caseSensitive != "" {
				w.empty("mapEntry", "mapKey", m.key, "mappedValue", formatPoints(m.value), "caseSensitive", caseSensitive)
			} else {
				w.empty("mapEntry", "mapKey", m.key, "mappedValue", formatPoints(m.value))
			}
		}
		w.close("mapping")
	}
	w.close("responseDeclaration")
	outcome := func(name, baseType, value string) {
		if value == "" {
			w.empty("outcomeDeclaration", "identifier", name, "cardinality", "single", "baseType", baseType)
			return
		}
		w.open("outcomeDeclaration", "identifier", name, "cardinality", "single", "baseType", baseType)
		w.open("defaultValue")
		w.leaf("value", value)
		w.close("defaultValue")
		w.close("outcomeDeclaration")
	}
	outcome("SCORE", "float", "0")
	outcome("MAXSCORE", "float", formatPoints(it.Points))
	if fb != "" {
		outcome("FEEDBACK", "identifier", "")
	}

	w.open("itemBody")
	prompt := func() { w.raw("prompt", xhtmlText(q.Prompt)) }
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
		max := "1"
		if q.Type == quizflow.MultipleAnswer {
			max = "0"
		}
		w.open("choiceInteraction", "responseIdentifier", responseID, "shuffle", shuffle, "maxChoices", max)
		prompt()
		if q.Type == quizflow.TrueFalse {
			w.leaf("simpleChoice", "True", "identifier", "true")
			w.leaf("simpleChoice", "False", "identifier", "false")
		} else {
			for i, o := range q.Options {
				w.raw("simpleChoice", xhtmlText(o.Text), "identifier", choiceID(i))
			}
		}
		w.close("choiceInteraction")
	case quizflow.ShortAnswer:
		w.raw("p", xhtmlText(q.Prompt))
		w.raw("p", `<textEntryInteraction responseIdentifier="RESPONSE" expectedLength="30"/>`)
	case quizflow.FillInBlank:
		before, after := splitBlank(q.Prompt)
		w.raw("p", xhtmlText(before)+`<textEntryInteraction responseIdentifier="RESPONSE" expectedLength="15"/>`+xhtmlText(after))
	case quizflow.Matching:
		// The question text stands before the interaction (see above).
		w.raw("p", xhtmlText(q.Prompt))
		rights := qti21Rights(q)
		w.open("matchInteraction", "responseIdentifier", "RESPONSE", "shuffle", shuffle, "maxAssociations", strconv.Itoa(len(q.Pairs)))
		w.open("simpleMatchSet")
		for i, p := range q.Pairs {
			w.raw("simpleAssociableChoice", qti21PlainText(p.Left), "identifier", fmt.Sprintf("L%d", i+1), "matchMax", "1")
		}
		w.close("simpleMatchSet")
		w.open("simpleMatchSet")
		done := map[string]bool{}
		for _, p := range q.Pairs {
			if done[p.Right] {
				continue
			}
			done[p.Right] = true
			w.raw("simpleAssociableChoice", xhtmlText(p.Right), "identifier", rights[p.Right], "matchMax", strconv.Itoa(len(q.Pairs)))
		}
		w.close("simpleMatchSet")
		w.close("matchInteraction")
	case quizflow.Essay:
		if len(answers) > 0 {
			w.open("rubricBlock", "view", "scorer")
			for _, a := range answers {
				w.raw("p", xhtmlText(a))
			}
			w.close("rubricBlock")
		}
		w.open("extendedTextInteraction", "responseIdentifier", "RESPONSE", "expectedLines", "10")
		prompt()
		w.close("extendedTextInteraction")
	}
	w.close("itemBody")

	scored := q.Type != quizflow.Essay
	setScore := func(value func()) {
		w.open("setOutcomeValue", "identifier", "SCORE")
		value()
		w.close("setOutcomeValue")
	}
	switch {
	case q.Type == quizflow.TrueFalse:
		// match_correct's rules with the points as the score, written out
		// so that the condition names the TF response (see above).
		w.open("responseProcessing")
		w.open("responseCondition")
		w.open("responseIf")
		w.open("match")
		w.empty("variable", "identifier", responseID)
		w.leaf("baseValue", correct[0], "baseType", "identifier")
		w.close("match")
		setScore(func() { w.leaf("baseValue", formatPoints(it.Points), "baseType", "float") })
		w.close("responseIf")
		w.open("responseElse")
		setScore(func() { w.leaf("baseValue", "0", "baseType", "float") })
		w.close("responseElse")
		w.close("responseCondition")
		r.qti21SetFeedback(w, fb)
		w.close("responseProcessing")
	case fb != "":
		w.open("responseProcessing")
		if scored {
			// The rules of the map_response template.
			w.open("responseCondition")
			w.open("responseIf")
			w.open("isNull")
			w.empty("variable", "identifier", responseID)
			w.close("isNull")
			setScore(func() { w.leaf("baseValue", "0", "baseType", "float") })
			w.close("responseIf")
			w.open("responseElse")
			setScore(func() { w.empty("mapResponse", "identifier", responseID) })
			w.close("responseElse")
			w.close("responseCondition")
		}
		r.qti21SetFeedback(w, fb)
		w.close("responseProcessing")
	case scored:
		w.empty("responseProcessing", "template", mapResponseTmpl)
	}
	if fb != "" {
		w.raw("modalFeedback", qti21PlainText(fb), "outcomeIdentifier", "FEEDBACK", "identifier", qti21FeedbackID, "showHide", "show")
	}
	w.close("assessmentItem")
	return w.bytes()
}

// qti21SetFeedback shows the general feedback after every attempt.
func (r *run) qti21SetFeedback(w *xmlWriter, fb string) {
	if fb == "" {
		return
	}
	w.open("setOutcomeValue", "identifier", "FEEDBACK")
	w.leaf("baseValue", qti21FeedbackID, "baseType", "identifier")
	w.close("setOutcomeValue")
}

// qti21Rights gives each distinct right-hand text of a matching question
// its identifier (R1, R2, ...), in first-seen order.
func qti21Rights(q *quizflow.Question) map[string]string {
	ids := map[string]string{}
	for _, p := range q.Pairs {
		if _, ok := ids[p.Right]; !ok {
			ids[p.Right] = fmt.Sprintf("R%d", len(ids)+1)
		}
	}
	return ids
}
