package export

import (
	"encoding/xml"
	"html"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

type qti21Inner struct {
	Inner string `xml:",innerxml"`
}

type qti21Choice struct {
	ID    string `xml:"identifier,attr"`
	Inner string `xml:",innerxml"`
}

type qti21ItemDoc struct {
	Identifier string `xml:"identifier,attr"`
	Response   struct {
		Cardinality string   `xml:"cardinality,attr"`
		BaseType    string   `xml:"baseType,attr"`
		Correct     []string `xml:"correctResponse>value"`
		Mapping     []struct {
			Key   string `xml:"mapKey,attr"`
			Value string `xml:"mappedValue,attr"`
		} `xml:"mapping>mapEntry"`
	} `xml:"responseDeclaration"`
	Outcomes []struct {
		Identifier string `xml:"identifier,attr"`
		Default    string `xml:"defaultValue>value"`
	} `xml:"outcomeDeclaration"`
	Body struct {
		Ps     []qti21Inner `xml:"p"`
		Choice *struct {
			MaxChoices string        `xml:"maxChoices,attr"`
			Shuffle    string        `xml:"shuffle,attr"`
			Prompt     qti21Inner    `xml:"prompt"`
			Choices    []qti21Choice `xml:"simpleChoice"`
		} `xml:"choiceInteraction"`
		Match *struct {
			Shuffle string     `xml:"shuffle,attr"`
			Prompt  qti21Inner `xml:"prompt"`
			Sets    []struct {
				Choices []qti21Choice `xml:"simpleAssociableChoice"`
			} `xml:"simpleMatchSet"`
		} `xml:"matchInteraction"`
		Extended *struct {
			Prompt qti21Inner `xml:"prompt"`
		} `xml:"extendedTextInteraction"`
		Rubric []struct {
			View string       `xml:"view,attr"`
			Ps   []qti21Inner `xml:"p"`
		} `xml:"rubricBlock"`
	} `xml:"itemBody"`
	RP *struct {
		Template string `xml:"template,attr"`
		Inner    string `xml:",innerxml"`
	} `xml:"responseProcessing"`
	Feedback []qti21Inner `xml:"modalFeedback"`
}

var qti21TextEntry = regexp.MustCompile(`<textEntryInteraction [^>]*/>`)

// xhtmlToText turns XHTML content as the exporter writes it back into text.
func xhtmlToText(s string) string {
	if m := qti21TextDiv.FindStringSubmatch(s); m != nil {
		s = m[1]
	}
	return html.UnescapeString(strings.ReplaceAll(s, "<br/>", "\n"))
}

var qti21TextDiv = regexp.MustCompile(`^<div class="text">(.*)</div>$`)

// readQTI21Item parses one QTI 2.1 item.
func readQTI21Item(t *testing.T, data []byte) (parsed, qti21ItemDoc) {
	t.Helper()
	var doc qti21ItemDoc
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("qti21: %v", err)
	}
	p := parsed{}
	for _, o := range doc.Outcomes {
		if o.Identifier == "MAXSCORE" {
			p.Points = o.Default
		}
	}
	if len(doc.Feedback) > 0 {
		p.Feedback = xhtmlToText(doc.Feedback[0].Inner)
	}
	correct := map[string]bool{}
	for _, c := range doc.Response.Correct {
		correct[c] = true
	}
	mapped := map[string]string{}
	for _, m := range doc.Response.Mapping {
		mapped[m.Key] = m.Value
	}
	b := doc.Body
	switch {
	case b.Choice != nil:
		p.Prompt = xhtmlToText(b.Choice.Prompt.Inner)
		switch {
		case b.Choice.MaxChoices == "0":
			p.Type = quizflow.MultipleAnswer
		case len(b.Choice.Choices) == 2 && b.Choice.Choices[0].ID == "true":
			p.Type = quizflow.TrueFalse
		default:
			p.Type = quizflow.MultipleChoice
		}
		for _, c := range b.Choice.Choices {
			p.Options = append(p.Options, parsedOption{xhtmlToText(c.Inner), correct[c.ID]})
			if correct[c.ID] && mapped[c.ID] == "" {
				t.Errorf("qti21: correct choice %s not mapped", c.ID)
			}
		}
	case b.Match != nil:
		p.Type = quizflow.Matching
		if len(b.Ps) != 1 || b.Match.Prompt.Inner != "" {
			t.Errorf("qti21: matching item %s: prompt not in one <p> before the interaction", doc.Identifier)
		} else {
			p.Prompt = xhtmlToText(b.Ps[0].Inner)
		}
		rights := map[string]string{}
		for _, c := range b.Match.Sets[1].Choices {
			rights[c.ID] = xhtmlToText(c.Inner)
		}
		pairs := map[string]string{}
		for _, c := range doc.Response.Correct {
			l, r, _ := strings.Cut(c, " ")
			pairs[l] = r
		}
		for _, c := range b.Match.Sets[0].Choices {
			p.Pairs = append(p.Pairs, quizflow.Pair{Left: xhtmlToText(c.Inner), Right: rights[pairs[c.ID]]})
		}
	case b.Extended != nil:
		p.Type = quizflow.Essay
		p.Prompt = xhtmlToText(b.Extended.Prompt.Inner)
		for _, r := range b.Rubric {
			if r.View != "scorer" {
				t.Errorf("qti21: rubricBlock view %q", r.View)
			}
			for _, para := range r.Ps {
				p.Answers = append(p.Answers, xhtmlToText(para.Inner))
			}
		}
	default:
		// Text entry: inline in a paragraph for a blank, on its own line
		// after the prompt for a short answer.
		if len(b.Ps) == 2 && qti21TextEntry.ReplaceAllString(b.Ps[1].Inner, "") == "" {
			p.Type = quizflow.ShortAnswer
			p.Prompt = xhtmlToText(b.Ps[0].Inner)
		} else if len(b.Ps) == 1 && qti21TextEntry.MatchString(b.Ps[0].Inner) {
			p.Type = quizflow.FillInBlank
			p.Prompt = xhtmlToText(qti21TextEntry.ReplaceAllString(b.Ps[0].Inner, quizflow.BlankMarker))
		} else {
			t.Fatalf("qti21: item %s has no interaction this reader knows", doc.Identifier)
		}
		// Accepted answers are the mapped keys, in mapping order.
		for _, m := range doc.Response.Mapping {
			p.Answers = append(p.Answers, m.Key)
		}
	}
	if p.Type != quizflow.Essay {
		if doc.RP == nil {
			t.Errorf("qti21: item %s has no responseProcessing", doc.Identifier)
		} else if doc.RP.Template == "" && !strings.Contains(doc.RP.Inner, "<mapResponse") && p.Type != quizflow.TrueFalse {
			t.Errorf("qti21: item %s neither uses a template nor maps the response", doc.Identifier)
		}
		// The mapping scores in points: the best answer is worth them all.
		total := 0.0
		for _, m := range doc.Response.Mapping {
			v, _ := strconv.ParseFloat(m.Value, 64)
			if p.Type == quizflow.ShortAnswer || p.Type == quizflow.FillInBlank || p.Type == quizflow.MultipleChoice || p.Type == quizflow.TrueFalse {
				total = max(total, v)
			} else if v > 0 {
				total += v
			}
		}
		if want, _ := strconv.ParseFloat(p.Points, 64); total < want-1e-9 || total > want+1e-9 {
			t.Errorf("qti21: item %s mapping gives %v points, MAXSCORE %v", doc.Identifier, total, want)
		}
	}
	return p, doc
}

// readQTI21 parses the package: manifest, test, then the items in test order.
func readQTI21(t *testing.T, f *File) (title string, out []parsed, docs []qti21ItemDoc) {
	t.Helper()
	files := unzip(t, f.Data)
	var manifest struct {
		Resources []struct {
			Identifier string `xml:"identifier,attr"`
			Type       string `xml:"type,attr"`
			Href       string `xml:"href,attr"`
			Deps       []struct {
				Ref string `xml:"identifierref,attr"`
			} `xml:"dependency"`
		} `xml:"resources>resource"`
	}
	if err := xml.Unmarshal(files["imsmanifest.xml"], &manifest); err != nil {
		t.Fatalf("qti21 manifest: %v", err)
	}
	byID := map[string]string{}
	var testHref string
	var deps []string
	for _, r := range manifest.Resources {
		byID[r.Identifier] = r.Href
		switch r.Type {
		case "imsqti_test_xmlv2p1":
			testHref = r.Href
			for _, d := range r.Deps {
				deps = append(deps, d.Ref)
			}
		case "imsqti_item_xmlv2p1":
		default:
			t.Errorf("qti21: resource type %q", r.Type)
		}
	}
	var test struct {
		Title string `xml:"title,attr"`
		Refs  []struct {
			Identifier string `xml:"identifier,attr"`
			Href       string `xml:"href,attr"`
		} `xml:"testPart>assessmentSection>assessmentItemRef"`
	}
	if err := xml.Unmarshal(files[testHref], &test); err != nil {
		t.Fatalf("qti21 test %q: %v", testHref, err)
	}
	if len(files) != len(test.Refs)+2 || len(deps) != len(test.Refs) {
		t.Errorf("qti21: %d files, %d dependencies, %d item refs", len(files), len(deps), len(test.Refs))
	}
	for i, ref := range test.Refs {
		if byID[ref.Identifier] != ref.Href || deps[i] != ref.Identifier {
			t.Errorf("qti21: item ref %s (%s) does not match the manifest", ref.Identifier, ref.Href)
		}
		p, doc := readQTI21Item(t, files[ref.Href])
		if doc.Identifier != ref.Identifier {
			t.Errorf("qti21: item %s has identifier %s", ref.Href, doc.Identifier)
		}
		out = append(out, p)
		docs = append(docs, doc)
	}
	return test.Title, out, docs
}

func TestQTI21ParseBack(t *testing.T) {
	quiz := fixture(t)
	for _, opts := range []quizflow.ExportOptions{parseBackOptions, {}} {
		f := render(t, quiz, "qti21", opts)
		title, got, docs := readQTI21(t, f)
		if title != quiz.Title {
			t.Errorf("title = %q", title)
		}
		checkParsed(t, "qti21", got, want(quiz, opts, expectation{points: true, feedback: true, essayAnswers: true}))
		for _, d := range docs {
			if !opts.IncludeFeedback && d.RP != nil && d.RP.Template != mapResponseTmpl && d.Body.Choice != nil && d.Body.Choice.Choices[0].ID != "true" {
				t.Errorf("item %s: responseProcessing template %q", d.Identifier, d.RP.Template)
			}
		}
	}
}

func TestQTI21ShuffleFlag(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "qti21", quizflow.ExportOptions{ShuffleAnswers: true})
	_, got, docs := readQTI21(t, f)
	checkParsed(t, "qti21", got, want(quiz, quizflow.ExportOptions{}, expectation{points: true, essayAnswers: true}))
	var flags []string
	for _, d := range docs {
		if d.Body.Choice != nil {
			flags = append(flags, d.Body.Choice.Shuffle)
		}
		if d.Body.Match != nil {
			flags = append(flags, d.Body.Match.Shuffle)
		}
	}
	sort.Strings(flags)
	if len(flags) == 0 || flags[0] != "true" || flags[len(flags)-1] != "true" {
		t.Errorf("shuffle flags = %v, want all true", flags)
	}
}
