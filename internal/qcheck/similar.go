package qcheck

import (
	"slices"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Duplicate thresholds of IsDuplicate, on Similarity's scale.
const (
	// DuplicatePrompt: prompts at least this similar are duplicates
	// whatever they ask for.
	DuplicatePrompt = 0.8
	// DuplicateSameAnswer: prompts at least this similar are duplicates when
	// the questions are of the same type and have the same answer.
	DuplicateSameAnswer = 0.6
)

// Similarity returns how alike a and b are, from 0 (nothing shared) to 1
// (equal after Normalize): the Dice coefficient of the sets of character
// trigrams of their normalised forms, each padded with a space at both
// ends. Trigrams make it tolerant of small edits (a changed word, a plural,
// a typo) and work for scripts written without spaces; it runs in time
// linear in the lengths of a and b.
func Similarity(a, b string) float64 {
	na, nb := Normalize(a), Normalize(b)
	if na == nb {
		return 1
	}
	if na == "" || nb == "" {
		return 0
	}
	ta, tb := trigrams(na), trigrams(nb)
	shared := 0
	for t := range ta {
		if _, ok := tb[t]; ok {
			shared++
		}
	}
	return 2 * float64(shared) / float64(len(ta)+len(tb))
}

func trigrams(s string) map[[3]rune]struct{} {
	r := []rune(" " + s + " ")
	set := make(map[[3]rune]struct{}, len(r))
	for i := 0; i+3 <= len(r); i++ {
		set[[3]rune{r[i], r[i+1], r[i+2]}] = struct{}{}
	}
	return set
}

// IsDuplicate reports whether a and b are near-duplicates that should not
// both be in one quiz: their prompts are at least DuplicatePrompt similar,
// or they are of the same type with the same answer (the same correct
// option texts, accepted answers or matching pairs) and prompts at least
// DuplicateSameAnswer similar. True/false questions only count as
// duplicates by prompt, since every one of them has the answer True or
// False.
func IsDuplicate(a, b quizflow.Question) bool {
	sim := Similarity(a.Prompt, b.Prompt)
	if sim >= DuplicatePrompt {
		return true
	}
	if a.Type != b.Type || a.Type == quizflow.TrueFalse || sim < DuplicateSameAnswer {
		return false
	}
	ka, kb := answerKey(a), answerKey(b)
	return ka != "" && ka == kb
}

// answerKey returns a normalised description of q's correct answer.
func answerKey(q quizflow.Question) string {
	var parts []string
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		for _, o := range q.Options {
			if o.Correct {
				parts = append(parts, Normalize(o.Text))
			}
		}
	case quizflow.FillInBlank, quizflow.ShortAnswer, quizflow.Essay:
		for _, a := range q.Answers {
			parts = append(parts, Normalize(a))
		}
	case quizflow.Matching:
		for _, p := range q.Pairs {
			parts = append(parts, Normalize(p.Left)+"\x00"+Normalize(p.Right))
		}
	}
	slices.Sort(parts)
	parts = slices.Compact(parts)
	return strings.Join(parts, "\x01")
}

// DedupeOptions removes options whose text equals (after Normalize) that
// of an earlier option and returns how many it removed. When one of a group
// of equal options is correct the kept option is marked correct, since the
// text it shows is a right answer. Option IDs are left as they are.
func DedupeOptions(q *quizflow.Question) (removed int) {
	seen := make(map[string]int, len(q.Options))
	kept := make([]quizflow.Option, 0, len(q.Options))
	for _, o := range q.Options {
		k := Normalize(o.Text)
		if i, ok := seen[k]; ok {
			kept[i].Correct = kept[i].Correct || o.Correct
			removed++
			continue
		}
		seen[k] = len(kept)
		kept = append(kept, o)
	}
	q.Options = kept
	return removed
}
