package extract

import (
	"math"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Layout thresholds, as fractions of the font size.
const (
	// wordGap: a horizontal gap wider than this between two glyphs is a
	// space. Word spaces are 0.25-0.33 em in common fonts (and wider when
	// justified); kerning moves glyphs by well under 0.1 em.
	wordGap = 0.15
	// sameLine: glyphs whose baselines differ by less than this share a
	// line (it tolerates superscripts and rounding).
	sameLine = 0.45
	// paraGap: a line gap this many times the page's usual line gap starts
	// a paragraph.
	paraGap = 1.25
)

type line struct {
	text    string
	y, size float64
	x0, x1  float64
}

// layoutPage turns a page's glyphs into text: lines by baseline, top to
// bottom; glyphs on a line left to right with spaces where the gap is wide;
// a blank line where the vertical gap is clearly wider than the page's usual
// line spacing or the font size changes; words hyphenated at line ends
// joined. Pages are read as one column: lines of side-by-side columns that
// share a baseline are merged.
func layoutPage(gs []glyph) string {
	gs = slices.DeleteFunc(gs, func(g glyph) bool {
		return g.s == "" || math.IsNaN(g.x) || math.IsNaN(g.y) || math.IsInf(g.x, 0) || math.IsInf(g.y, 0)
	})
	if len(gs) == 0 {
		return ""
	}
	for i := range gs {
		if gs[i].size <= 0 || gs[i].size > 1e4 {
			gs[i].size = 10
		}
	}
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].y > gs[j].y })

	// Group into lines by baseline.
	var lines []line
	start := 0
	for i := 1; i <= len(gs); i++ {
		if i < len(gs) {
			tol := sameLine * math.Min(gs[start].size, gs[i].size)
			if gs[start].y-gs[i].y <= tol {
				continue
			}
		}
		if l, ok := buildLine(gs[start:i]); ok {
			lines = append(lines, l)
		}
		start = i
	}
	if len(lines) == 0 {
		return ""
	}

	// The usual line gap: the median of gaps between consecutive lines of
	// similar size.
	var gaps []float64
	for i := 1; i < len(lines); i++ {
		d := lines[i-1].y - lines[i].y
		if d > 0 && d < 3*lines[i].size && math.Abs(lines[i].size-lines[i-1].size) < 0.5 {
			gaps = append(gaps, d)
		}
	}
	usual := 0.0
	if len(gaps) > 0 {
		sort.Float64s(gaps)
		usual = gaps[len(gaps)/2]
	}

	var b strings.Builder
	b.WriteString(lines[0].text)
	for i := 1; i < len(lines); i++ {
		prev, cur := lines[i-1], lines[i]
		d := prev.y - cur.y
		para := math.Abs(cur.size-prev.size) > 0.12*math.Max(cur.size, prev.size)
		if usual > 0 {
			para = para || d > paraGap*usual
		} else {
			para = para || d > 1.8*cur.size
		}
		if para {
			b.WriteString("\n\n")
			b.WriteString(cur.text)
			continue
		}
		joinLines(&b, cur.text)
	}
	return b.String()
}

// buildLine orders one line's glyphs by x and spells them out.
func buildLine(gs []glyph) (line, bool) {
	sort.SliceStable(gs, func(i, j int) bool { return gs[i].x < gs[j].x })
	var b strings.Builder
	l := line{y: gs[0].y, x0: gs[0].x}
	var prev *glyph
	end := 0.0
	pendingSpace := false
	spaceMid := 0.0 // middle of the last space glyph
	for i := range gs {
		g := &gs[i]
		if g.size > l.size {
			l.size = g.size
		}
		if strings.TrimSpace(g.s) == "" {
			// A space glyph separates words unless the next glyph is
			// drawn back over it (some producers emit a space and then
			// kern the next letter onto it).
			pendingSpace = b.Len() > 0
			spaceMid = g.x + g.w/2
			if e := g.x + g.w; e > end {
				end = e
			}
			continue
		}
		if prev != nil {
			// The same glyph drawn twice at (nearly) the same place: fake
			// bold or a shadow. Keep one.
			if g.s == prev.s && math.Abs(g.x-prev.x) < 0.1*g.size && math.Abs(g.y-prev.y) < 0.1*g.size {
				continue
			}
			gap := g.x - end
			if (pendingSpace && g.x >= spaceMid) || gap > wordGap*math.Min(g.size, prev.size) {
				b.WriteByte(' ')
			}
		}
		pendingSpace = false
		b.WriteString(g.s)
		prev = g
		if e := g.x + g.w; e > end || g.w > 0 {
			end = e
		}
	}
	l.text = strings.TrimSpace(b.String())
	if prev != nil {
		l.x1 = end
	}
	return l, l.text != ""
}

// keepHyphen lists first parts of compounds that are hyphenated in their
// own right, so "self-" at a line end followed by "esteem" stays
// "self-esteem".
var keepHyphen = map[string]bool{
	"self": true, "well": true, "non": true, "anti": true,
	"cross": true, "long": true, "short": true, "high": true, "low": true,
	"half": true, "full": true, "by": true, "all": true, "multi": true, "semi": true,
	"mid": true, "one": true,
	"two": true, "three": true, "four": true, "five": true, "six": true, "ten": true,
	"light": true, "sea": true, "oxygen": true, "carbon": true, "water": true, "night": true,
	"first": true, "second": true, "third": true, "time": true, "day": true,
}

// joinLines appends next as a new line of the current paragraph, joining a
// word hyphenated across the line break: "photo-" + "synthesis" becomes
// "photosynthesis" when the line ends in a letter and a hyphen and the next
// starts with a lower-case letter; a soft hyphen always joins. The hyphen
// stays (without the line break) after a known compound prefix ("self-",
// "well-") and before a capital or a digit ("Estates-" + "General").
func joinLines(b *strings.Builder, next string) {
	cur := b.String()
	last, size := utf8.DecodeLastRuneInString(cur)
	first, _ := utf8.DecodeRuneInString(next)
	if last == '-' || last == '\u2010' || last == '\u00AD' {
		stem := cur[:len(cur)-size]
		r, _ := utf8.DecodeLastRuneInString(stem)
		if (unicode.IsLetter(r) || unicode.IsDigit(r)) && (unicode.IsLetter(first) || unicode.IsDigit(first)) {
			i := strings.LastIndexFunc(stem, func(r rune) bool { return !unicode.IsLetter(r) })
			word := strings.ToLower(stem[i+1:])
			keep := last != '\u00AD' && (keepHyphen[word] || !unicode.IsLower(first) || !unicode.IsLetter(r))
			b.Reset()
			b.WriteString(stem)
			if keep {
				b.WriteByte('-')
			}
			b.WriteString(next)
			return
		}
	}
	b.WriteByte('\n')
	b.WriteString(next)
}
