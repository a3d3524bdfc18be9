package export

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

type qti12Mat struct {
	TextType string `xml:"texttype,attr"`
	Text     string `xml:",chardata"`
}

type qti12Label struct {
	Ident string     `xml:"ident,attr"`
	Mat   []qti12Mat `xml:"material>mattext"`
}

type qti12Cond struct {
	Continue string `xml:"continue,attr"`
	Var      struct {
		Equal []struct {
			Resp  string `xml:"respident,attr"`
			Value string `xml:",chardata"`
		} `xml:"varequal"`
		And struct {
			Equal []struct {
				Value string `xml:",chardata"`
			} `xml:"varequal"`
			Not []struct {
				Value string `xml:"varequal"`
			} `xml:"not"`
		} `xml:"and"`
	} `xml:"conditionvar"`
	SetVar []struct {
		Action string `xml:"action,attr"`
		Value  string `xml:",chardata"`
	} `xml:"setvar"`
}

type qti12Item struct {
	Ident  string `xml:"ident,attr"`
	Fields []struct {
		Label string `xml:"fieldlabel"`
		Entry string `xml:"fieldentry"`
	} `xml:"itemmetadata>qtimetadata>qtimetadatafield"`
	Presentation struct {
		Mat  []qti12Mat `xml:"material>mattext"`
		Lids []struct {
			Ident  string     `xml:"ident,attr"`
			Mat    []qti12Mat `xml:"material>mattext"`
			Choice struct {
				Shuffle string       `xml:"shuffle,attr"`
				Labels  []qti12Label `xml:"response_label"`
			} `xml:"render_choice"`
		} `xml:"response_lid"`
	} `xml:"presentation"`
	Conds    []qti12Cond `xml:"resprocessing>respcondition"`
	Feedback []qti12Mat  `xml:"itemfeedback>flow_mat>material>mattext"`
}

// readQTI12 parses a Canvas QTI 1.2 assessment the way Canvas's importer
// reads its own exports.
func readQTI12(t *testing.T, data []byte) (title string, out []parsed, items []qti12Item) {
	t.Helper()
	var doc struct {
		Assessment struct {
			Title string      `xml:"title,attr"`
			Items []qti12Item `xml:"section>item"`
		} `xml:"assessment"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("qti12: %v", err)
	}
	types := map[string]string{}
	for k, v := range canvasType {
		types[v] = k
	}
	html := func(m []qti12Mat) string {
		if len(m) != 1 || m[0].TextType != "text/html" {
			t.Fatalf("qti12: want one text/html mattext, got %+v", m)
		}
		return fromHTML(m[0].Text)
	}
	plain := func(m []qti12Mat) string {
		if len(m) != 1 || m[0].TextType != "text/plain" {
			t.Fatalf("qti12: want one text/plain mattext, got %+v", m)
		}
		return m[0].Text
	}
	for _, it := range doc.Assessment.Items {
		meta := map[string]string{}
		for _, f := range it.Fields {
			meta[f.Label] = f.Entry
		}
		for _, need := range []string{"question_type", "points_possible", "original_answer_ids", "assessment_question_identifierref"} {
			if _, ok := meta[need]; !ok {
				t.Errorf("qti12: item %s has no %s", it.Ident, need)
			}
		}
		p := parsed{Type: types[meta["question_type"]], Points: meta["points_possible"]}
		p.Prompt = html(it.Presentation.Mat)
		if len(it.Feedback) == 1 && it.Feedback[0].TextType == "text/plain" {
			// One line, written as text so Canvas keeps tag-like characters.
			p.Feedback = plain(it.Feedback)
			if strings.Contains(p.Feedback, "\n") {
				t.Errorf("qti12: feedback of several lines as text/plain")
			}
		} else if len(it.Feedback) > 0 {
			p.Feedback = html(it.Feedback)
		}
		// Scoring conditions, skipping the feedback one.
		var conds []qti12Cond
		for _, c := range it.Conds {
			if len(c.SetVar) > 0 {
				conds = append(conds, c)
			}
		}
		switch p.Type {
		case quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.MultipleAnswer:
			correct := map[string]bool{}
			if p.Type == quizflow.MultipleAnswer {
				for _, e := range conds[0].Var.And.Equal {
					correct[e.Value] = true
				}
			} else {
				correct[conds[0].Var.Equal[0].Value] = true
			}
			for _, l := range it.Presentation.Lids[0].Choice.Labels {
				p.Options = append(p.Options, parsedOption{plain(l.Mat), correct[l.Ident]})
			}
		case quizflow.ShortAnswer:
			for _, e := range conds[0].Var.Equal {
				p.Answers = append(p.Answers, e.Value)
			}
		case quizflow.FillInBlank:
			if !strings.Contains(p.Prompt, "[blank1]") {
				t.Errorf("qti12: no [blank1] in %q", p.Prompt)
			}
			p.Prompt = strings.Replace(p.Prompt, "[blank1]", quizflow.BlankMarker, 1)
			for _, l := range it.Presentation.Lids[0].Choice.Labels {
				p.Answers = append(p.Answers, plain(l.Mat))
			}
		case quizflow.Matching:
			for i, lid := range it.Presentation.Lids {
				var right string
				for _, l := range lid.Choice.Labels {
					if l.Ident == conds[i].Var.Equal[0].Value && conds[i].Var.Equal[0].Resp == lid.Ident {
						right = plain(l.Mat)
					}
				}
				if conds[i].SetVar[0].Action != "Add" {
					t.Errorf("qti12: matching setvar action %q, want Add", conds[i].SetVar[0].Action)
				}
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: plain(lid.Mat), Right: right})
			}
		case quizflow.Essay:
		default:
			t.Fatalf("qti12: unknown question_type %q", meta["question_type"])
		}
		out = append(out, p)
	}
	return doc.Assessment.Title, out, doc.Assessment.Items
}

// qti12Files returns the package's files and the assessment's name.
func qti12Files(t *testing.T, f *File) (map[string][]byte, string) {
	t.Helper()
	files := unzip(t, f.Data)
	var assessment string
	for n := range files {
		dir, base, ok := strings.Cut(n, "/")
		if ok && base == dir+".xml" {
			assessment = n
		}
	}
	if assessment == "" {
		t.Fatalf("qti12: no <ident>/<ident>.xml in %v", sortedKeys(files))
	}
	dir, _, _ := strings.Cut(assessment, "/")
	for _, n := range []string{"imsmanifest.xml", dir + "/assessment_meta.xml"} {
		if files[n] == nil {
			t.Fatalf("qti12: no %s in %v", n, sortedKeys(files))
		}
	}
	if len(files) != 3 {
		t.Errorf("qti12: files %v, want 3", sortedKeys(files))
	}
	return files, assessment
}

func TestQTI12ParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "qti12-canvas", parseBackOptions)
	files, assessment := qti12Files(t, f)
	title, got, _ := readQTI12(t, files[assessment])
	if title != quiz.Title {
		t.Errorf("title = %q", title)
	}
	checkParsed(t, "qti12-canvas", got, want(quiz, parseBackOptions, expectation{points: true, feedback: true}))
	// Canvas reads true/false only when the answers are exactly True, False.
	if !strings.Contains(string(files[assessment]), `<mattext texttype="text/plain">True</mattext>`) {
		t.Error("true/false answers are not exactly True")
	}
	var manifest struct {
		Resources []struct {
			Identifier string `xml:"identifier,attr"`
			Type       string `xml:"type,attr"`
			Files      []struct {
				Href string `xml:"href,attr"`
			} `xml:"file"`
			Deps []struct {
				Ref string `xml:"identifierref,attr"`
			} `xml:"dependency"`
		} `xml:"resources>resource"`
	}
	if err := xml.Unmarshal(files["imsmanifest.xml"], &manifest); err != nil {
		t.Fatal(err)
	}
	hrefs := map[string]bool{}
	for _, r := range manifest.Resources {
		for _, fl := range r.Files {
			hrefs[fl.Href] = true
		}
	}
	for n := range files {
		if n != "imsmanifest.xml" && !hrefs[n] {
			t.Errorf("manifest does not list %s", n)
		}
	}
	if manifest.Resources[0].Type != "imsqti_xmlv1p2" || manifest.Resources[0].Deps[0].Ref != manifest.Resources[1].Identifier {
		t.Errorf("manifest resources = %+v", manifest.Resources)
	}
}

func TestQTI12ShuffleFlag(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "qti12-canvas", quizflow.ExportOptions{ShuffleAnswers: true})
	files, assessment := qti12Files(t, f)
	_, got, items := readQTI12(t, files[assessment])
	// Options stay in authored order; the flag asks Canvas to shuffle.
	checkParsed(t, "qti12-canvas", got, want(quiz, quizflow.ExportOptions{}, expectation{points: true}))
	for _, it := range items {
		for _, lid := range it.Presentation.Lids {
			if lid.Choice.Shuffle != "" && lid.Choice.Shuffle != "Yes" {
				t.Errorf("item %s: shuffle=%q", it.Ident, lid.Choice.Shuffle)
			}
		}
	}
	dir, _, _ := strings.Cut(assessment, "/")
	if !strings.Contains(string(files[dir+"/assessment_meta.xml"]), "<shuffle_answers>true</shuffle_answers>") {
		t.Error("assessment_meta.xml does not set shuffle_answers")
	}
}
