package qcheck

import (
	"strings"
	"unicode"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// A quote is non-trivial, and so able to ground a question, when it has at
// least MinQuoteWords words or MinQuoteChars letters and digits (spaces and
// punctuation not counted). Scripts written without spaces (Chinese,
// Japanese) need MinQuoteIdeographs characters instead.
const (
	MinQuoteWords      = 4
	MinQuoteChars      = 20
	MinQuoteIdeographs = 8
)

// Grounded reports whether q.Source.Quote is a non-trivial quote that occurs
// in the text of page q.Source.Page (a page's Number, not its index).
//
// The match tolerates differences of case, white space, punctuation, quote
// marks, accents, ligatures and hyphenation ("photo-\nsynthesis" matches
// "photosynthesis"): both sides are compared in Normalize's form with the
// spaces removed. An ellipsis ("..." or "…") in the quote stands for omitted
// text: the pieces around it must occur on the page in order.
func Grounded(q quizflow.Question, pages []quizflow.Page) bool {
	for _, p := range pages {
		if p.Number == q.Source.Page {
			return QuoteOnPage(q.Source.Quote, p.Text)
		}
	}
	return false
}

// FindQuote returns the number of the first page on which quote occurs (as
// Grounded matches it), so a question whose model cited the wrong page can
// be corrected. ok is false when the quote is trivial or occurs nowhere.
func FindQuote(quote string, pages []quizflow.Page) (page int, ok bool) {
	return NewGrounder(pages).Find(quote)
}

// QuoteOnPage reports whether quote is non-trivial and occurs in text, as
// Grounded matches it.
func QuoteOnPage(quote, text string) bool {
	pieces, ok := quotePieces(quote)
	return ok && containsInOrder(compact(text), pieces)
}

// NonTrivialQuote reports whether quote is long enough to ground a
// question (see MinQuoteWords).
func NonTrivialQuote(quote string) bool {
	_, ok := quotePieces(quote)
	return ok
}

// Grounder answers grounding questions about one document, normalising each
// page once: use it instead of Grounded and FindQuote when checking many
// questions against a long document. It is safe for concurrent use.
type Grounder struct {
	numbers []int
	texts   []string // compact forms, by index of numbers
}

// NewGrounder prepares pages for Grounded and Find.
func NewGrounder(pages []quizflow.Page) *Grounder {
	g := &Grounder{numbers: make([]int, len(pages)), texts: make([]string, len(pages))}
	for i, p := range pages {
		g.numbers[i] = p.Number
		g.texts[i] = compact(p.Text)
	}
	return g
}

// Grounded is the package-level Grounded against g's pages.
func (g *Grounder) Grounded(q quizflow.Question) bool {
	pieces, ok := quotePieces(q.Source.Quote)
	if !ok {
		return false
	}
	for i, n := range g.numbers {
		if n == q.Source.Page {
			return containsInOrder(g.texts[i], pieces)
		}
	}
	return false
}

// Find is the package-level FindQuote against g's pages.
func (g *Grounder) Find(quote string) (page int, ok bool) {
	pieces, ok := quotePieces(quote)
	if !ok {
		return 0, false
	}
	for i, t := range g.texts {
		if containsInOrder(t, pieces) {
			return g.numbers[i], true
		}
	}
	return 0, false
}

// quotePieces splits quote at ellipses into compact pieces and reports
// whether it is non-trivial. Empty pieces (a leading or trailing ellipsis)
// are dropped.
func quotePieces(quote string) ([]string, bool) {
	quote = strings.ReplaceAll(quote, "…", "...")
	var pieces []string
	words, chars, ideographs := 0, 0, 0
	for raw := range strings.SplitSeq(quote, "...") {
		n := Normalize(raw)
		if n == "" {
			continue
		}
		words += strings.Count(n, " ") + 1
		for _, r := range n {
			switch {
			case unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Thai, unicode.Lao, unicode.Khmer, unicode.Myanmar):
				ideographs++
				chars++
			case r != ' ':
				chars++
			}
		}
		pieces = append(pieces, strings.ReplaceAll(n, " ", ""))
	}
	if len(pieces) == 0 {
		return nil, false
	}
	return pieces, words >= MinQuoteWords || chars >= MinQuoteChars || ideographs >= MinQuoteIdeographs
}

// containsInOrder reports whether every piece occurs in text, each after
// the end of the one before.
func containsInOrder(text string, pieces []string) bool {
	for _, p := range pieces {
		i := strings.Index(text, p)
		if i < 0 {
			return false
		}
		text = text[i+len(p):]
	}
	return true
}
