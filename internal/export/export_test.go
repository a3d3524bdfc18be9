package export

import (
	"archive/zip"
	"bytes"
	"errors"
	"sort"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestFormats(t *testing.T) {
	formats := Formats()
	var names []string
	for _, f := range formats {
		names = append(names, f.Name)
		if f.Title == "" || f.Description == "" || !strings.HasPrefix(f.Extension, ".") || f.ContentType == "" || len(f.QuestionTypes) == 0 {
			t.Errorf("format %s is incomplete: %+v", f.Name, f)
		}
		got, ok := Lookup(f.Name)
		if !ok || got.Name != f.Name {
			t.Errorf("Lookup(%q) = %+v, %v", f.Name, got, ok)
		}
	}
	want := []string{"aiken", "blackboard-tsv", "brightspace-csv", "csv", "gift", "html", "kahoot-xlsx", "moodle-xml", "qti12-canvas", "qti21", "quizizz-xlsx"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Errorf("formats = %v, want %v", names, want)
	}
	if _, ok := Lookup("docx"); ok {
		t.Error("Lookup(docx) found a format")
	}
	// Callers cannot change the registry through the returned slices.
	formats[0].QuestionTypes[0] = "changed"
	if f, _ := Lookup(formats[0].Name); f.QuestionTypes[0] == "changed" {
		t.Error("Formats shares QuestionTypes with the registry")
	}
}

func TestRenderErrors(t *testing.T) {
	quiz := fixture(t)
	_, err := Render(quiz, "kahoot", quizflow.ExportOptions{})
	var e *quizflow.Error
	if !errors.As(err, &e) || e.Code != quizflow.EINVALID || e.Field != "format" || !strings.Contains(e.Message, "qti21") {
		t.Errorf("unknown format: err = %v", err)
	}
	if _, err := Render(nil, "csv", quizflow.ExportOptions{}); quizflow.ErrorCode(err) != quizflow.EINVALID {
		t.Errorf("nil quiz: err = %v", err)
	}
	empty := &quizflow.Quiz{ID: "e", Title: "Empty"}
	for _, f := range Formats() {
		if _, err := Render(empty, f.Name, quizflow.ExportOptions{}); quizflow.ErrorCode(err) != quizflow.EINVALID ||
			!strings.Contains(quizflow.ErrorMessage(err), "this quiz has no questions that") {
			t.Errorf("%s, empty quiz: err = %v", f.Name, err)
		}
	}
}

// TestMalformedQuestionsLeftOut: a question that no format can render
// correctly is left out with its reason, never written half-right.
func TestMalformedQuestionsLeftOut(t *testing.T) {
	quiz := &quizflow.Quiz{ID: "m", Title: "Broken", Questions: []quizflow.Question{
		{ID: "ok", Type: quizflow.MultipleChoice, Prompt: "Fine?", Options: []quizflow.Option{{Text: "yes", Correct: true}, {Text: "no"}}},
		{ID: "none", Type: quizflow.MultipleChoice, Prompt: "None right?", Options: []quizflow.Option{{Text: "a"}, {Text: "b"}}},
		{ID: "two", Type: quizflow.MultipleChoice, Prompt: "Two right?", Options: []quizflow.Option{{Text: "a", Correct: true}, {Text: "b", Correct: true}}},
		{ID: "tf", Type: quizflow.TrueFalse, Prompt: "Maybe?", Options: []quizflow.Option{{Text: "Maybe", Correct: true}}},
		{ID: "blank", Type: quizflow.FillInBlank, Prompt: "No blank here", Answers: []string{"x"}},
		{ID: "short", Type: quizflow.ShortAnswer, Prompt: "Say?", Answers: []string{" "}},
		{ID: "pairs", Type: quizflow.Matching, Prompt: "Match", Pairs: []quizflow.Pair{{Left: "a", Right: "1"}}},
		{ID: "what", Type: "ranking", Prompt: "Rank"},
	}}
	for _, format := range Formats() {
		f := render(t, quiz, format.Name, quizflow.ExportOptions{})
		for _, w := range [][]string{
			{"question 2 (multiple_choice) left out: no option is marked correct"},
			{"question 3 (multiple_choice) left out: 2 options are marked correct"},
			{"question 4 (true_false) left out"},
			{"question 5 (fill_in_blank) left out: its prompt holds 0 blanks"},
			{"question 6 (short_answer) left out: it has no accepted answer"},
			{"question 7 (matching) left out: it has fewer than two pairs"},
			{"question 8 (ranking) left out: unknown question type"},
		} {
			if !hasWarning(f.Warnings, w...) {
				t.Errorf("%s: no warning %q in %q", format.Name, w, f.Warnings)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	quiz := fixture(t)
	for _, format := range Formats() {
		for _, opts := range []quizflow.ExportOptions{{}, goldenOptions} {
			a := render(t, quiz, format.Name, opts)
			b := render(t, quiz, format.Name, opts)
			if !bytes.Equal(a.Data, b.Data) {
				t.Errorf("%s %+v: two renders differ", format.Name, opts)
			}
			if format.Extension != ".zip" {
				continue
			}
			zr, err := zip.NewReader(bytes.NewReader(a.Data), int64(len(a.Data)))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range zr.File {
				if !e.Modified.Equal(zipEpoch) {
					t.Errorf("%s: %s modified %v, want %v", format.Name, e.Name, e.Modified, zipEpoch)
				}
			}
		}
	}
}

// TestShuffleInFile: formats without an LMS shuffle flag reorder the
// choices in the file, the same way on every render of a quiz version,
// and keep which choices are correct.
func TestShuffleInFile(t *testing.T) {
	quiz := fixture(t)
	opts := quizflow.ExportOptions{ShuffleAnswers: true, IncludeFeedback: true}
	readers := map[string]func(*testing.T, []byte) []parsed{
		"csv":            readCSV,
		"aiken":          readAiken,
		"blackboard-tsv": readBlackboard,
		"gift":           func(t *testing.T, b []byte) []parsed { _, p := readGIFT(t, b); return p },
		"html":           func(t *testing.T, b []byte) []parsed { _, p := readHTML(t, b); return p },
	}
	for name, read := range readers {
		plain := read(t, render(t, quiz, name, quizflow.ExportOptions{IncludeFeedback: true}).Data)
		shuffled := read(t, render(t, quiz, name, opts).Data)
		if len(plain) != len(shuffled) {
			t.Fatalf("%s: %d vs %d questions", name, len(plain), len(shuffled))
		}
		moved := 0
		for i := range plain {
			a, b := plain[i].Options, shuffled[i].Options
			if len(a) != len(b) {
				t.Fatalf("%s question %d: %d vs %d options", name, i+1, len(a), len(b))
			}
			if !sameSet(a, b) {
				t.Errorf("%s question %d: shuffled options %v are not a reordering of %v", name, i+1, b, a)
			}
			for j := range a {
				if a[j] != b[j] {
					moved++
					break
				}
			}
		}
		if moved == 0 {
			t.Errorf("%s: ShuffleAnswers moved no options", name)
		}
	}
	// Another version of the quiz may shuffle differently, but the same
	// version never does.
	v2 := *quiz
	v2.Version++
	a := render(t, &v2, "csv", opts)
	b := render(t, &v2, "csv", opts)
	if !bytes.Equal(a.Data, b.Data) {
		t.Error("same version shuffled differently")
	}
}

func sameSet(a, b []parsedOption) bool {
	key := func(o []parsedOption) string {
		var s []string
		for _, x := range o {
			s = append(s, x.Text+"|"+map[bool]string{true: "1", false: "0"}[x.Correct])
		}
		sort.Strings(s)
		return strings.Join(s, "\n")
	}
	return key(a) == key(b)
}

func TestControlCharactersStripped(t *testing.T) {
	quiz := fixture(t)
	for _, format := range Formats() {
		f := render(t, quiz, format.Name, quizflow.ExportOptions{})
		data := f.Data
		if format.Extension == ".zip" || format.Extension == ".xlsx" {
			var all []byte
			for _, b := range unzip(t, f.Data) {
				all = append(all, b...)
			}
			data = all
		}
		if bytes.ContainsAny(data, "\x01\x08") {
			t.Errorf("%s: control characters written", format.Name)
		}
		if !hasWarning(f.Warnings, "question 8: removed 2 control character(s)") {
			t.Errorf("%s: warnings %q", format.Name, f.Warnings)
		}
	}
}

func TestPoints(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "moodle-xml", quizflow.ExportOptions{PointsPerQuestion: 2.5})
	_, got, _ := readMoodle(t, f.Data)
	// Question 1 has its own 2 points, question 7 its own 5.
	for i, want := range []string{"2", "2.5", "2.5", "2.5", "2.5", "2.5", "5", "2.5", "2.5"} {
		if got[i].Points != want {
			t.Errorf("question %d: %s points, want %s", i+1, got[i].Points, want)
		}
	}
}

func TestFileName(t *testing.T) {
	for title, want := range map[string]string{
		"Photosynthesis Quiz":             "photosynthesis-quiz.zip",
		"  Naïve Café: <b>Œuvres</b> №5 ": "naive-cafe-b-oeuvres-b-5.zip",
		"日本語":                             "quiz.zip",
		"../../etc/passwd":                "etc-passwd.zip",
		strings.Repeat("long title ", 20): strings.TrimRight(strings.Repeat("long-title-", 8)[:80], "-") + ".zip",
	} {
		if got := fileName(title, ".zip"); got != want {
			t.Errorf("fileName(%q) = %q, want %q", title, got, want)
		}
	}
}

func TestCleanText(t *testing.T) {
	for in, want := range map[string]string{
		"a\x00b\x08c\x0bd": "abcd",
		"tab\tnl\ncr\r\n":  "tab\tnl\ncr\n",
		"ok ∑ 日本語":         "ok ∑ 日本語",
		"bad\xffutf8":      "bad\uFFFDutf8",
		"nonchar\uFFFE":    "nonchar",
	} {
		if got, _ := cleanText(in); got != want {
			t.Errorf("cleanText(%q) = %q, want %q", in, got, want)
		}
	}
}
