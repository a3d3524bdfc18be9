package scoring

import (
	"hash/fnv"
	"math/rand/v2"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Redact returns the quiz as a share link shows it: titles, prompts,
// option texts and points, without correct flags, accepted answers,
// explanations or sources. A matching question's right items are shuffled
// by seed (the share token), so the order is stable for one link and does
// not follow the left items.
func Redact(q *quizflow.Quiz, seed string) *quizflow.SharedQuiz {
	out := &quizflow.SharedQuiz{Title: q.Title, Language: q.Language, Questions: make([]quizflow.SharedQuestion, 0, len(q.Questions))}
	for _, qu := range q.Questions {
		s := quizflow.SharedQuestion{ID: qu.ID, Type: qu.Type, Prompt: qu.Prompt, Points: Points(qu)}
		out.MaxScore += s.Points
		switch qu.Type {
		case quizflow.MultipleChoice, quizflow.MultipleAnswer, quizflow.TrueFalse:
			s.Options = make([]quizflow.SharedOption, len(qu.Options))
			for i, o := range qu.Options {
				s.Options[i] = quizflow.SharedOption{ID: o.ID, Text: o.Text}
			}
		case quizflow.Matching:
			for _, p := range qu.Pairs {
				s.Left = append(s.Left, p.Left)
				s.Right = append(s.Right, p.Right)
			}
			shuffle(s.Right, seed+"\x00"+qu.ID)
		}
		out.Questions = append(out.Questions, s)
	}
	out.MaxScore = round(out.MaxScore)
	return out
}

// shuffle permutes items by a seed; with two or more items that differ it
// never leaves them in their original order, which would give the pairs
// away.
func shuffle(items []string, seed string) {
	h := fnv.New64a()
	h.Write([]byte(seed))
	r := rand.New(rand.NewPCG(h.Sum64(), 0x9e3779b97f4a7c15))
	orig := append([]string(nil), items...)
	for range 8 {
		r.Shuffle(len(items), func(i, j int) { items[i], items[j] = items[j], items[i] })
		if !equal(items, orig) {
			return
		}
	}
	if len(items) > 1 { // rotate by one: differs unless every item is the same
		first := items[0]
		copy(items, items[1:])
		items[len(items)-1] = first
	}
}

func equal(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
