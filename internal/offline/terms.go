package offline

import (
	"math"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/qcheck"
)

// term is a key term of the document: a word or phrase worth asking about.
type term struct {
	key     string // normalised words joined by spaces
	words   int
	surface string // the most common written form, preferring mid-sentence ones
	freq    int
	proper  bool // capitalised in the middle of sentences (names; German nouns)
	acronym bool
	det     bool // seen after a determiner: a noun
	score   float64
}

// wordKey is the form in which words are compared.
func wordKey(w string) string { return strings.ReplaceAll(qcheck.Normalize(w), " ", "") }

func isStopword(key string) bool {
	_, ok := stopwords[key]
	return ok
}

// isDeterminer reports determiners and prepositions, which come before
// nouns.
func isDeterminer(key string) bool {
	_, ok := determiners[key]
	return ok
}

// verbal reports English verb forms ("stored", "growing"), which make poor
// ends of a key phrase.
func verbal(word string) bool {
	return strings.HasSuffix(word, "ed") || strings.HasSuffix(word, "ing")
}

// participle reports French past participles ("appelés"), by the written
// form, since Normalize drops the accent that marks them.
func participle(form string) bool {
	f := strings.ToLower(form)
	for _, suffix := range []string{"é", "és", "ée", "ées"} {
		if strings.HasSuffix(f, suffix) {
			return true
		}
	}
	return false
}

// extractTerms finds the key terms of the sentences: words and phrases
// that are frequent, capitalised mid-sentence or long, and not stopwords.
func extractTerms(sents []sentence) map[string]*term {
	type stat struct {
		freq, mid, midUpper, det int
		forms                    map[string]int
	}
	stats := map[string]*stat{}
	see := func(key, form string, sentenceStart, upper, afterDet bool) {
		s := stats[key]
		if s == nil {
			s = &stat{forms: map[string]int{}}
			stats[key] = s
		}
		s.freq++
		if !sentenceStart {
			s.mid++
			s.forms[form] += 2 // mid-sentence spelling is the canonical one
			if upper {
				s.midUpper++
			}
		} else {
			s.forms[form]++
		}
		if afterDet {
			s.det++
		}
	}
	for _, s := range sents {
		if isHeading(s.clean) {
			continue // title case would pass for names
		}
		for i, t := range s.toks {
			afterDet := i > 0 && isDeterminer(s.toks[i-1].key)
			if candidateWord(s.clean[t.start:t.end], t.key) {
				see(t.key, s.clean[t.start:t.end], i == 0, t.upper, afterDet)
			}
			// Phrases of two or three candidate words with only spaces
			// between them.
			for n := 2; n <= 3 && i+n <= len(s.toks); n++ {
				ok := true
				for k := i; k < i+n; k++ {
					tk := s.toks[k]
					if !candidateWord(s.clean[tk.start:tk.end], tk.key) || (k > i && strings.TrimSpace(s.clean[s.toks[k-1].end:tk.start]) != "") {
						ok = false
						break
					}
				}
				if !ok {
					break
				}
				var keys []string
				upper := true
				for k := i; k < i+n; k++ {
					keys = append(keys, s.toks[k].key)
					upper = upper && s.toks[k].upper
				}
				see(strings.Join(keys, " "), s.clean[t.start:s.toks[i+n-1].end], i == 0, upper, afterDet)
			}
		}
	}

	terms := map[string]*term{}
	for key, s := range stats {
		words := strings.Count(key, " ") + 1
		t := &term{key: key, words: words, freq: s.freq, det: s.det > 0}
		t.proper = s.mid > 0 && s.midUpper*2 > s.mid
		t.surface = bestForm(s.forms)
		t.acronym = words == 1 && utf8.RuneCountInString(t.surface) >= 2 && strings.ToUpper(t.surface) == t.surface && hasLetter(t.surface)
		n := utf8.RuneCountInString(key)
		switch {
		case words > 1:
			// Phrases must be names, or recur as nouns ("the thylakoid
			// membranes", not "takes place" or "energy stored").
			if !t.proper && (s.freq < 2 || !t.det || verbal(key[strings.LastIndexByte(key, ' ')+1:])) {
				continue
			}
			// A rare pairing of a common word ("water soaks") is a chance
			// meeting, not a term.
			if head := stats[key[:strings.IndexByte(key, ' ')]]; !t.proper && s.freq < 3 && head != nil && s.freq*5 < head.freq {
				continue
			}
		case t.acronym:
		case n < 4:
			continue
		case s.freq < 2 && !t.proper && (n < 9 || strings.HasSuffix(key, "ly")):
			continue
		case (verbal(key) || participle(t.surface)) && !t.det && !t.proper:
			continue // "growing", "appelés": verbs make poor answers
		}
		t.score = float64(s.freq) * (1 + 0.5*float64(words-1)) * math.Log2(2+float64(n))
		if t.proper {
			t.score *= 1.3
		}
		if t.det {
			t.score *= 1.3
		}
		terms[key] = t
	}
	// Drop single words that mostly occur inside a kept phrase ("dioxide"
	// in "carbon dioxide"), and phrases that occur only inside a longer one.
	var drop []string
	for key, o := range terms {
		if o.words == 1 {
			continue
		}
		words := strings.Split(key, " ")
		for n := 1; n < len(words); n++ {
			for i := 0; i+n <= len(words); i++ {
				sub := strings.Join(words[i:i+n], " ")
				if t, ok := terms[sub]; ok && o.freq*10 >= t.freq*8 {
					drop = append(drop, sub)
				}
			}
		}
	}
	for _, key := range drop {
		delete(terms, key)
	}
	return terms
}

// candidateWord reports whether a word may be part of a key term.
func candidateWord(form, key string) bool {
	if key == "" || isStopword(key) || !hasLetter(key) {
		return false
	}
	for _, r := range key {
		if unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana) {
			return false // whole runs of unspaced script are not terms
		}
	}
	return utf8.RuneCountInString(key) >= 3 || (strings.ToUpper(form) == form && utf8.RuneCountInString(form) >= 2)
}

func hasLetter(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// containsWords reports whether the phrase has the words of part, in
// order, at word boundaries.
func containsWords(phrase, part string) bool {
	return strings.Contains(" "+phrase+" ", " "+part+" ")
}

func bestForm(forms map[string]int) string {
	best, n := "", -1
	for f, c := range forms {
		if c > n || c == n && f < best {
			best, n = f, c
		}
	}
	return best
}

// occurrences returns the token indexes at which the term's words start in
// s.
func occurrences(s sentence, t *term) []int {
	words := strings.Split(t.key, " ")
	var at []int
	for i := 0; i+len(words) <= len(s.toks); i++ {
		ok := true
		for k, w := range words {
			if s.toks[i+k].key != w {
				ok = false
				break
			}
		}
		if ok {
			at = append(at, i)
		}
	}
	return at
}

// distractors returns up to n terms of the same kind as answer that can
// stand in its place in s: not the answer nor a variant of it, not already
// in the sentence, distinct from one another. The best matches come first.
func distractors(answer *term, s sentence, terms []*term, n int) []*term {
	type cand struct {
		t     *term
		score float64
	}
	sentKey := " " + strings.Join(tokenKeys(s), " ") + " "
	var cands []cand
	for _, t := range terms {
		if t == answer || related(t, answer) || strings.Contains(sentKey, " "+t.key+" ") {
			continue
		}
		cands = append(cands, cand{t, kindScore(answer, t)})
	}
	sort.SliceStable(cands, func(i, j int) bool {
		if cands[i].score != cands[j].score {
			return cands[i].score > cands[j].score
		}
		return cands[i].t.key < cands[j].t.key
	})
	var out []*term
	for _, c := range cands {
		if len(out) == n {
			break
		}
		clash := false
		for _, o := range out {
			if related(o, c.t) {
				clash = true
				break
			}
		}
		if !clash {
			out = append(out, c.t)
		}
	}
	return out
}

func tokenKeys(s sentence) []string {
	keys := make([]string, len(s.toks))
	for i, t := range s.toks {
		keys[i] = t.key
	}
	return keys
}

// related reports terms too alike to be offered together: one inside the
// other, the same stem ("evaporation", "evaporates") or near-identical.
func related(a, b *term) bool {
	if a.key == b.key || containsWords(a.key, b.key) || containsWords(b.key, a.key) {
		return true
	}
	ca, cb := strings.ReplaceAll(a.key, " ", ""), strings.ReplaceAll(b.key, " ", "")
	if len(ca) > len(cb) {
		ca, cb = cb, ca
	}
	// "water" and "groundwater", "Energie" and "Lichtenergie": compounds.
	if utf8.RuneCountInString(ca) >= 4 && (strings.HasPrefix(cb, ca) || strings.HasSuffix(cb, ca)) {
		return true
	}
	if commonPrefix(ca, cb) >= 6 || qcheck.Similarity(a.key, b.key) >= 0.6 {
		return true
	}
	return false
}

func commonPrefix(a, b string) int {
	n := 0
	ra, rb := []rune(a), []rune(b)
	for n < len(ra) && n < len(rb) && ra[n] == rb[n] {
		n++
	}
	return n
}

// kindScore rates how well d can pose as answer: the same number of words,
// both names or both common words, both acronyms, the same ending
// ("-tion", "-s"), nouns together, similar length.
func kindScore(answer, d *term) float64 {
	s := 0.0
	if answer.words == d.words {
		s += 2
	} else if (answer.words > 1) == (d.words > 1) {
		s += 1
	}
	if answer.proper == d.proper {
		s += 3
	}
	if answer.acronym == d.acronym {
		s += 3
	}
	if answer.det == d.det {
		s += 1
	}
	ea, ed := ending(answer.key), ending(d.key)
	if ea == ed {
		s += 2
	} else if lastRune(answer.key) == lastRune(d.key) {
		s += 0.5
	}
	la, ld := utf8.RuneCountInString(answer.key), utf8.RuneCountInString(d.key)
	s -= math.Abs(float64(la-ld)) / 6
	s += math.Log2(1+float64(d.freq)) / 4
	return s
}

func ending(key string) string {
	r := []rune(key)
	if len(r) < 3 {
		return key
	}
	return string(r[len(r)-3:])
}

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}
