// Package offline is a question generator that needs no API key and no
// network: it writes recall questions from the document's own sentences.
//
// It is the Model that `quizflow dev` and tests use when no OpenAI key is
// configured. Its questions are simple but sound: every one quotes, word
// for word, the sentence it was made from and cites that sentence's page,
// so qcheck.Grounded holds for all of them, and every wrong option is
// another key term of the same document.
package offline

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/qcheck"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Name is the model name recorded in usage.
const Name = "offline"

// Model writes questions from the text itself. The zero value is ready to
// use and safe for concurrent use.
//
// It makes four types:
//   - multiple_choice: a key sentence with a key term blanked out ("Which
//     term completes the sentence? …"), the term and two or three other key
//     terms of the document, of the same kind, as options;
//   - true_false: a key sentence as written (true) or with a key term
//     swapped for another (false), alternately; the explanation quotes the
//     true sentence;
//   - fill_in_blank: a key sentence with a key term replaced by
//     quizflow.BlankMarker, the term as the answer;
//   - short_answer: the cloze prompt of multiple_choice without options.
//
// When Proposal.Types names none of these (only matching or essay, say),
// it makes a mix of multiple_choice, true_false and fill_in_blank, which
// the caller may drop. Key terms are words and two- or three-word phrases
// that recur, are capitalised mid-sentence or are long, and are not
// stopwords (English, French, German and Spanish lists). Key sentences
// have 8 to 40 words (12 to 100 characters for Chinese and Japanese, which
// are written without spaces; such text rarely yields key terms), end with
// a full stop, and are not headings, list items or references. Each
// sentence is used once, so a short text yields fewer questions than asked
// rather than repeats. The question frame is English, French, German or
// Spanish after Proposal.Language (or the document's language when that is
// empty or "auto"), English otherwise; the sentences are always the
// document's own. The output is deterministic; options are placed by a
// fixed rotation and the pipeline shuffles them.
type Model struct{}

var _ generate.Model = Model{}

// Name returns "offline".
func (Model) Name() string { return Name }

// Propose returns up to p.Count questions about p.Pages, none of them like
// a prompt in p.Avoid. It costs nothing: the usage records one call and no
// tokens. It returns an error only when ctx is done.
func (Model) Propose(ctx context.Context, p generate.Proposal) (*generate.Proposed, error) {
	out := &generate.Proposed{Usage: quizflow.Usage{Model: Name, Calls: 1}}
	if p.Count <= 0 {
		return out, nil
	}
	var sents []sentence
	for _, pg := range p.Pages {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
		sents = append(sents, splitSentences(pg.Number, pg.Text)...)
	}
	termMap := extractTerms(sents)
	terms := make([]*term, 0, len(termMap))
	for _, t := range termMap {
		terms = append(terms, t)
	}
	slices.SortFunc(terms, func(a, b *term) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.key, b.key))
	})

	w := writer{
		lang:       languages[pickLanguage(p.Language, sents)],
		terms:      terms,
		difficulty: p.Difficulty,
		avoid:      p.Avoid,
	}
	types := plan(p.Types)
	quota := map[string]int{}
	for i := range p.Count {
		quota[types[i%len(types)]]++
	}
	for _, c := range spread(candidates(sents, terms)) {
		if len(out.Questions) >= p.Count {
			break
		}
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("offline: %w", err)
		}
		if w.avoided(c.s) {
			continue
		}
		// The type furthest behind its quota that this sentence supports,
		// else any requested type it supports.
		order := slices.Clone(types)
		slices.SortStableFunc(order, func(a, b string) int { return quota[b] - quota[a] })
		for _, typ := range order {
			q, ok := w.write(typ, c)
			if !ok || w.duplicate(q, out.Questions) {
				continue
			}
			out.Questions = append(out.Questions, q)
			quota[typ]--
			break
		}
	}
	return out, nil
}

// Types returns the question types Model writes.
func Types() []string { return slices.Clone(producible) }

// producible lists the types Model makes, in the order it deals them.
var producible = []string{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank, quizflow.ShortAnswer}

// plan returns the requested types that Model can make, or its default mix
// when there are none.
func plan(requested []string) []string {
	var types []string
	for _, t := range producible {
		if slices.Contains(requested, t) {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		types = []string{quizflow.MultipleChoice, quizflow.TrueFalse, quizflow.FillInBlank}
	}
	return types
}

// candidate is a key sentence and the key terms that could be blanked in
// it, best first.
type candidate struct {
	s     sentence
	terms []*term
	occ   []int // token index of each term's one occurrence
	score float64
}

// candidates returns the usable sentences that hold at least one key term
// exactly once.
func candidates(sents []sentence, terms []*term) []candidate {
	var out []candidate
	for _, s := range sents {
		if !usable(s) {
			continue
		}
		c := candidate{s: s}
		for _, t := range terms {
			if at := occurrences(s, t); len(at) == 1 {
				c.terms = append(c.terms, t)
				c.occ = append(c.occ, at[0])
				c.score += t.score
			}
		}
		c.terms, c.occ = outermost(c.terms, c.occ)
		if len(c.terms) == 0 {
			continue
		}
		idx := make([]int, len(c.terms))
		for i := range idx {
			idx[i] = i
		}
		// The subject of a definition first, then longer terms among
		// near-equals: "carbon dioxide" over "carbon".
		slices.SortStableFunc(idx, func(a, b int) int {
			da, db := definition(s, c.terms[a], c.occ[a]), definition(s, c.terms[b], c.occ[b])
			if da != db {
				if da {
					return -1
				}
				return 1
			}
			return cmp.Compare(weight(c.terms[b]), weight(c.terms[a]))
		})
		ts, os := make([]*term, len(idx)), make([]int, len(idx))
		for k, i := range idx {
			ts[k], os[k] = c.terms[i], c.occ[i]
		}
		c.terms, c.occ = ts, os
		c.score = math.Min(c.score, 60)
		words := len(s.toks)
		c.score -= math.Abs(float64(words-20)) / 4
		if definition(s, c.terms[0], c.occ[0]) {
			c.score += 5
		}
		if len(s.toks) > 0 {
			if _, ok := pronouns[s.toks[0].key]; ok {
				c.score -= 8 // "It condenses…" needs the sentence before
			}
		}
		out = append(out, c)
	}
	return out
}

// outermost drops the terms whose occurrence lies inside another term's
// ("water" inside "water vapour"), so a blank never splits a phrase.
func outermost(terms []*term, occ []int) ([]*term, []int) {
	var ts []*term
	var os []int
	for i, t := range terms {
		start, end := occ[i], occ[i]+t.words
		inside := false
		for j, o := range terms {
			if j != i && o.words > t.words && occ[j] <= start && end <= occ[j]+o.words {
				inside = true
				break
			}
		}
		if !inside {
			ts, os = append(ts, t), append(os, occ[i])
		}
	}
	return ts, os
}

func weight(t *term) float64 { return t.score * (1 + 0.3*float64(t.words-1)) }

var pronouns = set("it its this that these those they them he she such here there il elle ils elles ce cela ceci er sie es dies diese dieser ello ella ellos ellas esto")

// spread orders candidates so that pages take turns, each page's best
// sentence first, so that questions cite pages across the document.
func spread(cands []candidate) []candidate {
	byPage := map[int][]candidate{}
	var pages []int
	for _, c := range cands {
		if _, ok := byPage[c.s.page]; !ok {
			pages = append(pages, c.s.page)
		}
		byPage[c.s.page] = append(byPage[c.s.page], c)
	}
	for _, pg := range pages {
		slices.SortStableFunc(byPage[pg], func(a, b candidate) int {
			return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.s.index, b.s.index))
		})
	}
	out := make([]candidate, 0, len(cands))
	for round := 0; len(out) < len(cands); round++ {
		for _, pg := range pages {
			if round < len(byPage[pg]) {
				out = append(out, byPage[pg][round])
			}
		}
	}
	return out
}

// usable reports whether a sentence is an informative statement to ask
// about: the right length, a whole sentence ending with a full stop, mostly
// words, and not a heading, list item, question or reference.
func usable(s sentence) bool {
	c := s.clean
	if c == "" || utf8.RuneCountInString(s.raw) > maxQuote {
		return false
	}
	if isCJK(c) {
		n := utf8.RuneCountInString(c)
		if n < minCJKRunes || n > maxCJKRunes {
			return false
		}
	} else if n := len(strings.Fields(c)); n < minWords || n > maxWords {
		return false
	}
	end := strings.TrimRight(c, `"'”“’»«)]」』`)
	if last, _ := utf8.DecodeLastRuneInString(end); last != '.' && last != '。' {
		return false
	}
	first, _ := utf8.DecodeRuneInString(c)
	if !(unicode.IsUpper(first) || unicode.Is(unicode.Lo, first) || strings.ContainsRune(`"“„«‘`, first)) {
		return false
	}
	lower := strings.ToLower(c)
	for _, bad := range []string{"http", "www.", "@", "doi", "et al", "isbn", "©", "__", "|", "?", "…", "...", "\t"} {
		if strings.Contains(lower, bad) {
			return false
		}
	}
	letters, digits, other := 0, 0, 0
	for _, r := range c {
		switch {
		case unicode.IsLetter(r) || unicode.Is(unicode.M, r):
			letters++
		case unicode.IsDigit(r):
			digits++
		case !unicode.IsSpace(r):
			other++
		}
	}
	total := letters + digits + other
	return letters*4 >= total*3 && digits*100 <= total*15
}

// definition reports whether the term is the subject of a defining
// sentence: "Photosynthesis is the process by which…".
func definition(s sentence, t *term, at int) bool {
	start := 0
	if len(s.toks) > 0 && isDeterminer(s.toks[0].key) {
		start = 1
	}
	next := at + strings.Count(t.key, " ") + 1
	if at != start || next >= len(s.toks) {
		return false
	}
	_, ok := definitionVerbs[s.toks[next].key]
	return ok
}

// writer turns candidates into questions.
type writer struct {
	lang       phrases
	terms      []*term
	difficulty string
	avoid      []string
	tf         int // true_false questions written, to alternate true and false
	mc         int // choice questions written, to rotate the key's position
}

// write makes a question of type typ from c, trying c's terms in order.
func (w *writer) write(typ string, c candidate) (quizflow.Question, bool) {
	for i, t := range c.terms {
		if q, ok := w.writeTerm(typ, c.s, t, c.occ[i]); ok {
			if qcheck.Validate(q) == nil {
				return q, true
			}
		}
	}
	return quizflow.Question{}, false
}

func (w *writer) writeTerm(typ string, s sentence, t *term, at int) (quizflow.Question, bool) {
	first, last := s.toks[at], s.toks[at+strings.Count(t.key, " ")]
	written := s.clean[first.start:last.end]
	blanked := s.clean[:first.start] + quizflow.BlankMarker + s.clean[last.end:]
	answer := t.surface
	if at > 0 && written != answer && qcheck.Normalize(written) == qcheck.Normalize(answer) {
		answer = written // keep the sentence's own spelling mid-sentence
	}
	q := quizflow.Question{
		Type:        typ,
		Explanation: fmt.Sprintf(w.lang.says, s.page, s.clean),
		Source:      quizflow.Source{Page: s.page, Quote: s.raw},
		Difficulty:  w.level(typ),
		BloomLevel:  "remember",
	}
	prompt := w.lang.complete
	if definition(s, t, at) {
		prompt = w.lang.defined
	}
	switch typ {
	case quizflow.MultipleChoice:
		ds := distractors(t, s, w.terms, 3)
		if len(ds) < 2 {
			return q, false
		}
		q.Prompt = fmt.Sprintf(prompt, blanked)
		texts := []string{answer}
		for _, d := range ds {
			texts = append(texts, d.surface)
		}
		key := w.mc % len(texts)
		texts[0], texts[key] = texts[key], texts[0]
		for i, txt := range texts {
			q.Options = append(q.Options, quizflow.Option{ID: qcheck.OptionID(i), Text: txt, Correct: i == key})
		}
		w.mc++
	case quizflow.TrueFalse:
		statement, truth := s.clean, true
		if w.tf%2 == 1 {
			if ds := distractors(t, s, w.terms, 1); len(ds) == 1 {
				repl := ds[0].surface
				if at == 0 {
					repl = upperFirst(repl)
				}
				statement, truth = s.clean[:first.start]+repl+s.clean[last.end:], false
			}
		}
		q.Prompt = statement
		q.Options = []quizflow.Option{{ID: "a", Text: "True", Correct: truth}, {ID: "b", Text: "False", Correct: !truth}}
		verdict := w.lang.isTrue
		if !truth {
			verdict = w.lang.isFalse
		}
		q.Explanation = verdict + " " + q.Explanation
		w.tf++
	case quizflow.FillInBlank, quizflow.ShortAnswer:
		q.Prompt = blanked
		if typ == quizflow.ShortAnswer {
			q.Prompt = fmt.Sprintf(prompt, blanked)
		}
		q.Answers = []string{answer}
		if written != answer {
			q.Answers = append(q.Answers, written)
		}
	default:
		return q, false
	}
	return q, true
}

func upperFirst(s string) string {
	r, size := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[size:]
}

// level returns the requested difficulty, or for "mixed" and unset an
// estimate by type: recognising is easier than recalling.
func (w *writer) level(typ string) string {
	switch w.difficulty {
	case quizflow.DifficultyEasy, quizflow.DifficultyMedium, quizflow.DifficultyHard:
		return w.difficulty
	}
	switch typ {
	case quizflow.TrueFalse:
		return quizflow.DifficultyEasy
	case quizflow.MultipleChoice:
		return quizflow.DifficultyMedium
	}
	return quizflow.DifficultyHard
}

// avoided reports whether a sentence is already the subject of a question
// in the Avoid list.
func (w *writer) avoided(s sentence) bool {
	for _, a := range w.avoid {
		if qcheck.Similarity(a, s.clean) >= qcheck.DuplicateSameAnswer || strings.Contains(qcheck.Normalize(a), qcheck.Normalize(s.clean)) {
			return true
		}
	}
	return false
}

// duplicate reports whether q repeats a question already written or one to
// avoid.
func (w *writer) duplicate(q quizflow.Question, written []quizflow.Question) bool {
	for _, o := range written {
		if qcheck.IsDuplicate(q, o) {
			return true
		}
	}
	for _, a := range w.avoid {
		if qcheck.Similarity(q.Prompt, a) >= qcheck.DuplicatePrompt {
			return true
		}
	}
	return false
}
