package export

import (
	"strconv"
	"strings"
	"testing"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// giftIndex returns the index of the first unescaped occurrence of sub in
// s, or -1.
func giftIndex(s, sub string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' {
			i++
			continue
		}
		if strings.HasPrefix(s[i:], sub) {
			return i
		}
	}
	return -1
}

// giftUnescape undoes backslash escapes of GIFT specials.
func giftUnescape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && strings.IndexByte(`\~=#{}:`, s[i+1]) >= 0 {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

type giftAnswer struct {
	kind   byte // '=' or '~'
	weight string
	text   string // still escaped
}

// giftAnswers splits an answer block at unescaped = and ~.
func giftAnswers(s string) []giftAnswer {
	var out []giftAnswer
	start := -1
	flush := func(end int) {
		if start >= 0 {
			a := giftAnswer{kind: s[start], text: s[start+1 : end]}
			if strings.HasPrefix(a.text, "%") {
				if j := strings.Index(a.text[1:], "%"); j >= 0 {
					a.weight, a.text = a.text[1:j+1], a.text[j+2:]
				}
			}
			a.text = strings.TrimSpace(a.text)
			out = append(out, a)
		}
	}
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '=', '~':
			flush(i)
			start = i
		}
	}
	flush(len(s))
	return out
}

// readGIFT parses GIFT the way Moodle's importer does, for the forms the
// exporter writes.
func readGIFT(t *testing.T, data []byte) (category string, out []parsed) {
	t.Helper()
	var blocks [][]string
	var cur []string
	for _, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, "//"):
		case strings.HasPrefix(line, "$CATEGORY: "):
			category = strings.TrimPrefix(line, "$CATEGORY: ")
		case strings.TrimSpace(line) == "":
			if cur != nil {
				blocks = append(blocks, cur)
				cur = nil
			}
		default:
			cur = append(cur, line)
		}
	}
	if cur != nil {
		blocks = append(blocks, cur)
	}
	for _, lines := range blocks {
		s := strings.Join(lines, "\n")
		if !strings.HasPrefix(s, "::") {
			t.Fatalf("gift: no name in %q", s)
		}
		end := giftIndex(s[2:], "::")
		s = s[2+end+2:]
		isHTML := strings.HasPrefix(s, "[html]")
		if !isHTML {
			t.Fatalf("gift: text not marked [html]: %q", s)
		}
		s = strings.TrimPrefix(s, "[html]")
		open := giftIndex(s, "{")
		closing := open + giftIndex(s[open:], "}")
		if open < 0 || closing < open {
			t.Fatalf("gift: no answer block in %q", s)
		}
		rich := func(x string) string { return fromHTML(giftUnescape(x)) }
		plain := func(x string) string { return strings.ReplaceAll(giftUnescape(x), `\*`, "*") }
		before, block, after := s[:open], s[open+1:closing], s[closing+1:]
		p := parsed{}
		if i := giftIndex(block, "####"); i >= 0 {
			p.Feedback = rich(strings.TrimSpace(block[i+4:]))
			block = block[:i]
		}
		block = strings.TrimSpace(block)
		answers := giftAnswers(block)
		switch {
		case block == "":
			p.Type = quizflow.Essay
		case block == "TRUE" || block == "FALSE":
			p.Type = quizflow.TrueFalse
			p.Options = []parsedOption{{"True", block == "TRUE"}, {"False", block == "FALSE"}}
		case len(answers) > 0 && answers[0].kind == '=' && giftIndex(answers[0].text, " -> ") >= 0:
			p.Type = quizflow.Matching
			for _, a := range answers {
				i := strings.Index(a.text, " -> ")
				p.Pairs = append(p.Pairs, quizflow.Pair{Left: rich(a.text[:i]), Right: plain(a.text[i+4:])})
			}
		default:
			tildes, weighted := 0, 0
			for _, a := range answers {
				if a.kind == '~' {
					tildes++
				}
				if a.weight != "" {
					weighted++
				}
			}
			switch {
			case tildes == 0:
				p.Type = quizflow.ShortAnswer
				if strings.TrimSpace(after) != "" {
					p.Type = quizflow.FillInBlank
				}
				for _, a := range answers {
					p.Answers = append(p.Answers, plain(a.text))
				}
			case weighted > 0:
				p.Type = quizflow.MultipleAnswer
				for _, a := range answers {
					w, err := strconv.ParseFloat(a.weight, 64)
					if err != nil {
						t.Fatalf("gift: weight %q", a.weight)
					}
					p.Options = append(p.Options, parsedOption{rich(a.text), w > 0})
				}
			default:
				p.Type = quizflow.MultipleChoice
				for _, a := range answers {
					p.Options = append(p.Options, parsedOption{rich(a.text), a.kind == '='})
				}
			}
		}
		if p.Type == quizflow.FillInBlank {
			p.Prompt = rich(before) + quizflow.BlankMarker + rich(after)
		} else {
			if strings.TrimSpace(after) != "" {
				t.Errorf("gift: text after the answers of a %s: %q", p.Type, after)
			}
			p.Prompt = rich(strings.TrimSuffix(before, " "))
		}
		out = append(out, p)
	}
	return category, out
}

func TestGIFTParseBack(t *testing.T) {
	quiz := fixture(t)
	f := render(t, quiz, "gift", parseBackOptions)
	category, got := readGIFT(t, f.Data)
	if want := "$course$/top/Photosynthesis & Naïve Café: <Special> \"Characters\" Quiz"; moodleShown(category) != want {
		t.Errorf("category shows as %q, want %q", moodleShown(category), want)
	}
	checkParsed(t, "gift", got, want(quiz, parseBackOptions, expectation{feedback: true}))
	if !hasWarning(f.Warnings, "question 7 (essay): model answer left out") ||
		!hasWarning(f.Warnings, "question 1: its 2 points are not in the file") {
		t.Errorf("warnings = %q", f.Warnings)
	}
}

func TestGIFTEscaping(t *testing.T) {
	for in, want := range map[string]string{
		`a~b=c#d{e}f:g\h`: `a\~b\=c\#d\{e\}f\:g\\h`,
		"plain":           "plain",
	} {
		if got := giftText(in); got != want {
			t.Errorf("giftText(%q) = %q, want %q", in, got, want)
		}
		if back := giftUnescape(giftText(in)); back != in {
			t.Errorf("round trip of %q gave %q", in, back)
		}
	}
}
