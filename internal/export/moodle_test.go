package export

import (
	"encoding/xml"
	"html"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

type moodleText struct {
	Format string `xml:"format,attr"`
	Text   string `xml:"text"`
}

type moodleXMLQuestion struct {
	Type            string     `xml:"type,attr"`
	Name            string     `xml:"name>text"`
	Category        string     `xml:"category>text"`
	QuestionText    moodleText `xml:"questiontext"`
	GeneralFeedback moodleText `xml:"generalfeedback"`
	DefaultGrade    string     `xml:"defaultgrade"`
	Single          string     `xml:"single"`
	Shuffle         string     `xml:"shuffleanswers"`
	Answers         []struct {
		Fraction string `xml:"fraction,attr"`
		Format   string `xml:"format,attr"`
		Text     string `xml:"text"`
	} `xml:"answer"`
	Subquestions []struct {
		Text   string `xml:"text"`
		Answer string `xml:"answer>text"`
	} `xml:"subquestion"`
	GraderInfo moodleText `xml:"graderinfo"`
}

// readMoodle parses Moodle XML as Moodle's importer reads it: html-format
// text is HTML, short-answer and matching answers are plain.
func readMoodle(t *testing.T, data []byte) (category string, out []parsed, raw []moodleXMLQuestion) {
	t.Helper()
	var doc struct {
		Questions []moodleXMLQuestion `xml:"question"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("moodle xml: %v", err)
	}
	for _, q := range doc.Questions {
		if q.Type == "category" {
			category = q.Category
			continue
		}
		raw = append(raw, q)
		if q.QuestionText.Format != "html" || q.GeneralFeedback.Format != "html" {
			t.Errorf("moodle: text format %q/%q, want html", q.QuestionText.Format, q.GeneralFeedback.Format)
		}
		p := parsed{Prompt: fromHTML(q.QuestionText.Text), Feedback: fromHTML(q.GeneralFeedback.Text), Points: q.DefaultGrade}
		switch q.Type {
		case "multichoice":
			p.Type = quizflow.MultipleAnswer
			if q.Single == "true" {
				p.Type = quizflow.MultipleChoice
			}
			for _, a := range q.Answers {
				f, err := strconv.ParseFloat(a.Fraction, 64)
				if err != nil {
					t.Fatal(err)
				}
				p.Options = append(p.Options, parsedOption{fromHTML(a.Text), f > 0})
			}
		case "truefalse":
			for _, a := range q.Answers {
				p.Options = append(p.Options, parsedOption{strings.ToUpper(a.Text[:1]) + a.Text[1:], a.Fraction == "100"})
			}
			p.Type = quizflow.TrueFalse
		case "shortanswer":
			p.Type = quizflow.ShortAnswer
			if strings.Contains(p.Prompt, quizflow.BlankMarker) {
				p.Type = quizflow.FillInBlank
			}
			for _, a := range q.Answers {
				p.Answers = append(p.Answers, strings.ReplaceAll(a.Text, `\*`, "*"))
			}
		case "matching":
			p.Type = quizflow.Matching
			for _, s := range q.Subquestions {
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: fromHTML(s.Text), Right: s.Answer})
			}
		case "essay":
			p.Type = quizflow.Essay
			if q.GraderInfo.Text != "" {
				p.Answers = []string{fromHTML(q.GraderInfo.Text)}
			}
		default:
			t.Fatalf("moodle: unknown type %q", q.Type)
		}
		out = append(out, p)
	}
	return category, out, raw
}

func TestMoodleParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "moodle-xml", parseBackOptions)
	category, got, raw := readMoodle(t, f.Data)
	if want := "$course$/top/Photosynthesis & Naïve Café: <Special> \"Characters\" Quiz"; moodleShown(category) != want {
		t.Errorf("category shows as %q, want %q", moodleShown(category), want)
	}
	for _, q := range raw {
		if q.Type != "category" && strings.ContainsAny(q.Name, "<>") {
			t.Errorf("question name %q: Moodle strips its tag-like text", q.Name)
		}
	}
	if n := moodleShown(raw[2].Name); !strings.HasPrefix(n, "Q3 Is <b> a tag?") {
		t.Errorf("question 3's name shows as %q", n)
	}
	checkParsed(t, "moodle-xml", got, want(quiz, parseBackOptions, expectation{points: true, feedback: true, essayAnswers: true}))
}

func TestMoodleShuffleFlag(t *testing.T) {
	quiz := fixture(t)
	for _, shuffle := range []bool{false, true} {
		f := render(t, quiz, "moodle-xml", quizflow.ExportOptions{ShuffleAnswers: shuffle})
		_, got, raw := readMoodle(t, f.Data)
		checkParsed(t, "moodle-xml", got, want(quiz, quizflow.ExportOptions{}, expectation{points: true, essayAnswers: true}))
		for _, q := range raw {
			if q.Type == "multichoice" || q.Type == "matching" {
				if q.Shuffle != strconv.FormatBool(shuffle) {
					t.Errorf("shuffleanswers = %q with ShuffleAnswers %v", q.Shuffle, shuffle)
				}
			}
		}
	}
}

func TestMoodleWildcardEscaped(t *testing.T) {
	quiz := &quizflow.Quiz{ID: "w", Title: "Stars", Questions: []quizflow.Question{{
		ID: "s", Type: quizflow.ShortAnswer, Prompt: "Type 2*3", Answers: []string{"2*3"},
	}}}
	f := render(t, quiz, "moodle-xml", quizflow.ExportOptions{})
	if !strings.Contains(string(f.Data), `<text>2\*3</text>`) {
		t.Errorf("star not escaped:\n%s", f.Data)
	}
}

// moodleShown is a name as Moodle shows it after import: clean_param
// (PARAM_TEXT) strips tag-like text, format_string renders entities.
func moodleShown(s string) string {
	return html.UnescapeString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, ""))
}
