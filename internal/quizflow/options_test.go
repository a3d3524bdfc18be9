package quizflow

import (
	"slices"
	"testing"
)

func TestNormalizeOptions(t *testing.T) {
	tests := []struct {
		name  string
		plan  string
		in    GenerateOptions
		field string // "" = valid
	}{
		{"defaults", PlanFree, GenerateOptions{}, ""},
		{"free max", PlanFree, GenerateOptions{QuestionCount: 50}, ""},
		{"free over", PlanFree, GenerateOptions{QuestionCount: 51}, "question_count"},
		{"pro max", PlanPro, GenerateOptions{QuestionCount: 100}, ""},
		{"pro over", PlanPro, GenerateOptions{QuestionCount: 101}, "question_count"},
		{"negative", PlanFree, GenerateOptions{QuestionCount: -1}, "question_count"},
		{"unknown type", PlanFree, GenerateOptions{QuestionTypes: []string{"riddle"}}, "question_types"},
		{"bad difficulty", PlanFree, GenerateOptions{Difficulty: "brutal"}, "difficulty"},
		{"bad bloom", PlanFree, GenerateOptions{BloomLevels: []string{"memorise"}}, "bloom_levels"},
		{"three-letter language", PlanFree, GenerateOptions{Language: "eng"}, "language"},
		{"unknown language", PlanFree, GenerateOptions{Language: "qq"}, "language"},
		{"long instructions", PlanFree, GenerateOptions{Instructions: string(make([]rune, 501))}, "instructions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.in
			err := o.Normalize(tt.plan)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			e, ok := err.(*Error)
			if !ok || e.Code != EINVALID || e.Field != tt.field || e.Message == "" {
				t.Fatalf("error = %v, want EINVALID on %s", err, tt.field)
			}
		})
	}
	o := GenerateOptions{QuestionTypes: []string{" True_False", "true_false", "essay"}, Difficulty: "HARD", Language: "FR"}
	if err := o.Normalize(PlanFree); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(o.QuestionTypes, []string{TrueFalse, Essay}) || o.Difficulty != DifficultyHard || o.Language != "fr" || o.QuestionCount != DefaultQuestionCount {
		t.Errorf("normalised = %+v", o)
	}
}

func TestIDs(t *testing.T) {
	id := NewID("doc")
	if !ValidID("doc", id) || ValidID("job", id) || ValidID("doc", id+"x") || ValidID("doc", "doc_AAAAAAAAAAAAAAAAAAAAAAAA") {
		t.Errorf("ValidID disagrees with NewID for %q", id)
	}
	if NewID("doc") == id {
		t.Error("two IDs are equal")
	}
}
