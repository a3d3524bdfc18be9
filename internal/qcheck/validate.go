package qcheck

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Length limits, in runes (characters), of a question's texts.
const (
	MaxPromptLen      = 1000
	MaxOptionLen      = 300
	MaxAnswerLen      = 200
	MaxEssayAnswerLen = 2000 // an essay's model answer for graders
	MaxExplanationLen = 2000
	MaxQuoteLen       = 300
	MaxPairs          = 20
)

// Option counts of the choice types.
const (
	MinChoiceOptions = 3
	MaxChoiceOptions = 5
	MinAnswerOptions = 3 // multiple_answer
	MaxAnswerOptions = 6
)

// Validate checks q against the rules of its type and returns nil or an
// *quizflow.Error with Code EINVALID, the offending Field (for example
// "options[2].text") and a Message written for the person editing the
// question.
//
// Rules:
//   - Type is one of quizflow.QuestionTypes; Prompt is non-empty and at most
//     MaxPromptLen runes; texts are valid UTF-8.
//   - Every option text, answer and pair side present is non-empty and
//     within its limit; Explanation and Source.Quote are optional but
//     within their limits. Option IDs that are set are unique (empty IDs
//     are allowed: Shuffle and Balance assign them).
//   - multiple_choice: 3-5 options, distinct after Normalize, exactly one
//     correct.
//   - multiple_answer: 3-6 distinct options, at least two correct and at
//     least one incorrect.
//   - true_false: exactly two options, "True" and "False" (any case and
//     order), exactly one correct.
//   - fill_in_blank: the prompt holds quizflow.BlankMarker exactly once (and
//     no longer run of underscores); at least one answer.
//   - short_answer: at least one answer.
//   - matching: 2 to MaxPairs pairs with unique non-empty left sides and
//     unique non-empty right sides.
//   - essay: a prompt; Answers may hold a model answer of up to
//     MaxEssayAnswerLen runes.
//
// Fields a type does not use (options of a short_answer question, say) are
// not checked beyond their lengths.
func Validate(q quizflow.Question) error {
	if !slices.Contains(quizflow.QuestionTypes, q.Type) {
		if q.Type == "" {
			return quizflow.Invalid("type", "The question has no type.")
		}
		return quizflow.Invalid("type", "Unknown question type %q.", q.Type)
	}
	if err := checkText("prompt", "The question", q.Prompt, MaxPromptLen, true); err != nil {
		return err
	}
	if err := checkText("explanation", "The explanation", q.Explanation, MaxExplanationLen, false); err != nil {
		return err
	}
	if err := checkText("source.quote", "The source quote", q.Source.Quote, MaxQuoteLen, false); err != nil {
		return err
	}
	if q.Source.Page < 0 {
		return quizflow.Invalid("source.page", "The source page cannot be negative.")
	}
	if err := checkOptions(q.Options); err != nil {
		return err
	}
	answerMax := MaxAnswerLen
	if q.Type == quizflow.Essay {
		answerMax = MaxEssayAnswerLen
	}
	for i, a := range q.Answers {
		if err := checkText(fmt.Sprintf("answers[%d]", i), fmt.Sprintf("Answer %d", i+1), a, answerMax, true); err != nil {
			return err
		}
	}
	for i, p := range q.Pairs {
		if err := checkText(fmt.Sprintf("pairs[%d].left", i), fmt.Sprintf("The left side of pair %d", i+1), p.Left, MaxOptionLen, true); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("pairs[%d].right", i), fmt.Sprintf("The right side of pair %d", i+1), p.Right, MaxOptionLen, true); err != nil {
			return err
		}
	}

	switch q.Type {
	case quizflow.MultipleChoice:
		return checkChoice(q, MinChoiceOptions, MaxChoiceOptions, 1, 1)
	case quizflow.MultipleAnswer:
		return checkChoice(q, MinAnswerOptions, MaxAnswerOptions, 2, len(q.Options)-1)
	case quizflow.TrueFalse:
		return checkTrueFalse(q)
	case quizflow.FillInBlank:
		if n := strings.Count(q.Prompt, quizflow.BlankMarker); n != 1 || strings.Contains(q.Prompt, quizflow.BlankMarker+"_") {
			return quizflow.Invalid("prompt", "A fill-in-the-blank question must contain exactly one blank (%s).", quizflow.BlankMarker)
		}
		if len(q.Answers) == 0 {
			return quizflow.Invalid("answers", "A fill-in-the-blank question needs at least one accepted answer.")
		}
		for i, a := range q.Answers {
			if strings.Contains(a, quizflow.BlankMarker) {
				return quizflow.Invalid(fmt.Sprintf("answers[%d]", i), "An answer cannot contain the blank marker.")
			}
		}
	case quizflow.ShortAnswer:
		if len(q.Answers) == 0 {
			return quizflow.Invalid("answers", "A short-answer question needs at least one accepted answer.")
		}
	case quizflow.Matching:
		return checkMatching(q.Pairs)
	case quizflow.Essay:
		// The prompt, checked above, is all an essay needs.
	}
	return nil
}

// checkText checks one text field: valid UTF-8, not blank when required (or
// when present but only white space), at most max runes.
func checkText(field, what, s string, max int, required bool) error {
	if !utf8.ValidString(s) {
		return quizflow.Invalid(field, "%s contains invalid characters.", what)
	}
	if strings.TrimSpace(s) == "" {
		if required || s != "" {
			return quizflow.Invalid(field, "%s is empty.", what)
		}
		return nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return quizflow.Invalid(field, "%s is too long (%d characters; the limit is %d).", what, n, max)
	}
	return nil
}

func checkOptions(opts []quizflow.Option) error {
	ids := make(map[string]int, len(opts))
	for i, o := range opts {
		if err := checkText(fmt.Sprintf("options[%d].text", i), fmt.Sprintf("Option %d", i+1), o.Text, MaxOptionLen, true); err != nil {
			return err
		}
		if o.ID == "" {
			continue
		}
		if j, dup := ids[o.ID]; dup {
			return quizflow.Invalid(fmt.Sprintf("options[%d].id", i), "Options %d and %d have the same ID %q.", j+1, i+1, o.ID)
		}
		ids[o.ID] = i
	}
	return nil
}

func checkChoice(q quizflow.Question, minOpts, maxOpts, minCorrect, maxCorrect int) error {
	name := "A multiple-choice question"
	if q.Type == quizflow.MultipleAnswer {
		name = "A multiple-answer question"
	}
	if n := len(q.Options); n < minOpts || n > maxOpts {
		return quizflow.Invalid("options", "%s needs %d to %d options, not %d.", name, minOpts, maxOpts, n)
	}
	if i, j, dup := duplicateOption(q.Options); dup {
		return quizflow.Invalid(fmt.Sprintf("options[%d].text", j), "Options %d and %d say the same thing.", i+1, j+1)
	}
	correct := 0
	for _, o := range q.Options {
		if o.Correct {
			correct++
		}
	}
	switch {
	case q.Type == quizflow.MultipleChoice && correct != 1:
		return quizflow.Invalid("options", "%s needs exactly one correct option, not %d.", name, correct)
	case correct < minCorrect:
		return quizflow.Invalid("options", "%s needs at least %d correct options, not %d.", name, minCorrect, correct)
	case correct > maxCorrect:
		return quizflow.Invalid("options", "%s needs at least one incorrect option.", name)
	}
	return nil
}

// duplicateOption returns the indexes of the first two options whose texts
// are equal after Normalize.
func duplicateOption(opts []quizflow.Option) (int, int, bool) {
	seen := make(map[string]int, len(opts))
	for j, o := range opts {
		k := Normalize(o.Text)
		if i, ok := seen[k]; ok {
			return i, j, true
		}
		seen[k] = j
	}
	return 0, 0, false
}

func checkTrueFalse(q quizflow.Question) error {
	if len(q.Options) != 2 {
		return quizflow.Invalid("options", "A true/false question needs exactly two options, True and False, not %d.", len(q.Options))
	}
	a, b := Normalize(q.Options[0].Text), Normalize(q.Options[1].Text)
	if !(a == "true" && b == "false" || a == "false" && b == "true") {
		return quizflow.Invalid("options", "The options of a true/false question must be True and False.")
	}
	if q.Options[0].Correct == q.Options[1].Correct {
		return quizflow.Invalid("options", "Exactly one of True and False must be marked correct.")
	}
	return nil
}

func checkMatching(pairs []quizflow.Pair) error {
	if n := len(pairs); n < 2 || n > MaxPairs {
		return quizflow.Invalid("pairs", "A matching question needs 2 to %d pairs, not %d.", MaxPairs, n)
	}
	left := make(map[string]int, len(pairs))
	right := make(map[string]int, len(pairs))
	for i, p := range pairs {
		l, r := Normalize(p.Left), Normalize(p.Right)
		if j, dup := left[l]; dup {
			return quizflow.Invalid(fmt.Sprintf("pairs[%d].left", i), "Pairs %d and %d have the same left side.", j+1, i+1)
		}
		if j, dup := right[r]; dup {
			return quizflow.Invalid(fmt.Sprintf("pairs[%d].right", i), "Pairs %d and %d have the same right side.", j+1, i+1)
		}
		left[l], right[r] = i, i
	}
	return nil
}
