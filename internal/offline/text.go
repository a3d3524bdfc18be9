package offline

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// sentence is one sentence of a page.
type sentence struct {
	page  int    // page number
	raw   string // verbatim substring of the page text: the quote
	clean string // raw with line-break hyphenation joined and white space folded: shown to people
	toks  []token
	index int // order on its page
}

// token is one word of a sentence's clean text.
type token struct {
	start, end int    // byte offsets into clean
	key        string // normalised form, for matching
	upper      bool   // starts with an upper-case letter
}

// Limits on the sentences questions are made from.
const (
	minWords    = 8
	maxWords    = 40
	minCJKRunes = 12  // for text written without spaces
	maxCJKRunes = 100 // (Chinese, Japanese)
	maxQuote    = 300 // qcheck.MaxQuoteLen
)

// abbreviations end with a full stop that does not end a sentence.
var abbreviations = set("e.g i.e etc vs mr mrs ms dr prof st fig figs no nos approx ca cf al z.b d.h usw bzw vgl p pp vol ed eds jr sr inc ltd co mt dept univ resp min max sec chap art nr bspw ggf evtl sog mme mlle env av apr jan feb mar jun jul aug sep sept oct nov dec")

// splitSentences returns the sentences of one page's text, each with its
// verbatim span. Paragraph breaks (blank lines) always end a sentence, and
// a heading line glued to the sentence after it is cut off.
func splitSentences(pageNum int, text string) []sentence {
	var out []sentence
	start := 0
	emit := func(end int) {
		if raw := strings.TrimSpace(trimHeadings(text[start:end])); raw != "" {
			c := cleanText(raw)
			out = append(out, sentence{page: pageNum, raw: raw, clean: c, toks: tokenize(c), index: len(out)})
		}
		start = end
	}
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		next := i + size
		switch {
		case r == '\n' && paragraphBreak(text[next:]):
			emit(i)
		case r == '。' || r == '！' || r == '？':
			emit(next + closingLen(text[next:]))
			next = start
		case r == '.' || r == '!' || r == '?':
			end := next + closingLen(text[next:])
			if endsSentence(text, i, end) {
				emit(end)
				next = start
			}
		}
		i = next
	}
	emit(len(text))
	return out
}

// paragraphBreak reports whether rest (the text after a newline) starts
// with another newline, perhaps after spaces: a blank line.
func paragraphBreak(rest string) bool {
	t := strings.TrimLeft(rest, " \t\r\u00a0")
	return strings.HasPrefix(t, "\n")
}

// closingLen is the byte length of the closing quotes and brackets at the
// start of s.
func closingLen(s string) int {
	n := 0
	for _, r := range s {
		if !strings.ContainsRune(`"'”“’»«)]」』`, r) {
			break
		}
		n += utf8.RuneLen(r)
	}
	return n
}

// endsSentence decides whether the terminal mark at text[i] (its closing
// quotes running to end) ends a sentence: it must be followed by white
// space and then not by a lower-case letter, and a full stop must not
// follow an abbreviation, an initial or a number.
func endsSentence(text string, i, end int) bool {
	rest := text[end:]
	if rest == "" {
		return true
	}
	r, _ := utf8.DecodeRuneInString(rest)
	if !unicode.IsSpace(r) {
		return false
	}
	if n, _ := utf8.DecodeRuneInString(strings.TrimLeftFunc(rest, unicode.IsSpace)); unicode.IsLower(n) {
		return false
	}
	if text[i] != '.' {
		return true
	}
	// The word before the full stop.
	j := i
	for j > 0 {
		p, size := utf8.DecodeLastRuneInString(text[:j])
		if !(unicode.IsLetter(p) || p == '.') {
			break
		}
		j -= size
	}
	word := strings.ToLower(strings.Trim(text[j:i], "."))
	if _, ok := abbreviations[word]; ok {
		return false
	}
	if utf8.RuneCountInString(word) == 1 && unicode.IsUpper([]rune(text[j:i])[0]) {
		if p, _ := utf8.DecodeLastRuneInString(text[:j]); j == 0 || unicode.IsSpace(p) {
			return false // an initial, "J. Smith"
		}
	}
	return true
}

// trimHeadings cuts heading lines ("Chapter 2", "The Water Cycle") off the
// start of a sentence span and returns what is left, the heading lines
// being dropped: a heading is a short line without final punctuation whose
// words all start with a capital or a digit, followed by a line that
// starts with a capital.
func trimHeadings(span string) string {
	for {
		span = strings.TrimLeft(span, " \t\r\n")
		nl := strings.IndexByte(span, '\n')
		if nl < 0 {
			return span
		}
		line := strings.TrimSpace(span[:nl])
		rest := strings.TrimLeft(span[nl+1:], " \t\r")
		if !isHeading(line) {
			return span
		}
		if r, _ := utf8.DecodeRuneInString(rest); !(unicode.IsUpper(r) || unicode.IsDigit(r)) {
			return span
		}
		span = rest
	}
}

func isHeading(line string) bool {
	words := strings.Fields(line)
	if len(words) == 0 || len(words) > 8 {
		return false
	}
	last, _ := utf8.DecodeLastRuneInString(line)
	if strings.ContainsRune(".,;:!?", last) {
		return false
	}
	for _, w := range words {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLower(r) && !isMinorWord(w) {
			return false
		}
	}
	return true
}

// isMinorWord reports words that a title-cased heading keeps lower-case.
func isMinorWord(w string) bool {
	_, ok := minorWords[strings.ToLower(w)]
	return ok
}

var minorWords = set("a an the of and or in on at to for by with from de la le les des du et und der die das von im zu el los las y en del")

// cleanText joins words hyphenated across lines ("photo-\nsynthesis")
// and folds white space.
func cleanText(raw string) string {
	var b strings.Builder
	lines := strings.Split(raw, "\n")
	for i, l := range lines {
		l = strings.TrimSpace(l)
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			s := b.String()
			last, size := utf8.DecodeLastRuneInString(s)
			prev, _ := utf8.DecodeLastRuneInString(s[:len(s)-size])
			first, _ := utf8.DecodeRuneInString(l)
			switch {
			case (last == '-' || last == '\u00ad') && unicode.IsLetter(prev) && unicode.IsLower(first):
				b.Reset()
				b.WriteString(s[:len(s)-size])
			case i > 0:
				b.WriteByte(' ')
			}
		}
		b.WriteString(l)
	}
	return strings.Join(strings.Fields(strings.ReplaceAll(b.String(), "\u00ad", "")), " ")
}

// tokenize returns the words of s: runs of letters, digits and marks, with
// inner hyphens and apostrophes.
func tokenize(s string) []token {
	var toks []token
	start := -1
	flush := func(end int) {
		if start >= 0 {
			w := s[start:end]
			r, _ := utf8.DecodeRuneInString(w)
			toks = append(toks, token{start: start, end: end, key: wordKey(w), upper: unicode.IsUpper(r)})
			start = -1
		}
	}
	for i, r := range s {
		word := unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r)
		if !word && start >= 0 && (r == '-' || r == '\'' || r == '’') {
			if n, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(r):]); unicode.IsLetter(n) {
				word = true
				// French elision: "l’énergie" is "l’" + "énergie".
				if _, ok := elisions[strings.ToLower(s[start:i])]; ok && r != '-' {
					flush(i)
					continue
				}
			}
		}
		if word {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(s))
	return toks
}

var elisions = set("l d j m n s t c qu jusqu lorsqu puisqu")

// isCJK reports whether s is mostly written without spaces between words.
func isCJK(s string) bool {
	cjk, letters := 0, 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			letters++
			if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
				cjk++
			}
		}
	}
	return letters > 0 && cjk*2 > letters
}

func set(words string) map[string]struct{} {
	m := map[string]struct{}{}
	for _, w := range strings.Fields(words) {
		m[w] = struct{}{}
	}
	return m
}
