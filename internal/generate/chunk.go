package generate

import (
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Chunk is a run of whole pages (or pieces of one long page) sent to the
// model in one call.
type Chunk struct {
	// Index is the chunk's position in the document, from 0.
	Index int
	// Pages are the pages or page pieces, in order. A piece keeps the
	// number of the page it was cut from, so citations stay right.
	Pages []quizflow.Page
	// Tokens is the chunk's size by the Tokenizer.
	Tokens int
	// Hash identifies the chunk's text (hex SHA-256), so a cached result
	// is only reused for the same text.
	Hash string
}

// FirstPage and LastPage return the chunk's page range.
func (c Chunk) FirstPage() int { return c.Pages[0].Number }

// LastPage returns the number of the chunk's last page.
func (c Chunk) LastPage() int { return c.Pages[len(c.Pages)-1].Number }

// piece is a unit the packer places: a whole page or part of one.
type piece struct {
	page   int
	text   string
	tokens int
}

var (
	paragraphSep = regexp.MustCompile(`\n\s*\n`)
	sentenceEnd  = regexp.MustCompile(`[.!?。！？]["')\]]*\s+`)
)

// SplitPages packs pages into chunks of at most budget tokens each (by
// tok), keeping pages whole where they fit. A page longer than budget is
// split by paragraphs, a paragraph longer than budget by sentences, and a
// sentence longer than budget at word boundaries. Blank pages are left out.
func SplitPages(pages []quizflow.Page, tok Tokenizer, budget int) []Chunk {
	if budget < 50 {
		budget = 50
	}
	var pieces []piece
	for _, p := range pages {
		text := strings.TrimSpace(p.Text)
		if text == "" {
			continue
		}
		n := tok.Count(text)
		if n <= budget {
			pieces = append(pieces, piece{p.Number, text, n})
			continue
		}
		pieces = append(pieces, splitLong(p.Number, text, tok, budget)...)
	}

	var chunks []Chunk
	var cur []piece
	curTokens := 0
	flush := func() {
		if len(cur) == 0 {
			return
		}
		c := Chunk{Index: len(chunks), Tokens: curTokens}
		h := sha256.New()
		for _, pc := range cur {
			if k := len(c.Pages); k > 0 && c.Pages[k-1].Number == pc.page {
				c.Pages[k-1].Text += "\n\n" + pc.text
			} else {
				c.Pages = append(c.Pages, quizflow.Page{Number: pc.page, Text: pc.text})
			}
		}
		for _, p := range c.Pages {
			h.Write([]byte{0})
			h.Write([]byte(p.Text))
		}
		c.Hash = hex.EncodeToString(h.Sum(nil))
		chunks = append(chunks, c)
		cur, curTokens = nil, 0
	}
	for _, pc := range pieces {
		if curTokens+pc.tokens > budget {
			flush()
		}
		cur = append(cur, pc)
		curTokens += pc.tokens
	}
	flush()
	return chunks
}

// splitLong cuts one over-long page into pieces of at most budget tokens,
// at the largest boundary that works: paragraphs, then sentences, then
// words.
func splitLong(page int, text string, tok Tokenizer, budget int) []piece {
	var units []piece
	for _, para := range paragraphSep.Split(text, -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		n := tok.Count(para)
		if n <= budget {
			units = append(units, piece{page, para, n})
			continue
		}
		for _, s := range splitKeep(para, sentenceEnd) {
			m := tok.Count(s)
			if m <= budget {
				units = append(units, piece{page, s, m})
				continue
			}
			units = append(units, splitWords(page, s, tok, budget, m)...)
		}
	}
	// Pack the units back together up to the budget.
	var out []piece
	for _, u := range units {
		if k := len(out); k > 0 && out[k-1].tokens+u.tokens+1 <= budget {
			out[k-1].text += "\n\n" + u.text
			out[k-1].tokens += u.tokens + 1
			continue
		}
		out = append(out, u)
	}
	return out
}

// splitKeep splits s after each match of re, keeping the separators with
// the text before them.
func splitKeep(s string, re *regexp.Regexp) []string {
	var out []string
	last := 0
	for _, m := range re.FindAllStringIndex(s, -1) {
		out = append(out, strings.TrimSpace(s[last:m[1]]))
		last = m[1]
	}
	if rest := strings.TrimSpace(s[last:]); rest != "" {
		out = append(out, rest)
	}
	return out
}

// splitWords cuts a text of n tokens with no better boundary into windows
// of words that each fit budget.
func splitWords(page int, s string, tok Tokenizer, budget, n int) []piece {
	words := strings.Fields(s)
	per := max(1, int(math.Floor(float64(len(words))*float64(budget)/float64(n)*0.9)))
	var out []piece
	for i := 0; i < len(words); {
		j := min(len(words), i+per)
		for {
			t := strings.Join(words[i:j], " ")
			c := tok.Count(t)
			if c <= budget || j-i == 1 {
				out = append(out, piece{page, t, c})
				break
			}
			j = i + max(1, (j-i)*9/10)
		}
		i = j
	}
	return out
}

// minChunkTokens is the size below which a chunk gets questions only when
// no chunk is larger: a stray caption or page number is not worth a call.
const minChunkTokens = 40

// allocate spreads n questions over chunks in proportion to their tokens:
// each chunk of meaningful size gets the whole part of its quota, and the
// remaining seats go to the fractional parts by systematic sampling, which
// hands them out in proportion to the fractions while spreading them
// across the document (plain largest remainder would give every seat of a
// short quiz over many equal chunks to the first chunks).
func allocate(chunks []Chunk, n int) []int {
	w := make([]float64, len(chunks))
	any := false
	for i, c := range chunks {
		if c.Tokens >= minChunkTokens {
			w[i], any = float64(c.Tokens), true
		}
	}
	if !any {
		for i, c := range chunks {
			w[i] = float64(max(c.Tokens, 1))
		}
	}
	return apportion(w, n)
}

// apportion divides n seats in proportion to weights (see allocate).
// Zero weights get no seats.
func apportion(w []float64, n int) []int {
	out := make([]int, len(w))
	total := 0.0
	for _, x := range w {
		total += x
	}
	if n <= 0 || total <= 0 {
		return out
	}
	seated := 0
	frac := make([]float64, len(w))
	for i := range w {
		q := float64(n) * w[i] / total
		out[i] = int(math.Floor(q))
		frac[i] = q - float64(out[i])
		seated += out[i]
	}
	rest := n - seated
	// Walk the cumulative fractions; a seat goes to the chunk whose span
	// holds each point 0.5, 1.5, 2.5, ...
	cum, next := 0.0, 0.5
	for i := range w {
		cum += frac[i]
		for rest > 0 && cum > next-1e-9 {
			out[i]++
			rest--
			next++
		}
	}
	for i := len(w) - 1; rest > 0 && i >= 0; i-- { // float rounding leftovers
		if w[i] > 0 {
			out[i]++
			rest--
		}
	}
	return out
}
