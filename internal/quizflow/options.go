package quizflow

import (
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/language"
)

// Bounds of generation options.
const (
	DefaultQuestionCount = 10
	// MaxQuestionsFree and MaxQuestionsPro bound question_count per plan.
	MaxQuestionsFree = 50
	MaxQuestionsPro  = 100
	MaxInstructions  = 500 // runes
)

// BloomLevels lists the accepted Bloom's taxonomy levels.
var BloomLevels = []string{"remember", "understand", "apply", "analyze", "evaluate", "create"}

// MaxQuestions returns the largest question_count plan allows.
func MaxQuestions(plan string) int {
	if plan == PlanPro {
		return MaxQuestionsPro
	}
	return MaxQuestionsFree
}

// Normalize fills defaults and validates o for a user on plan with the
// default limits. It returns an EINVALID error naming the offending field.
func (o *GenerateOptions) Normalize(plan string) error {
	ps := DefaultPlans()
	return o.NormalizeFor(ps.Get(plan), ps.Pro.MaxQuestions)
}

// NormalizeFor fills defaults and validates o for a user on plan p, where
// proMax is what Pro allows (named when a free user asks for more). It
// returns an EINVALID error naming the offending field.
func (o *GenerateOptions) NormalizeFor(p Plan, proMax int) error {
	if o.QuestionCount == 0 {
		o.QuestionCount = min(DefaultQuestionCount, p.MaxQuestions)
	}
	if limit := p.MaxQuestions; o.QuestionCount < 1 || o.QuestionCount > limit {
		if p.Name != PlanPro && o.QuestionCount > limit && o.QuestionCount <= proMax {
			return Invalid("question_count", "question_count must be between 1 and %d on the free plan (up to %d on Pro).", limit, proMax)
		}
		return Invalid("question_count", "question_count must be between 1 and %d.", limit)
	}
	if len(o.QuestionTypes) == 0 {
		o.QuestionTypes = []string{MultipleChoice, TrueFalse, FillInBlank}
	}
	seen := map[string]bool{}
	types := o.QuestionTypes[:0]
	for _, t := range o.QuestionTypes {
		t = strings.TrimSpace(strings.ToLower(t))
		if !slices.Contains(QuestionTypes, t) {
			return Invalid("question_types", "Unknown question type %q; use any of %s.", truncate(t, 40), strings.Join(QuestionTypes, ", "))
		}
		if !seen[t] {
			seen[t] = true
			types = append(types, t)
		}
	}
	o.QuestionTypes = types
	if o.Difficulty == "" {
		o.Difficulty = DifficultyMedium
	}
	o.Difficulty = strings.ToLower(strings.TrimSpace(o.Difficulty))
	switch o.Difficulty {
	case DifficultyEasy, DifficultyMedium, DifficultyHard, DifficultyMixed:
	default:
		return Invalid("difficulty", "difficulty must be easy, medium, hard or mixed.")
	}
	for i, b := range o.BloomLevels {
		b = strings.ToLower(strings.TrimSpace(b))
		if !slices.Contains(BloomLevels, b) {
			return Invalid("bloom_levels", "Unknown Bloom level %q; use any of %s.", truncate(b, 40), strings.Join(BloomLevels, ", "))
		}
		o.BloomLevels[i] = b
	}
	o.BloomLevels = slices.Compact(o.BloomLevels)
	if o.Language == "" {
		o.Language = "en"
	}
	o.Language = strings.ToLower(strings.TrimSpace(o.Language))
	if len(o.Language) != 2 {
		return Invalid("language", "language must be a two-letter ISO 639-1 code such as en, fr or de.")
	}
	if _, err := language.ParseBase(o.Language); err != nil {
		return Invalid("language", "language %q is not an ISO 639-1 code.", o.Language)
	}
	o.Instructions = strings.TrimSpace(o.Instructions)
	if !utf8.ValidString(o.Instructions) || utf8.RuneCountInString(o.Instructions) > MaxInstructions {
		return Invalid("instructions", "instructions must be text of at most %d characters.", MaxInstructions)
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
