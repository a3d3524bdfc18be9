// Package scoring scores answers to a quiz's questions on the server, per
// question type, and strips a quiz of everything that would give its
// answers away for a share link. It is pure: no store, no clock.
//
// Answer shapes (the JSON of one answer):
//   - multiple_choice, true_false: the chosen option's ID, a string;
//   - multiple_answer: a list of option IDs;
//   - matching: a list with, for each pair's left item in order, the chosen
//     right item ("" or null for none);
//   - short_answer, fill_in_blank, essay: the text, a string.
//
// Null or a missing answer is unanswered and scores 0.
package scoring

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Bounds of one set of answers.
const (
	MaxAnswers   = 200  // answers in one submission
	MaxTextRunes = 2000 // characters of one text answer
	MaxListItems = 50   // items of one list answer
)

// Points is what question q is worth: its Points, or 1 when it sets none.
func Points(q quizflow.Question) float64 {
	if q.Points > 0 {
		return q.Points
	}
	return 1
}

// Score scores answers (question ID to raw JSON answer) against the
// questions of a quiz as stored. It returns EINVALID, naming the field
// "answers.<question ID>", for an unknown question, an answer of the wrong
// shape, an unknown option and an oversized answer; nothing is scored then.
func Score(questions []quizflow.Question, answers map[string]json.RawMessage) (*quizflow.Score, error) {
	if len(answers) > MaxAnswers {
		return nil, quizflow.Invalid("answers", "Too many answers (at most %d).", MaxAnswers)
	}
	for id := range answers {
		if !slices.ContainsFunc(questions, func(q quizflow.Question) bool { return q.ID == id }) {
			return nil, quizflow.Invalid(field(id), "This quiz has no question %q.", clip(id))
		}
	}
	out := &quizflow.Score{Results: make([]quizflow.QuestionResult, 0, len(questions))}
	for _, q := range questions {
		r, err := scoreOne(q, answers[q.ID])
		if err != nil {
			return nil, err
		}
		out.Score += r.Score
		out.MaxScore += r.MaxScore
		out.Results = append(out.Results, r)
	}
	out.Score, out.MaxScore = round(out.Score), round(out.MaxScore)
	return out, nil
}

func field(id string) string { return "answers." + clip(id) }

// clip shortens an untrusted ID for an error message.
func clip(s string) string {
	if len(s) > 64 {
		s = s[:64]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		return s + "..."
	}
	return s
}

func round(x float64) float64 { return math.Round(x*100) / 100 }

// scoreOne scores one question's raw answer (nil: unanswered).
func scoreOne(q quizflow.Question, raw json.RawMessage) (quizflow.QuestionResult, error) {
	pts := Points(q)
	r := quizflow.QuestionResult{QuestionID: q.ID, Type: q.Type, MaxScore: round(pts),
		Status: quizflow.ResultGraded, Explanation: q.Explanation}
	unanswered := len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null"
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.TrueFalse:
		r.CorrectAnswer = correctOption(q)
		if unanswered {
			return r, nil
		}
		var id string
		if err := json.Unmarshal(raw, &id); err != nil {
			return r, quizflow.Invalid(field(q.ID), "The answer to a %s question is the chosen option's id, a string.", typeName(q.Type))
		}
		if !hasOption(q, id) {
			return r, quizflow.Invalid(field(q.ID), "%q is not an option of question %s.", clip(id), clip(q.ID))
		}
		r.Answer = id
		if id == r.CorrectAnswer {
			r.Score, r.Correct = pts, true
		}
	case quizflow.MultipleAnswer:
		correct := correctOptions(q)
		r.CorrectAnswer = correct
		if unanswered {
			return r, nil
		}
		ids, err := stringList(q, raw, false)
		if err != nil {
			return r, err
		}
		seen := map[string]bool{}
		right, wrong := 0, 0
		for _, id := range ids {
			if !hasOption(q, id) {
				return r, quizflow.Invalid(field(q.ID), "%q is not an option of question %s.", clip(id), clip(q.ID))
			}
			if seen[id] {
				return r, quizflow.Invalid(field(q.ID), "Option %q is picked twice.", clip(id))
			}
			seen[id] = true
			if slices.Contains(correct, id) {
				right++
			} else {
				wrong++
			}
		}
		r.Answer = ids
		if len(correct) > 0 {
			r.Score = pts * max(0, float64(right-wrong)/float64(len(correct)))
		}
		r.Correct = len(correct) > 0 && right == len(correct) && wrong == 0
	case quizflow.Matching:
		want := make([]string, len(q.Pairs))
		for i, p := range q.Pairs {
			want[i] = p.Right
		}
		r.CorrectAnswer = want
		if unanswered {
			return r, nil
		}
		got, err := stringList(q, raw, true)
		if err != nil {
			return r, err
		}
		if len(got) != len(q.Pairs) {
			return r, quizflow.Invalid(field(q.ID), "Question %s has %d items to match; send one right item (or \"\") for each, in order.", clip(q.ID), len(q.Pairs))
		}
		hits := 0
		for i, g := range got {
			if g != "" && !slices.Contains(want, g) {
				return r, quizflow.Invalid(field(q.ID), "%q is not one of the right items of question %s.", clip(g), clip(q.ID))
			}
			if g != "" && g == want[i] {
				hits++
			}
		}
		r.Answer = got
		if len(want) > 0 {
			r.Score = pts * float64(hits) / float64(len(want))
		}
		r.Correct = len(want) > 0 && hits == len(want)
	case quizflow.ShortAnswer, quizflow.FillInBlank, quizflow.Essay:
		if q.Answers != nil {
			r.CorrectAnswer = q.Answers
		} else {
			r.CorrectAnswer = []string{}
		}
		if q.Type == quizflow.Essay {
			r.Status = quizflow.ResultPendingReview
		}
		if unanswered {
			return r, nil
		}
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return r, quizflow.Invalid(field(q.ID), "The answer to a %s question is text, a string.", typeName(q.Type))
		}
		if utf8.RuneCountInString(text) > MaxTextRunes {
			return r, quizflow.Invalid(field(q.ID), "The answer to question %s is longer than %d characters.", clip(q.ID), MaxTextRunes)
		}
		r.Answer = text
		if q.Type == quizflow.Essay {
			return r, nil // graded by the owner
		}
		n := Normalize(text)
		if n != "" && slices.ContainsFunc(q.Answers, func(a string) bool { return Normalize(a) == n }) {
			r.Score, r.Correct = pts, true
		}
	default:
		return r, fmt.Errorf("score question %s: unknown type %q", q.ID, q.Type)
	}
	r.Score = round(r.Score)
	return r, nil
}

// stringList decodes a list answer of at most MaxListItems strings; with
// nullable, null items are read as "".
func stringList(q quizflow.Question, raw json.RawMessage, nullable bool) ([]string, error) {
	var items []*string
	if err := json.Unmarshal(raw, &items); err != nil {
		return nil, quizflow.Invalid(field(q.ID), "The answer to a %s question is a list of strings.", typeName(q.Type))
	}
	if len(items) > MaxListItems {
		return nil, quizflow.Invalid(field(q.ID), "The answer to question %s has more than %d items.", clip(q.ID), MaxListItems)
	}
	out := make([]string, len(items))
	for i, s := range items {
		switch {
		case s != nil && utf8.RuneCountInString(*s) > MaxTextRunes:
			return nil, quizflow.Invalid(field(q.ID), "An item of the answer to question %s is too long.", clip(q.ID))
		case s != nil:
			out[i] = *s
		case !nullable:
			return nil, quizflow.Invalid(field(q.ID), "The answer to a %s question is a list of option ids (no null).", typeName(q.Type))
		}
	}
	return out, nil
}

func typeName(t string) string { return strings.ReplaceAll(t, "_", " ") }

func hasOption(q quizflow.Question, id string) bool {
	return slices.ContainsFunc(q.Options, func(o quizflow.Option) bool { return o.ID == id })
}

// correctOption is the ID of the first correct option, "" if none is.
func correctOption(q quizflow.Question) string {
	for _, o := range q.Options {
		if o.Correct {
			return o.ID
		}
	}
	return ""
}

func correctOptions(q quizflow.Question) []string {
	out := []string{}
	for _, o := range q.Options {
		if o.Correct {
			out = append(out, o.ID)
		}
	}
	return out
}

var folder = cases.Fold()

// Normalize is the form in which a text answer is compared with the
// accepted answers: Unicode NFKC, case folded, surrounding whitespace
// trimmed and every run of whitespace one space.
func Normalize(s string) string {
	s = folder.String(norm.NFKC.String(s))
	return strings.Join(strings.Fields(s), " ")
}
