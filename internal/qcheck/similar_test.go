package qcheck_test

import (
	"testing"

	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestSimilarity(t *testing.T) {
	tests := []struct {
		a, b     string
		min, max float64
	}{
		{"What is photosynthesis?", "what is PHOTOSYNTHESIS", 1, 1},
		{"", "", 1, 1},
		{"abc", "", 0, 0},
		{"Which process converts light energy into chemical energy?", "Which process converts light energy to chemical energy?", 0.8, 1},
		{"Which gas do plants release during photosynthesis?", "Which gas do plants absorb during photosynthesis?", 0.6, 0.9},
		{"What is the capital of France?", "How many legs does a spider have?", 0, 0.25},
		{"光合作用是什么过程", "光合作用是什么", 0.7, 1},
	}
	for _, tt := range tests {
		got := qcheck.Similarity(tt.a, tt.b)
		if got < tt.min || got > tt.max {
			t.Errorf("Similarity(%q, %q) = %.3f, want in [%.2f, %.2f]", tt.a, tt.b, got, tt.min, tt.max)
		}
		if rev := qcheck.Similarity(tt.b, tt.a); rev != got {
			t.Errorf("Similarity not symmetric: %.3f vs %.3f", got, rev)
		}
	}
}

func TestIsDuplicate(t *testing.T) {
	q := func(typ, prompt string, answer string) quizflow.Question {
		switch typ {
		case quizflow.MultipleChoice:
			return quizflow.Question{Type: typ, Prompt: prompt, Options: opts("*"+answer, "Helium", "Neon")}
		case quizflow.TrueFalse:
			return quizflow.Question{Type: typ, Prompt: prompt, Options: opts("*True", "False")}
		default:
			return quizflow.Question{Type: typ, Prompt: prompt, Answers: []string{answer}}
		}
	}
	tests := []struct {
		name string
		a, b quizflow.Question
		want bool
	}{
		{"same prompt different types",
			q(quizflow.MultipleChoice, "Which gas do plants take in?", "Carbon dioxide"),
			q(quizflow.ShortAnswer, "Which gas do plants take in?", "CO2"), true},
		{"reworded prompt",
			q(quizflow.MultipleChoice, "Which process converts light energy into chemical energy?", "Photosynthesis"),
			q(quizflow.MultipleChoice, "Which process converts light energy to chemical energy?", "Respiration"), true},
		{"similar prompt same answer",
			q(quizflow.FillInBlank, "Plants absorb _____ from the air through their leaves.", "carbon dioxide"),
			q(quizflow.FillInBlank, "Plants release _____ into the air through their leaves.", "Carbon-Dioxide"), true},
		{"reordered sentence",
			q(quizflow.FillInBlank, "Plants absorb _____ from the air through their leaves.", "carbon dioxide"),
			q(quizflow.FillInBlank, "Through their leaves, plants take _____ from the air.", "oxygen"), true},
		{"similar prompt different answer",
			q(quizflow.FillInBlank, "Plants absorb _____ from the air through their leaves.", "carbon dioxide"),
			q(quizflow.FillInBlank, "Plants release _____ into the air through their leaves.", "oxygen"), false},
		{"same answer different type",
			q(quizflow.FillInBlank, "Plants absorb _____ from the air through their leaves.", "carbon dioxide"),
			q(quizflow.ShortAnswer, "Plants release _____ into the air through their leaves.", "carbon dioxide"), false},
		{"true_false different statements",
			q(quizflow.TrueFalse, "Water evaporates from oceans and lakes.", ""),
			q(quizflow.TrueFalse, "Water condenses into clouds over lakes.", ""), false},
		{"unrelated",
			q(quizflow.MultipleChoice, "Which gas do plants take in?", "Carbon dioxide"),
			q(quizflow.MultipleChoice, "Where does evaporation mostly happen?", "Carbon dioxide"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := qcheck.IsDuplicate(tt.a, tt.b); got != tt.want {
				t.Errorf("IsDuplicate() = %v, want %v (similarity %.3f)", got, tt.want, qcheck.Similarity(tt.a.Prompt, tt.b.Prompt))
			}
			if got := qcheck.IsDuplicate(tt.b, tt.a); got != tt.want {
				t.Errorf("IsDuplicate(b, a) = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDedupeOptions(t *testing.T) {
	q := mc("Oxygen", "*Carbon dioxide", "oxygen!", "Nitrogen", "carbon-dioxide")
	if n := qcheck.DedupeOptions(&q); n != 2 {
		t.Fatalf("DedupeOptions removed %d, want 2", n)
	}
	want := []string{"Oxygen", "Carbon dioxide", "Nitrogen"}
	if len(q.Options) != len(want) {
		t.Fatalf("options = %+v", q.Options)
	}
	for i, o := range q.Options {
		if o.Text != want[i] || o.Correct != (i == 1) {
			t.Errorf("option %d = %+v, want %q correct=%v", i, o, want[i], i == 1)
		}
	}

	// A correct duplicate of an incorrect option keeps the text correct.
	q = mc("Oxygen", "Nitrogen", "*OXYGEN", "Helium")
	qcheck.DedupeOptions(&q)
	if len(q.Options) != 3 || !q.Options[0].Correct {
		t.Errorf("options = %+v, want Oxygen kept as correct", q.Options)
	}
	if err := qcheck.Validate(q); err != nil {
		t.Errorf("Validate after dedupe: %v", err)
	}

	q = mc("Oxygen", "*Carbon dioxide", "Nitrogen")
	if n := qcheck.DedupeOptions(&q); n != 0 || len(q.Options) != 3 {
		t.Errorf("DedupeOptions on distinct options removed %d", n)
	}
}
