package generate

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

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
	// glue marks a later part of one word cut for being too long: it is
	// joined to the part before it without a separator.
	glue bool
}

// sep is what goes between the piece before pc and pc on the same page.
func (pc piece) sep() string {
	if pc.glue {
		return ""
	}
	return "\n\n"
}

var (
	paragraphSep = regexp.MustCompile(`\n\s*\n`)
	sentenceEnd  = regexp.MustCompile(`[.!?。！？]["')\]]*\s+`)
)

// SplitPages packs pages into chunks of at most budget tokens each (by
// tok), keeping pages whole where they fit. A page longer than budget is
// split by paragraphs, a paragraph longer than budget by sentences, and a
// sentence longer than budget at word boundaries; a single word longer
// than budget is cut inside the word. Blank pages are left out.
func SplitPages(pages []quizflow.Page, tok Tokenizer, budget int) []Chunk {
	chunks, _ := SplitPagesContext(context.Background(), pages, tok, budget)
	return chunks
}

// SplitPagesContext is SplitPages that stops with ctx.Err() once ctx is
// done. All counting goes through CountTokens, so no tokenizer call sees
// a non-space run longer than MaxRun bytes.
func SplitPagesContext(ctx context.Context, pages []quizflow.Page, tok Tokenizer, budget int) ([]Chunk, error) {
	if budget < 50 {
		budget = 50
	}
	var pieces []piece
	for _, p := range pages {
		text := strings.TrimSpace(p.Text)
		if text == "" {
			continue
		}
		n, err := CountTokens(ctx, tok, text)
		if err != nil {
			return nil, err
		}
		if n <= budget {
			pieces = append(pieces, piece{page: p.Number, text: text, tokens: n})
			continue
		}
		long, err := splitLong(ctx, p.Number, text, tok, budget)
		if err != nil {
			return nil, err
		}
		pieces = append(pieces, long...)
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
				c.Pages[k-1].Text += pc.sep() + pc.text
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
	return chunks, nil
}

// splitLong cuts one over-long page into pieces of at most budget tokens,
// at the largest boundary that works: paragraphs, then sentences, then
// words.
func splitLong(ctx context.Context, page int, text string, tok Tokenizer, budget int) ([]piece, error) {
	var units []piece
	for _, para := range paragraphSep.Split(text, -1) {
		para = strings.TrimSpace(para)
		if para == "" {
			continue
		}
		n, err := CountTokens(ctx, tok, para)
		if err != nil {
			return nil, err
		}
		if n <= budget {
			units = append(units, piece{page: page, text: para, tokens: n})
			continue
		}
		for _, s := range splitKeep(para, sentenceEnd) {
			m, err := CountTokens(ctx, tok, s)
			if err != nil {
				return nil, err
			}
			if m <= budget {
				units = append(units, piece{page: page, text: s, tokens: m})
				continue
			}
			ws, err := splitWords(ctx, page, s, tok, budget, m)
			if err != nil {
				return nil, err
			}
			units = append(units, ws...)
		}
	}
	// Pack the units back together up to the budget.
	var out []piece
	for _, u := range units {
		if k := len(out); k > 0 && out[k-1].tokens+u.tokens+1 <= budget {
			out[k-1].text += u.sep() + u.text
			out[k-1].tokens += u.tokens + 1
			continue
		}
		out = append(out, u)
	}
	return out, nil
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
// of words that each fit budget. A word of more than budget bytes (which
// may hold more than budget tokens) is cut on its own by splitRun.
func splitWords(ctx context.Context, page int, s string, tok Tokenizer, budget, n int) ([]piece, error) {
	words := strings.Fields(s)
	// Cut the huge words first, so the window size is estimated from the
	// tokens of the others.
	huge := map[int][]piece{}
	normal := len(words)
	for k, w := range words {
		if len(w) <= budget {
			continue
		}
		parts, err := splitRun(ctx, page, w, tok, budget)
		if err != nil {
			return nil, err
		}
		huge[k] = parts
		normal--
		for _, p := range parts {
			n -= p.tokens
		}
	}
	per := max(1, int(math.Floor(float64(normal)*float64(budget)/float64(max(n, 1))*0.9)))
	var out []piece
	window := func(words []string) error {
		for i := 0; i < len(words); {
			j := min(len(words), i+per)
			for {
				t := strings.Join(words[i:j], " ")
				c, err := CountTokens(ctx, tok, t)
				if err != nil {
					return err
				}
				if c <= budget || j-i == 1 {
					out = append(out, piece{page: page, text: t, tokens: c})
					break
				}
				j = i + max(1, (j-i)*9/10)
			}
			i = j
		}
		return nil
	}
	start := 0
	for k := range words {
		parts, ok := huge[k]
		if !ok {
			continue
		}
		if err := window(words[start:k]); err != nil {
			return nil, err
		}
		out = append(out, parts...)
		start = k + 1
	}
	if err := window(words[start:]); err != nil {
		return nil, err
	}
	return out, nil
}

// splitRun cuts one word (no spaces) into parts of at most budget tokens,
// built from rune-aligned pieces of at most MaxRun bytes; every part after
// the first is glued to the one before it, so the word's text is kept.
func splitRun(ctx context.Context, page int, w string, tok Tokenizer, budget int) ([]piece, error) {
	var out []piece
	cur := piece{page: page}
	start := 0 // of cur in w
	for at := 0; at < len(w); {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		size := MaxRun
		var end, c int
		for {
			end = runeCut(w, at, size)
			var err error
			if c, err = CountTokens(ctx, tok, w[at:end]); err != nil {
				return nil, err
			}
			if c <= budget || size <= utf8.UTFMax {
				break
			}
			size /= 2
		}
		if cur.tokens > 0 && cur.tokens+c > budget {
			cur.text = w[start:at]
			out = append(out, cur)
			cur = piece{page: page, glue: true}
			start = at
		}
		cur.tokens += c
		at = end
	}
	cur.text = w[start:]
	return append(out, cur), nil
}

// runeCut returns the end of the longest piece of w from at of at most
// size bytes that ends on a rune boundary (at least one rune).
func runeCut(w string, at, size int) int {
	end := min(len(w), at+size)
	for end < len(w) && end > at+1 && !utf8.RuneStart(w[end]) {
		end--
	}
	if end == at { // unreachable with size >= 1, kept for safety
		_, n := utf8.DecodeRuneInString(w[at:])
		end = at + n
	}
	return end
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
