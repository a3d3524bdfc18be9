package scoring

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/quizflow/quizflow/internal/quizflow"
)

func opts(correct ...bool) []quizflow.Option {
	out := make([]quizflow.Option, len(correct))
	for i, c := range correct {
		out[i] = quizflow.Option{ID: string(rune('a' + i)), Text: "option " + string(rune('A'+i)), Correct: c}
	}
	return out
}

var questions = []quizflow.Question{
	{ID: "mc", Type: quizflow.MultipleChoice, Options: opts(false, true, false), Explanation: "b it is"},
	{ID: "tf", Type: quizflow.TrueFalse, Options: []quizflow.Option{{ID: "t", Text: "True", Correct: true}, {ID: "f", Text: "False"}}},
	{ID: "ma", Type: quizflow.MultipleAnswer, Options: opts(true, true, false, true), Points: 3},
	{ID: "m", Type: quizflow.Matching, Pairs: []quizflow.Pair{{Left: "1", Right: "one"}, {Left: "2", Right: "two"}, {Left: "3", Right: "three"}, {Left: "4", Right: "four"}}, Points: 2},
	{ID: "sa", Type: quizflow.ShortAnswer, Answers: []string{"Mitochondria", "the  Mitochondrion"}},
	{ID: "fb", Type: quizflow.FillInBlank, Prompt: "Water boils at _____ °C.", Answers: []string{"100"}},
	{ID: "es", Type: quizflow.Essay, Answers: []string{"A model answer"}},
}

func byID(id string) quizflow.Question {
	for _, q := range questions {
		if q.ID == id {
			return q
		}
	}
	panic(id)
}

// TestScoreOne: every type's rule, one answer at a time.
func TestScoreOne(t *testing.T) {
	for _, tc := range []struct {
		name, q, answer string
		score           float64
		correct         bool
		status          string
	}{
		{"single choice right", "mc", `"b"`, 1, true, "graded"},
		{"single choice wrong", "mc", `"a"`, 0, false, "graded"},
		{"unanswered", "mc", `null`, 0, false, "graded"},
		{"true/false right", "tf", `"t"`, 1, true, "graded"},
		{"true/false wrong", "tf", `"f"`, 0, false, "graded"},
		{"multiple answer all", "ma", `["a","b","d"]`, 3, true, "graded"},
		{"multiple answer two of three", "ma", `["a","d"]`, 2, false, "graded"},
		{"multiple answer two right one wrong", "ma", `["a","b","c"]`, 1, false, "graded"},
		{"multiple answer floored at 0", "ma", `["c","a"]`, 0, false, "graded"},
		{"multiple answer none", "ma", `[]`, 0, false, "graded"},
		{"matching all", "m", `["one","two","three","four"]`, 2, true, "graded"},
		{"matching half", "m", `["one","three","two","four"]`, 1, false, "graded"},
		{"matching with gaps", "m", `["one",null,"",""]`, 0.5, false, "graded"},
		{"short answer case and spaces", "sa", `"  mitochondria "`, 1, true, "graded"},
		{"short answer inner whitespace", "sa", `"THE mitochondrion"`, 1, true, "graded"},
		{"short answer NFKC (fullwidth)", "sa", `"ＭＩＴＯＣＨＯＮＤＲＩＡ"`, 1, true, "graded"},
		{"short answer wrong", "sa", `"ribosome"`, 0, false, "graded"},
		{"short answer empty", "sa", `""`, 0, false, "graded"},
		{"fill in the blank", "fb", `"100"`, 1, true, "graded"},
		{"fill in the blank NFKC digits", "fb", `"１００"`, 1, true, "graded"},
		{"essay pending", "es", `"My long essay"`, 0, false, "pending_review"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := scoreOne(byID(tc.q), json.RawMessage(tc.answer))
			if err != nil {
				t.Fatal(err)
			}
			if r.Score != tc.score || r.Correct != tc.correct || r.Status != tc.status {
				t.Errorf("score %v correct %v status %s; want %v %v %s", r.Score, r.Correct, r.Status, tc.score, tc.correct, tc.status)
			}
			if r.MaxScore != Points(byID(tc.q)) {
				t.Errorf("max_score %v", r.MaxScore)
			}
		})
	}
}

// TestScoreRefusesBadAnswers: the shapes, IDs and sizes that are refused,
// each naming the answer's field.
func TestScoreRefusesBadAnswers(t *testing.T) {
	long := `"` + strings.Repeat("x", MaxTextRunes+1) + `"`
	many := `[` + strings.TrimSuffix(strings.Repeat(`"a",`, MaxListItems+1), ",") + `]`
	for _, tc := range []struct {
		name, answers, field, msg string
	}{
		{"unknown question", `{"nope":"a"}`, "answers.nope", "no question"},
		{"list for a single choice", `{"mc":["b"]}`, "answers.mc", "option's id"},
		{"unknown option", `{"mc":"z"}`, "answers.mc", "not an option"},
		{"string for multiple answer", `{"ma":"a"}`, "answers.ma", "list"},
		{"duplicate option", `{"ma":["a","a"]}`, "answers.ma", "twice"},
		{"null option", `{"ma":["a",null]}`, "answers.ma", "no null"},
		{"too many items", `{"ma":` + many + `}`, "answers.ma", "more than"},
		{"matching of the wrong length", `{"m":["one"]}`, "answers.m", "4 items"},
		{"matching an unknown item", `{"m":["one","two","three","five"]}`, "answers.m", "not one of the right items"},
		{"number for text", `{"sa":42}`, "answers.sa", "string"},
		{"text too long", `{"es":` + long + `}`, "answers.es", "longer than"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var a map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tc.answers), &a); err != nil {
				t.Fatal(err)
			}
			_, err := Score(questions, a)
			var qe *quizflow.Error
			if !asError(err, &qe) || qe.Code != quizflow.EINVALID || qe.Field != tc.field || !strings.Contains(qe.Message, tc.msg) {
				t.Errorf("err = %#v, want invalid %s mentioning %q", err, tc.field, tc.msg)
			}
		})
	}
	over := map[string]json.RawMessage{}
	for i := range MaxAnswers + 1 {
		over[strings.Repeat("q", i+1)] = json.RawMessage(`"x"`)
	}
	if _, err := Score(questions, over); quizflow.ErrorCode(err) != quizflow.EINVALID {
		t.Errorf("%d answers: %v", len(over), err)
	}
}

func asError(err error, target **quizflow.Error) bool {
	e, ok := err.(*quizflow.Error)
	*target = e
	return ok
}

// TestScoreTotals: the sum over every question, and the correct answers
// shaped per type.
func TestScoreTotals(t *testing.T) {
	a := map[string]json.RawMessage{"mc": json.RawMessage(`"b"`), "ma": json.RawMessage(`["a","d"]`),
		"m": json.RawMessage(`["one","three","two","four"]`), "sa": json.RawMessage(`"mitochondria"`)}
	s, err := Score(questions, a)
	if err != nil {
		t.Fatal(err)
	}
	if s.Score != 5 || s.MaxScore != 10 || len(s.Results) != len(questions) {
		t.Fatalf("score %v / %v, %d results", s.Score, s.MaxScore, len(s.Results))
	}
	got := map[string]any{}
	for _, r := range s.Results {
		got[r.QuestionID] = r.CorrectAnswer
	}
	want := map[string]any{"mc": "b", "tf": "t", "ma": []string{"a", "b", "d"},
		"m": []string{"one", "two", "three", "four"}, "sa": []string{"Mitochondria", "the  Mitochondrion"},
		"fb": []string{"100"}, "es": []string{"A model answer"}}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("correct answers (-want +got):\n%s", d)
	}
	if s.Results[0].Explanation != "b it is" || s.Results[1].Answer != nil {
		t.Errorf("explanation %q, unanswered answer %v", s.Results[0].Explanation, s.Results[1].Answer)
	}
}

// TestRedact: nothing of the answers reaches a share link.
func TestRedact(t *testing.T) {
	q := &quizflow.Quiz{Title: "Cells", Language: "en", Questions: questions}
	for i := range q.Questions {
		q.Questions[i].Source = quizflow.Source{Page: 3, Quote: "secret quote"}
	}
	s := Redact(q, "tok")
	b, _ := json.Marshal(s)
	for _, leak := range []string{"correct", "Mitochondria", "100\"", "model answer", "secret quote", "b it is", "explanation", "answers"} {
		if strings.Contains(strings.ToLower(string(b)), strings.ToLower(leak)) {
			t.Errorf("shared quiz leaks %q: %s", leak, b)
		}
	}
	if s.MaxScore != 10 || len(s.Questions) != len(questions) {
		t.Errorf("max_score %v, %d questions", s.MaxScore, len(s.Questions))
	}
	m := s.Questions[3]
	if d := cmp.Diff([]string{"1", "2", "3", "4"}, m.Left); d != "" {
		t.Errorf("left (-want +got):\n%s", d)
	}
	if cmp.Equal([]string{"one", "two", "three", "four"}, m.Right) {
		t.Errorf("right items not shuffled: %v", m.Right)
	}
	if again := Redact(q, "tok"); !cmp.Equal(again.Questions[3].Right, m.Right) {
		t.Errorf("the shuffle changes between loads of one link: %v, %v", m.Right, again.Questions[3].Right)
	}
	if len(s.Questions[0].Options) != 3 || s.Questions[0].Options[1].Text != "option B" {
		t.Errorf("options: %+v", s.Questions[0].Options)
	}
}
