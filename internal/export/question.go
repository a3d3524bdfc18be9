package export

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// checkQuestion reports why q cannot be exported in any format, or "".
// Formats rely on these guarantees: a choice question has options and the
// right number of correct ones, a true/false question has a truth value, a
// fill-in-the-blank prompt holds exactly one blank, and so on.
func checkQuestion(q *quizflow.Question) string {
	if strings.TrimSpace(q.Prompt) == "" {
		return "it has no prompt"
	}
	switch q.Type {
	case quizflow.MultipleChoice, quizflow.MultipleAnswer:
		if len(q.Options) < 2 {
			return "it has fewer than two options"
		}
		correct := 0
		for _, o := range q.Options {
			if strings.TrimSpace(o.Text) == "" {
				return "it has an empty option"
			}
			if o.Correct {
				correct++
			}
		}
		if correct == 0 {
			return "no option is marked correct"
		}
		if q.Type == quizflow.MultipleChoice && correct > 1 {
			return fmt.Sprintf("%d options are marked correct, multiple_choice needs exactly one", correct)
		}
	case quizflow.TrueFalse:
		if _, ok := truth(q); !ok {
			return "it has no correct True or False option"
		}
	case quizflow.ShortAnswer:
		if len(nonEmpty(q.Answers)) == 0 {
			return "it has no accepted answer"
		}
	case quizflow.FillInBlank:
		if n := strings.Count(q.Prompt, quizflow.BlankMarker); n != 1 {
			return fmt.Sprintf("its prompt holds %d blanks (%s), it needs exactly one", n, quizflow.BlankMarker)
		}
		if len(nonEmpty(q.Answers)) == 0 {
			return "it has no accepted answer"
		}
	case quizflow.Matching:
		if len(q.Pairs) < 2 {
			return "it has fewer than two pairs"
		}
		for _, p := range q.Pairs {
			if strings.TrimSpace(p.Left) == "" || strings.TrimSpace(p.Right) == "" {
				return "it has a pair with an empty side"
			}
		}
	case quizflow.Essay:
	default:
		return "unknown question type"
	}
	return ""
}

// truth returns the correct answer of a true/false question: the text of
// its correct option ("True" or "False", any case), or failing options its
// first accepted answer.
func truth(q *quizflow.Question) (value, ok bool) {
	for _, o := range q.Options {
		if o.Correct {
			return parseBool(o.Text)
		}
	}
	if len(q.Options) == 0 && len(q.Answers) > 0 {
		return parseBool(q.Answers[0])
	}
	return false, false
}

func parseBool(s string) (value, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "t", "yes":
		return true, true
	case "false", "f", "no":
		return false, true
	}
	return false, false
}

// nonEmpty returns the answers that hold more than white space, trimmed.
func nonEmpty(answers []string) []string {
	var out []string
	for _, a := range answers {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// splitBlank splits a fill-in-the-blank prompt around its blank.
func splitBlank(prompt string) (before, after string) {
	before, after, _ = strings.Cut(prompt, quizflow.BlankMarker)
	return before, after
}

// correctCount is the number of options marked correct.
func correctCount(q *quizflow.Question) int {
	n := 0
	for _, o := range q.Options {
		if o.Correct {
			n++
		}
	}
	return n
}

// cleanText drops characters XML 1.0 cannot hold (C0 controls other than
// tab, newline and carriage return; U+FFFE and U+FFFF) and replaces invalid
// UTF-8, returning how many were removed or replaced. Carriage returns are
// folded into newlines. No format has a use for these characters, so all
// formats apply the same rule.
func cleanText(s string) (string, int) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	ok := true
	for _, c := range s {
		if !xmlChar(c) || c == utf8.RuneError {
			ok = false
			break
		}
	}
	if ok {
		return s, 0
	}
	removed := 0
	var b strings.Builder
	for i := 0; i < len(s); {
		c, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case c == utf8.RuneError && size == 1:
			removed++
			b.WriteRune(utf8.RuneError)
		case !xmlChar(c):
			removed++
		default:
			b.WriteRune(c)
		}
	}
	return b.String(), removed
}

func xmlChar(c rune) bool {
	return c == '\t' || c == '\n' || c == '\r' ||
		(c >= 0x20 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) || (c >= 0x10000 && c <= 0x10FFFF)
}

// cleanQuestion returns a copy of q with every text field cleaned.
func cleanQuestion(q quizflow.Question) (quizflow.Question, int) {
	total := 0
	clean := func(s *string) {
		var n int
		*s, n = cleanText(*s)
		total += n
	}
	clean(&q.Prompt)
	clean(&q.Explanation)
	q.Options = append([]quizflow.Option(nil), q.Options...)
	for i := range q.Options {
		clean(&q.Options[i].Text)
	}
	q.Answers = append([]string(nil), q.Answers...)
	for i := range q.Answers {
		clean(&q.Answers[i])
	}
	q.Pairs = append([]quizflow.Pair(nil), q.Pairs...)
	for i := range q.Pairs {
		clean(&q.Pairs[i].Left)
		clean(&q.Pairs[i].Right)
	}
	return q, total
}

// permutation returns a deterministic shuffle of 0..n-1 seeded from the
// quiz ID, quiz version, question ID and salt. It uses its own generator
// (splitmix64 over FNV-1a) so the order never changes with the Go release.
func (r *run) permutation(it *item, salt string, n int) []int {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%d\x00%s", r.quiz.ID, r.quiz.Version, it.Q.ID, it.N, salt)
	state := h.Sum64()
	next := func() uint64 {
		state += 0x9E3779B97F4A7C15
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		return z ^ (z >> 31)
	}
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	for i := n - 1; i > 0; i-- {
		j := int(next() % uint64(i+1))
		p[i], p[j] = p[j], p[i]
	}
	return p
}

// options returns the options of a choice question in file order: shuffled
// when the format reorders in the file and ShuffleAnswers is set.
func (r *run) options(it *item, reorder bool) []quizflow.Option {
	opts := it.Q.Options
	if !reorder || !r.opts.ShuffleAnswers {
		return opts
	}
	out := make([]quizflow.Option, len(opts))
	for i, j := range r.permutation(it, "options", len(opts)) {
		out[i] = opts[j]
	}
	return out
}

// formatPoints writes a score without trailing zeros ("1", "2.5").
func formatPoints(p float64) string {
	return strconv.FormatFloat(p, 'f', -1, 64)
}

// percent writes a share of 100 the way Moodle lists grade fractions:
// at most five decimals ("33.33333", "50", "-100").
func percent(v float64) string {
	s := strconv.FormatFloat(v, 'f', 5, 64)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if s == "-0" {
		s = "0"
	}
	return s
}

// letter names the i-th option: A, B, ... Z, then AA, AB ...
func letter(i int) string {
	if i < 26 {
		return string(rune('A' + i))
	}
	return letter(i/26-1) + letter(i%26)
}

// asciiFold maps common accented Latin letters to ASCII for file names.
var asciiFold = map[rune]string{
	'à': "a", 'á': "a", 'â': "a", 'ã': "a", 'ä': "a", 'å': "a", 'æ': "ae",
	'ç': "c", 'è': "e", 'é': "e", 'ê': "e", 'ë': "e", 'ì': "i", 'í': "i",
	'î': "i", 'ï': "i", 'ñ': "n", 'ò': "o", 'ó': "o", 'ô': "o", 'õ': "o",
	'ö': "o", 'ø': "o", 'œ': "oe", 'ù': "u", 'ú': "u", 'û': "u", 'ü': "u",
	'ý': "y", 'ÿ': "y", 'ß': "ss", 'ł': "l", 'ś': "s", 'š': "s", 'ž': "z",
	'ź': "z", 'ż': "z", 'č': "c", 'ć': "c", 'ř': "r", 'ğ': "g", 'ı': "i",
	'ş': "s", 'đ': "d", 'ð': "d", 'þ': "th",
}

// fileName makes a safe ASCII file name from a quiz title: lower-case
// letters, digits and single hyphens, at most 80 characters before the
// extension, "quiz" when nothing is left.
func fileName(title, ext string) string {
	var b strings.Builder
	hyphen := false
	for _, c := range strings.ToLower(title) {
		var s string
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			s = string(c)
		case asciiFold[c] != "":
			s = asciiFold[c]
		default:
			hyphen = b.Len() > 0
			continue
		}
		if hyphen {
			b.WriteByte('-')
			hyphen = false
		}
		b.WriteString(s)
	}
	name := b.String()
	if len(name) > 80 {
		name = strings.TrimRight(name[:80], "-")
	}
	if name == "" {
		name = "quiz"
	}
	return name + ext
}
