package qcheck_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func opts(texts ...string) []quizflow.Option {
	o := make([]quizflow.Option, len(texts))
	for i, t := range texts {
		correct := strings.HasPrefix(t, "*")
		o[i] = quizflow.Option{ID: qcheck.OptionID(i), Text: strings.TrimPrefix(t, "*"), Correct: correct}
	}
	return o
}

func mc(texts ...string) quizflow.Question {
	return quizflow.Question{Type: quizflow.MultipleChoice, Prompt: "Which gas do plants take in?", Options: opts(texts...)}
}

func TestValidate(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) }
	with := func(q quizflow.Question, f func(*quizflow.Question)) quizflow.Question {
		q.Options = append([]quizflow.Option(nil), q.Options...)
		f(&q)
		return q
	}
	ma := func(texts ...string) quizflow.Question {
		return quizflow.Question{Type: quizflow.MultipleAnswer, Prompt: "Which are gases?", Options: opts(texts...)}
	}
	tf := func(texts ...string) quizflow.Question {
		return quizflow.Question{Type: quizflow.TrueFalse, Prompt: "Plants take in oxygen.", Options: opts(texts...)}
	}
	fib := func(prompt string, answers ...string) quizflow.Question {
		return quizflow.Question{Type: quizflow.FillInBlank, Prompt: prompt, Answers: answers}
	}
	sa := func(answers ...string) quizflow.Question {
		return quizflow.Question{Type: quizflow.ShortAnswer, Prompt: "Name the green pigment.", Answers: answers}
	}
	match := func(pairs ...string) quizflow.Question {
		q := quizflow.Question{Type: quizflow.Matching, Prompt: "Match the terms."}
		for i := 0; i+1 < len(pairs); i += 2 {
			q.Pairs = append(q.Pairs, quizflow.Pair{Left: pairs[i], Right: pairs[i+1]})
		}
		return q
	}
	essay := quizflow.Question{Type: quizflow.Essay, Prompt: "Discuss the role of light in photosynthesis."}
	goodMC := mc("Oxygen", "*Carbon dioxide", "Nitrogen", "Helium")

	tests := []struct {
		name  string
		q     quizflow.Question
		field string // "" means valid
	}{
		// multiple_choice
		{"mc valid 4", goodMC, ""},
		{"mc valid 3", mc("Oxygen", "*Carbon dioxide", "Nitrogen"), ""},
		{"mc valid 5", mc("Oxygen", "*Carbon dioxide", "Nitrogen", "Helium", "Argon"), ""},
		{"mc 2 options", mc("Oxygen", "*Carbon dioxide"), "options"},
		{"mc 6 options", mc("Oxygen", "*Carbon dioxide", "Nitrogen", "Helium", "Argon", "Neon"), "options"},
		{"mc no correct", mc("Oxygen", "Carbon dioxide", "Nitrogen"), "options"},
		{"mc two correct", mc("*Oxygen", "*Carbon dioxide", "Nitrogen"), "options"},
		{"mc duplicate texts", mc("Oxygen", "*Carbon dioxide", "  carbon-dioxide. "), "options[2].text"},
		{"mc empty option", mc("Oxygen", "*Carbon dioxide", "  "), "options[2].text"},
		{"mc long option", mc("Oxygen", "*Carbon dioxide", long(301)), "options[2].text"},
		{"mc option at limit", mc("Oxygen", "*Carbon dioxide", long(300)), ""},
		{"mc duplicate ids", with(goodMC, func(q *quizflow.Question) { q.Options[3].ID = "a" }), "options[3].id"},
		{"mc empty ids allowed", with(mc("Oxygen", "*Carbon dioxide", "Nitrogen"), func(q *quizflow.Question) {
			for i := range q.Options {
				q.Options[i].ID = ""
			}
		}), ""},
		// common fields
		{"no type", with(goodMC, func(q *quizflow.Question) { q.Type = "" }), "type"},
		{"unknown type", with(goodMC, func(q *quizflow.Question) { q.Type = "ranking" }), "type"},
		{"empty prompt", with(goodMC, func(q *quizflow.Question) { q.Prompt = " \n" }), "prompt"},
		{"long prompt", with(goodMC, func(q *quizflow.Question) { q.Prompt = long(1001) }), "prompt"},
		{"prompt at limit", with(goodMC, func(q *quizflow.Question) { q.Prompt = long(1000) }), ""},
		{"bad utf8", with(goodMC, func(q *quizflow.Question) { q.Prompt = "abc\xff" }), "prompt"},
		{"long explanation", with(goodMC, func(q *quizflow.Question) { q.Explanation = long(2001) }), "explanation"},
		{"blank explanation", with(goodMC, func(q *quizflow.Question) { q.Explanation = "  " }), "explanation"},
		{"long quote", with(goodMC, func(q *quizflow.Question) { q.Source.Quote = long(301) }), "source.quote"},
		{"negative page", with(goodMC, func(q *quizflow.Question) { q.Source.Page = -1 }), "source.page"},
		// multiple_answer
		{"ma valid", ma("*Oxygen", "*Nitrogen", "Water"), ""},
		{"ma valid 6", ma("*Oxygen", "*Nitrogen", "Water", "Salt", "*Argon", "Sand"), ""},
		{"ma one correct", ma("*Oxygen", "Sand", "Water"), "options"},
		{"ma all correct", ma("*Oxygen", "*Nitrogen", "*Argon"), "options"},
		{"ma 2 options", ma("*Oxygen", "Sand"), "options"},
		{"ma 7 options", ma("*Oxygen", "*Nitrogen", "Water", "Salt", "*Argon", "Sand", "Iron"), "options"},
		{"ma duplicate", ma("*Oxygen", "*Nitrogen", "OXYGEN"), "options[2].text"},
		// true_false
		{"tf valid", tf("True", "*False"), ""},
		{"tf valid reversed case", tf("*false", "TRUE"), ""},
		{"tf both correct", tf("*True", "*False"), "options"},
		{"tf none correct", tf("True", "False"), "options"},
		{"tf wrong texts", tf("*Yes", "No"), "options"},
		{"tf two trues", tf("*True", "True"), "options"},
		{"tf three options", tf("*True", "False", "Maybe"), "options"},
		// fill_in_blank
		{"fib valid", fib("Plants take in _____ from the air.", "carbon dioxide", "CO2"), ""},
		{"fib no blank", fib("Plants take in what from the air?", "carbon dioxide"), "prompt"},
		{"fib two blanks", fib("_____ take in _____.", "plants"), "prompt"},
		{"fib long blank", fib("Plants take in __________ from the air.", "carbon dioxide"), "prompt"},
		{"fib six underscores", fib("Plants take in ______ from the air.", "carbon dioxide"), "prompt"},
		{"fib no answers", fib("Plants take in _____ from the air."), "answers"},
		{"fib empty answer", fib("Plants take in _____ from the air.", " "), "answers[0]"},
		{"fib long answer", fib("Plants take in _____ from the air.", long(201)), "answers[0]"},
		{"fib answer with marker", fib("Plants take in _____ from the air.", "_____"), "answers[0]"},
		// short_answer
		{"sa valid", sa("chlorophyll"), ""},
		{"sa no answers", sa(), "answers"},
		{"sa empty answer", sa("chlorophyll", ""), "answers[1]"},
		// matching
		{"matching valid", match("Sun", "light", "Leaf", "chlorophyll"), ""},
		{"matching one pair", match("Sun", "light"), "pairs"},
		{"matching empty left", match("Sun", "light", " ", "chlorophyll"), "pairs[1].left"},
		{"matching empty right", match("Sun", "light", "Leaf", ""), "pairs[1].right"},
		{"matching duplicate left", match("Sun", "light", "sun", "chlorophyll"), "pairs[1].left"},
		{"matching duplicate right", match("Sun", "light", "Leaf", "Light!"), "pairs[1].right"},
		{"matching too many", match(strings.Split(strings.Repeat("x,", 42), ",")...), "pairs"},
		// essay
		{"essay valid", essay, ""},
		{"essay with long model answer", with(essay, func(q *quizflow.Question) { q.Answers = []string{long(1500)} }), ""},
		{"essay no prompt", with(essay, func(q *quizflow.Question) { q.Prompt = "" }), "prompt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := qcheck.Validate(tt.q)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			var e *quizflow.Error
			if !errors.As(err, &e) {
				t.Fatalf("Validate() = %v, want *quizflow.Error", err)
			}
			if e.Code != quizflow.EINVALID || e.Field != tt.field || e.Message == "" {
				t.Fatalf("Validate() = {%s %q %q}, want code %s field %q", e.Code, e.Field, e.Message, quizflow.EINVALID, tt.field)
			}
		})
	}
}
