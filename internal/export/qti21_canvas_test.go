package export

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// This file reads a QTI 2.1 package the way Canvas's importer does, written
// from its source (instructure/canvas-lms, gems/plugins/qti_exporter:
// lib/qti.rb, assessment_test_converter.rb, assessment_item_converter.rb,
// question_type_educated_guesser.rb, choice_interaction.rb,
// extended_text_interaction.rb, fill_in_the_blank.rb,
// associate_interaction.rb, html_helper.rb), not from our writer. It keeps
// only the rules that apply to the elements a package can hold; each rule
// names the Ruby method it follows.

// cnode is a small DOM: an element or, with Name "", a text node.
type cnode struct {
	Name     string
	Space    string
	Attr     map[string]string
	Children []*cnode
	Text     string
}

func parseDOM(t *testing.T, data []byte) *cnode {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	root := &cnode{Name: "#document"}
	stack := []*cnode{root}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("canvas reader: %v", err)
		}
		top := stack[len(stack)-1]
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &cnode{Name: tok.Name.Local, Space: tok.Name.Space, Attr: map[string]string{}}
			for _, a := range tok.Attr {
				n.Attr[a.Name.Local] = a.Value
			}
			top.Children = append(top.Children, n)
			stack = append(stack, n)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.Children = append(top.Children, &cnode{Text: string(tok)})
		}
	}
	return root
}

// all returns the descendants named name, in document order.
func (n *cnode) all(name string) []*cnode {
	var out []*cnode
	var walk func(*cnode)
	walk = func(c *cnode) {
		for _, k := range c.Children {
			if k.Name == name {
				out = append(out, k)
			}
			walk(k)
		}
	}
	walk(n)
	return out
}

func (n *cnode) one(name string) *cnode {
	if a := n.all(name); len(a) > 0 {
		return a[0]
	}
	return nil
}

func (n *cnode) kids(name string) []*cnode {
	var out []*cnode
	for _, k := range n.Children {
		if k.Name == name {
			out = append(out, k)
		}
	}
	return out
}

// text is Nokogiri's #text: all descendant text, unescaped.
func (n *cnode) text() string {
	if n.Name == "" {
		return n.Text
	}
	var b strings.Builder
	for _, k := range n.Children {
		b.WriteString(k.text())
	}
	return b.String()
}

// canvasHTML is the children as HTML after Canvas's sanitizer, which keeps
// ordinary HTML elements and drops QTI elements, keeping their contents
// (sanitize_html!).
func (n *cnode) canvasHTML() string {
	var b strings.Builder
	for _, k := range n.Children {
		switch {
		case k.Name == "":
			b.WriteString(xmlText(k.Text))
		case k.Name == "br":
			b.WriteString("<br/>")
		case htmlElements[k.Name]:
			b.WriteString("<" + k.Name + ">" + k.canvasHTML() + "</" + k.Name + ">")
		default:
			b.WriteString(k.canvasHTML())
		}
	}
	return b.String()
}

var htmlElements = map[string]bool{"p": true, "div": true, "span": true, "b": true, "i": true, "strong": true, "em": true}

// clearHTML is HtmlHelper#clear_html: drops tag-like text and entities.
func clearHTML(s string) string {
	s = regexp.MustCompile(`</?[^>\n]*>`).ReplaceAllString(s, "")
	return regexp.MustCompile(`&\w+;`).ReplaceAllString(s, "")
}

// detectHTML is HtmlHelper#detect_html: text from <div class="text">;
// otherwise the sanitized children, which count as HTML unless they are a
// single text node (then Canvas keeps the escaped markup as plain text).
func detectHTML(n *cnode) (text, htmlText string) {
	for _, d := range n.all("div") {
		if d.Attr["class"] == "text" {
			return strings.TrimSpace(d.text()), ""
		}
	}
	text = strings.TrimSpace(clearHTML(strings.Join(strings.Fields(n.text()), " ")))
	node := n
	for { // remove_extraneous_nodes: step into a lone p/div/span without attributes
		var real []*cnode
		for _, k := range node.Children {
			if k.Name == "" && strings.TrimSpace(k.Text) == "" || k.Name == "br" {
				continue
			}
			real = append(real, k)
		}
		if len(real) == 1 && (real[0].Name == "p" || real[0].Name == "div" || real[0].Name == "span") && len(real[0].Attr) == 0 {
			node = real[0]
			continue
		}
		sanitized := strings.TrimSpace(node.canvasHTML())
		if sanitized == "" {
			return text, ""
		}
		if len(real) == 1 && real[0].Name == "" {
			return strings.Join(strings.Fields(sanitized), " "), ""
		}
		return text, sanitized
	}
}

// canvasQuestion is what Canvas stores for a question.
type canvasQuestion struct {
	Type     string // Canvas's question_type
	Text     string // question_text, HTML
	Points   float64
	Answers  []canvasAnswer
	Neutral  string // neutral_comments (text)
	NeutralH string // neutral_comments_html
}

type canvasAnswer struct {
	ID, Text, HTML string
	Weight         int
	Right          string // matching: the match text
}

// readCanvas reads a package as Canvas's QTI 2 path does (Qti.convert_questions,
// Qti.convert_assessments).
func readCanvas(t *testing.T, files map[string][]byte) []canvasQuestion {
	t.Helper()
	manifest := parseDOM(t, files["imsmanifest.xml"])
	points := map[string]float64{}
	var order []string
	for _, r := range manifest.all("resource") {
		if r.Attr["type"] != "imsqti_test_xmlv2p1" {
			continue
		}
		test := parseDOM(t, files[r.Attr["href"]])
		for _, s := range test.all("assessmentSection") {
			// process_section: a visible section with a title becomes a text-only question.
			if strings.EqualFold(s.Attr["visible"], "true") && s.Attr["title"] != "" {
				t.Errorf("canvas: section %q would import as a text-only question", s.Attr["title"])
			}
		}
		for _, ref := range test.all("assessmentItemRef") {
			id := ref.Attr["identifier"]
			order = append(order, id)
			// process_question: points_possible from <weight value>.
			if w := ref.one("weight"); w != nil {
				points[id], _ = strconv.ParseFloat(w.Attr["value"], 64)
			}
		}
	}
	byID := map[string]canvasQuestion{}
	for _, r := range manifest.all("resource") {
		if !strings.HasPrefix(r.Attr["type"], "imsqti_item_xmlv2p") {
			continue
		}
		interaction := ""
		for _, it := range r.all("interactionType") {
			if it.Space == nsQTI21 || it.Space == nsCP {
				interaction = strings.ToLower(strings.TrimSpace(it.text()))
			}
		}
		doc := parseDOM(t, files[r.Attr["href"]])
		q := canvasItem(t, doc, interaction)
		id := doc.one("assessmentItem").Attr["identifier"]
		q.Points = 1 // DEFAULT_POINTS_POSSIBLE; the quiz's reference overrides it
		if p, ok := points[id]; ok {
			q.Points = p
		}
		byID[id] = q
	}
	var out []canvasQuestion
	for _, id := range order {
		out = append(out, byID[id])
	}
	return out
}

// canvasItem is AssessmentItemConverter.create_instructure_question.
func canvasItem(t *testing.T, doc *cnode, interaction string) canvasQuestion {
	custom := ""
	if interaction == "" { // QuestionTypeEducatedGuesser
		switch {
		case doc.one("choiceInteraction") != nil:
			interaction = "choiceinteraction"
		case doc.one("extendedTextInteraction") != nil:
			interaction = "extendedtextinteraction"
		case doc.one("textEntryInteraction") != nil:
			interaction, custom = "textentryinteraction", "text_entry_interaction"
		case doc.one("matchInteraction") != nil:
			interaction = "matchinteraction"
		}
	}
	body := doc.one("itemBody")
	if custom == "text_entry_interaction" {
		for _, te := range body.all("textEntryInteraction") {
			te.Children = []*cnode{{Text: "[" + te.Attr["responseIdentifier"] + "]"}}
		}
	}
	matching := interaction == "matchinteraction"
	var q canvasQuestion
	// Question text: itemBody > div, itemBody > p, and for other types the
	// choice and extended-text prompts.
	var parts []string
	var collect func(n *cnode, parent string)
	collect = func(n *cnode, parent string) {
		for _, k := range n.Children {
			ok := (parent == "itemBody" && (k.Name == "div" || k.Name == "p")) ||
				(!matching && k.Name == "prompt" && (parent == "choiceInteraction" || parent == "extendedTextInteraction"))
			if ok && len(k.Children) > 0 && k.one("choiceInteraction") == nil {
				parts = append(parts, k.canvasHTML())
			}
			if k.Name != "" {
				collect(k, k.Name)
			}
		}
	}
	collect(body, "itemBody")
	if len(parts) > 0 {
		q.Text = strings.Join(parts, "\n<br/>\n")
	} else {
		// The fallback: the text of the first child with text, the whole
		// interaction included.
		q.Text = strings.TrimSpace(body.text())
		t.Errorf("canvas: item %s has no question text outside its interaction", doc.one("assessmentItem").Attr["identifier"])
	}
	correct := doc.all("correctResponse")
	var correctValues []string
	for _, c := range correct {
		for _, v := range c.kids("value") {
			correctValues = append(correctValues, v.text())
		}
	}
	switch {
	case strings.Contains(interaction, "choiceinteraction"): // ChoiceInteraction
		byID := map[string]*canvasAnswer{}
		for _, c := range doc.all("simpleChoice") {
			a := canvasAnswer{ID: c.Attr["identifier"], Text: strings.TrimSpace(strings.Join(strings.Fields(clearHTML(c.text())), " "))}
			if s := strings.TrimSpace(c.canvasHTML()); s != "" && s != html.EscapeString(a.Text) {
				a.HTML = s
			}
			q.Answers = append(q.Answers, a)
		}
		for i := range q.Answers {
			byID[q.Answers[i].ID] = &q.Answers[i]
		}
		// process_response_conditions: a match on a variable whose identifier
		// starts with TF marks the question true/false.
		for _, rp := range doc.all("responseProcessing") {
			for _, cond := range rp.all("responseCondition") {
				for _, m := range cond.all("match") {
					v := m.one("variable")
					bv := m.one("baseValue")
					if v != nil && bv != nil && strings.HasPrefix(v.Attr["identifier"], "TF") {
						if a := byID[strings.TrimSpace(bv.text())]; a != nil {
							a.Weight = 100
						}
						q.Type = "true_false_question"
					}
				}
			}
		}
		for _, v := range correctValues {
			if a := byID[v]; a != nil {
				a.Weight = 100
			}
		}
		n := 0
		for _, a := range q.Answers {
			if a.Weight > 0 {
				n++
			}
		}
		if q.Type == "" {
			q.Type = "multiple_answers_question"
			if n == 1 {
				q.Type = "multiple_choice_question"
			}
		}
		if q.Type == "true_false_question" { // process_true_false_question
			if len(q.Answers) != 2 || !regexp.MustCompile(`(?i)true`).MatchString(q.Answers[0].Text) ||
				!regexp.MustCompile(`(?i)false`).MatchString(q.Answers[1].Text) {
				q.Type = "multiple_choice_question"
			}
		}
	case strings.Contains(interaction, "extendedtextinteraction"): // ExtendedTextInteraction
		for _, v := range correctValues {
			q.Answers = append(q.Answers, canvasAnswer{Text: v, Weight: 100})
		}
		q.Type = "essay_question"
		if len(q.Answers) > 0 {
			q.Type = "short_answer_question"
		}
	case interaction == "textentryinteraction": // FillInTheBlank
		q.Type = "fill_in_multiple_blanks_question"
		if custom != "text_entry_interaction" {
			break // process_canvas: looks for choiceInteraction, finds no answers
		}
		for _, v := range correctValues {
			q.Answers = append(q.Answers, canvasAnswer{Text: v, Weight: 100})
		}
	case matching: // AssociateInteraction#get_all_match_interaction
		q.Type = "matching_question"
		mi := doc.one("matchInteraction")
		sets := mi.kids("simpleMatchSet")
		left := map[string]*canvasAnswer{}
		for _, c := range sets[0].kids("simpleAssociableChoice") {
			a := canvasAnswer{ID: c.Attr["identifier"]}
			a.Text, a.HTML = detectHTML(c)
			q.Answers = append(q.Answers, a)
		}
		for i := range q.Answers {
			left[q.Answers[i].ID] = &q.Answers[i]
		}
		right := map[string]string{}
		for _, c := range sets[len(sets)-1].kids("simpleAssociableChoice") {
			right[c.Attr["identifier"]] = html.UnescapeString(strings.TrimSpace(c.text()))
		}
		for _, v := range correctValues {
			l, r, _ := strings.Cut(v, " ")
			if a := left[strings.TrimSpace(l)]; a != nil {
				a.Right = right[strings.TrimSpace(r)]
			}
		}
	default:
		t.Errorf("canvas: unknown interaction %q", interaction)
	}
	// get_feedback: general feedback by identifier.
	for _, f := range doc.all("modalFeedback") {
		id := f.Attr["identifier"]
		switch {
		case regexp.MustCompile(`(?i)wrong|incorrect|(_IC$)`).MatchString(id),
			regexp.MustCompile(`(?i)correct|(_C$)`).MatchString(id),
			regexp.MustCompile(`(?i)solution`).MatchString(id):
			t.Errorf("canvas: feedback %q would not be general feedback", id)
		case regexp.MustCompile(`(?i)general_|_all`).MatchString(id):
			q.Neutral, q.NeutralH = detectHTML(f)
		default:
			t.Errorf("canvas: feedback %q is dropped", id)
		}
	}
	return q
}

// canvasVisible is the text a reader sees in Canvas HTML: raw new lines are
// white space, <br/> breaks the line, entities show their characters.
func canvasVisible(s string) string {
	s = strings.ReplaceAll(s, "\n<br/>\n", "<br/>")
	return fromHTML(s)
}

// TestQTI21AsCanvasImports checks that the every-type fixture keeps each
// question's type, points, accepted answers and feedback through the
// Canvas reader above.
func TestQTI21AsCanvasImports(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "qti21", parseBackOptions)
	qs := readCanvas(t, unzip(t, f.Data))
	types := map[string]string{
		"multiple_choice_question":         quizflow.MultipleChoice,
		"multiple_answers_question":        quizflow.MultipleAnswer,
		"true_false_question":              quizflow.TrueFalse,
		"short_answer_question":            quizflow.ShortAnswer,
		"fill_in_multiple_blanks_question": quizflow.FillInBlank,
		"matching_question":                quizflow.Matching,
		"essay_question":                   quizflow.Essay,
	}
	var got []parsed
	for _, q := range qs {
		p := parsed{Type: types[q.Type], Points: formatPoints(q.Points)}
		if p.Type == "" {
			p.Type = q.Type
		}
		p.Prompt = canvasVisible(q.Text)
		switch p.Type {
		case quizflow.ShortAnswer:
			// The textEntryInteraction's paragraph leaves an empty line
			// after the question text (documented in IMPORTING.md).
			p.Prompt = strings.TrimSuffix(p.Prompt, "\n")
		case quizflow.FillInBlank:
			p.Prompt = strings.Replace(p.Prompt, "[RESPONSE]", quizflow.BlankMarker, 1)
		}
		for _, a := range q.Answers {
			switch p.Type {
			case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
				text := a.Text
				if a.HTML != "" {
					text = canvasVisible(a.HTML)
				}
				p.Options = append(p.Options, parsedOption{text, a.Weight > 0})
			case quizflow.Matching:
				left := a.Text
				if a.HTML != "" {
					left = canvasVisible(a.HTML)
				}
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: left, Right: a.Right})
			default:
				p.Answers = append(p.Answers, a.Text)
			}
		}
		p.Feedback = q.Neutral
		if q.NeutralH != "" {
			p.Feedback = canvasVisible(q.NeutralH)
		}
		got = append(got, p)
	}
	checkParsed(t, "qti21 as Canvas reads it", got, want(quiz, parseBackOptions, expectation{points: true, feedback: true}))
}
