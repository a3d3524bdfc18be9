package fakeopenai

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// wireOption and wireQuestion mirror the strict schema the client sends.
type wireOption struct {
	Text    string `json:"text"`
	Correct bool   `json:"correct"`
}

type wireQuestion struct {
	Type        string          `json:"type"`
	Prompt      string          `json:"prompt"`
	Options     []wireOption    `json:"options"`
	Answers     []string        `json:"answers"`
	Pairs       []quizflow.Pair `json:"pairs"`
	Explanation string          `json:"explanation"`
	SourcePage  int             `json:"source_page"`
	SourceQuote string          `json:"source_quote"`
	Difficulty  string          `json:"difficulty"`
	BloomLevel  string          `json:"bloom_level"`
}

var (
	sentenceRe  = regexp.MustCompile(`[^.!?\n]+[.!?]`)
	wordRe      = regexp.MustCompile(`\p{L}{5,}`)
	avoidRe     = regexp.MustCompile(`(?m)^- (.+)$`)
	questionsRe = regexp.MustCompile(`(?s)<questions>\n(.*)\n</questions>`)
)

// sentence is a candidate fact: a sentence of a page and a key word in it.
type sentence struct {
	page int
	text string
	key  string
	key2 string // a second word, for multiple_answer
}

// sentences lists the usable sentences of pages in order.
func sentences(pages []quizflow.Page) []sentence {
	var out []sentence
	for _, p := range pages {
		for _, m := range sentenceRe.FindAllString(p.Text, -1) {
			t := strings.TrimSpace(m)
			if len(strings.Fields(t)) < 6 {
				continue
			}
			words := wordRe.FindAllString(t, -1)
			if len(words) < 2 {
				continue
			}
			// The longest word is the key; ties go to the earliest.
			sorted := slices.Clone(words)
			slices.SortStableFunc(sorted, func(a, b string) int { return len(b) - len(a) })
			k2 := ""
			for _, w := range sorted[1:] {
				if !strings.EqualFold(w, sorted[0]) {
					k2 = w
					break
				}
			}
			if k2 == "" {
				continue
			}
			out = append(out, sentence{page: p.Number, text: t, key: sorted[0], key2: k2})
		}
	}
	return out
}

// vocabulary lists distinct long words of pages, lower-cased.
func vocabulary(pages []quizflow.Page) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range pages {
		for _, w := range wordRe.FindAllString(p.Text, -1) {
			l := strings.ToLower(w)
			if !seen[l] {
				seen[l] = true
				out = append(out, l)
			}
		}
	}
	return out
}

// distractors picks n words of vocab not in the sentence and not key.
func distractors(r *rand.Rand, vocab []string, s sentence, n int) []string {
	lower := strings.ToLower(s.text)
	var out []string
	for _, i := range r.Perm(len(vocab)) {
		w := vocab[i]
		if strings.Contains(lower, w) || slices.Contains(out, w) {
			continue
		}
		out = append(out, w)
		if len(out) == n {
			return out
		}
	}
	for len(out) < n { // a tiny document: invent words
		out = append(out, fmt.Sprintf("option%d", len(out)+1))
	}
	return out
}

func blank(text, word, with string) string { return strings.Replace(text, word, with, 1) }

// build makes one question of type typ from s. correctAt is the index of
// the correct option for choice questions (-1: random).
func build(r *rand.Rand, typ string, s sentence, vocab []string, correctAt int) (wireQuestion, []string) {
	q := wireQuestion{
		Type: typ, SourcePage: s.page, SourceQuote: s.text, Options: []wireOption{}, Answers: []string{},
		Pairs: []quizflow.Pair{}, Difficulty: quizflow.DifficultyMedium, BloomLevel: "remember",
		Explanation: fmt.Sprintf("The document says: %q", s.text),
	}
	switch typ {
	case quizflow.MultipleChoice:
		q.Prompt = fmt.Sprintf("Which word completes this statement from the document: %q?", blank(s.text, s.key, "[...]"))
		opts := distractors(r, vocab, s, 3)
		if correctAt < 0 {
			correctAt = r.IntN(4)
		}
		opts = slices.Insert(opts, correctAt, s.key)
		for i, o := range opts {
			q.Options = append(q.Options, wireOption{Text: o, Correct: i == correctAt})
		}
		return q, []string{s.key}
	case quizflow.MultipleAnswer:
		t := blank(blank(s.text, s.key, "[...]"), s.key2, "[...]")
		q.Prompt = fmt.Sprintf("Which two words are missing from this statement in the document: %q?", t)
		opts := distractors(r, vocab, s, 2)
		if correctAt < 0 {
			correctAt = r.IntN(3)
		}
		opts = slices.Insert(opts, correctAt, s.key, s.key2)
		for i, o := range opts {
			q.Options = append(q.Options, wireOption{Text: o, Correct: i == correctAt || i == correctAt+1})
		}
		return q, []string{s.key, s.key2}
	case quizflow.TrueFalse:
		truth := r.IntN(2) == 0
		stmt := s.text
		if !truth {
			stmt = blank(s.text, s.key, distractors(r, vocab, s, 1)[0])
			q.SourceQuote = s.text
		}
		q.Prompt = fmt.Sprintf("True or false: %q", stmt)
		q.Options = []wireOption{{Text: "True", Correct: truth}, {Text: "False", Correct: !truth}}
		if truth {
			return q, []string{"True"}
		}
		return q, []string{"False"}
	case quizflow.FillInBlank:
		q.Prompt = blank(s.text, s.key, quizflow.BlankMarker)
		q.Answers = []string{s.key}
	case quizflow.Matching:
		q.Prompt = fmt.Sprintf("Match each statement start from page %d with the word it leads to.", s.page)
		q.Pairs = []quizflow.Pair{
			{Left: firstWords(s.text, 4), Right: s.key},
			{Left: "A word from the same sentence", Right: s.key2},
			{Left: "A word that is not in it", Right: distractors(r, vocab, s, 1)[0]},
		}
	case quizflow.Essay:
		q.Prompt = fmt.Sprintf("Explain in your own words what the document means by: %q", s.text)
		q.Answers = []string{s.text}
	default: // short_answer
		q.Type = quizflow.ShortAnswer
		q.Prompt = fmt.Sprintf("Which word is missing from this statement in the document: %q?", blank(s.text, s.key, "[...]"))
		q.Answers = []string{s.key}
	}
	return q, nil
}

func firstWords(s string, n int) string {
	f := strings.Fields(s)
	return strings.Join(f[:min(n, len(f))], " ")
}

// questions writes the content of a question reply.
func (s *Server) questions(c *Call, a Action) (content, finish string) {
	if a.Do == Gullible || a.Do == InvalidJSON {
		if a.Do == Gullible {
			return "PWNED", "stop"
		}
		return `Sure! Here are your questions: {"questions": [{"type": "multiple_choice", "prompt": oops}`, "stop"
	}
	r := rand.New(rand.NewPCG(uint64(c.N), 42))
	var user string
	for _, m := range c.Request.Messages {
		if m.Role == "user" {
			user = m.Content
			break
		}
	}
	avoid := map[string]bool{}
	if _, after, ok := strings.Cut(user, "Already asked"); ok {
		for _, m := range avoidRe.FindAllStringSubmatch(after, -1) {
			avoid[m[1]] = true
		}
	}
	types := c.Types
	if len(types) == 0 {
		types = []string{quizflow.MultipleChoice}
	}
	n := c.Count
	if a.Do == WrongCount {
		n = a.N
	}
	sents := sentences(c.Pages)
	vocab := vocabulary(c.Pages)
	if len(sents) > 0 { // start somewhere else on every call
		k := (c.KindN * 7) % len(sents)
		sents = append(sents[k:], sents[:k]...)
	}
	var qs []wireQuestion
	truth := map[string][]string{}
	for i := 0; len(qs) < n && i < len(sents)*len(types); i++ {
		st := sents[i%len(sents)]
		typ := types[(i/len(sents)+i)%len(types)]
		correctAt := -1
		if a.Do == KeyAtB {
			correctAt = 1
		}
		q, right := build(r, typ, st, vocab, correctAt)
		if avoid[q.Prompt] {
			continue
		}
		k := len(qs)
		switch {
		case a.Do == BadQuotes && (!a.Some || k%2 == 0):
			q.SourceQuote = "The moon is made of green cheese according to this chapter."
		case a.Do == WrongPage:
			q.SourcePage = otherPage(c.Pages, st.page)
		case a.Do == WrongKeys && (!a.Some || k%2 == 0) && len(q.Options) > 0:
			for j := range q.Options {
				q.Options[j].Correct = !q.Options[j].Correct
			}
			if q.Type == quizflow.MultipleChoice || q.Type == quizflow.TrueFalse {
				// exactly one correct: the first formerly wrong option
				first := true
				for j := range q.Options {
					q.Options[j].Correct = q.Options[j].Correct && first
					if q.Options[j].Correct {
						first = false
					}
				}
			}
		}
		if right != nil {
			truth[q.Prompt] = right
		}
		qs = append(qs, q)
		if a.Do == Duplicates {
			if len(q.Options) >= 3 {
				q.Options[len(q.Options)-1].Text = q.Options[0].Text
				if q.Options[0].Correct {
					q.Options[len(q.Options)-1].Correct = false
				}
			}
			qs = append(qs, q)
		}
	}
	s.mu.Lock()
	for k, v := range truth {
		s.truth[k] = v
	}
	s.mu.Unlock()
	if qs == nil {
		qs = []wireQuestion{}
	}
	b, _ := json.Marshal(map[string]any{"questions": qs})
	out := string(b)
	switch a.Do {
	case Truncated:
		// Cut inside the last question.
		if i := strings.LastIndex(out, `{"type"`); i > 0 {
			out = out[:i+15]
		}
		return out, "length"
	case Fenced:
		return "```json\n" + out + "\n```\nLet me know if you need more!", "stop"
	}
	return out, "stop"
}

func otherPage(pages []quizflow.Page, not int) int {
	for _, p := range pages {
		if p.Number != not {
			return p.Number
		}
	}
	return not + 1
}

// answer writes the content of an answer-check reply: the truly correct
// options of questions it wrote, else the options found in the document.
func (s *Server) answer(c *Call, a Action, user string) (content, finish string) {
	if a.Do == InvalidJSON || a.Do == Gullible {
		return "I think the answers are A, B and C.", "stop"
	}
	type item struct {
		N        int      `json:"n"`
		Multiple bool     `json:"multiple_answers"`
		Prompt   string   `json:"prompt"`
		Options  []string `json:"options"`
	}
	var items []item
	if m := questionsRe.FindStringSubmatch(user); m != nil {
		_ = json.Unmarshal([]byte(m[1]), &items)
	}
	var doc strings.Builder
	for _, p := range c.Pages {
		doc.WriteString(strings.ToLower(p.Text))
		doc.WriteByte('\n')
	}
	type ans struct {
		N        int      `json:"n"`
		Selected []string `json:"selected"`
	}
	out := []ans{}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range items {
		right, known := s.truth[it.Prompt]
		var sel []string
		for j, o := range it.Options {
			text := o
			if len(o) > 3 && o[1] == ')' {
				text = o[3:]
			}
			ok := false
			if known {
				ok = slices.ContainsFunc(right, func(r string) bool { return strings.EqualFold(r, text) })
			} else {
				ok = strings.Contains(doc.String(), strings.ToLower(text))
			}
			if ok != (a.Do == WrongAnswers) {
				sel = append(sel, string(rune('A'+j)))
			}
		}
		if !it.Multiple && len(sel) > 1 {
			sel = sel[:1]
		}
		out = append(out, ans{N: it.N, Selected: sel})
	}
	b, _ := json.Marshal(map[string]any{"answers": out})
	return string(b), "stop"
}
