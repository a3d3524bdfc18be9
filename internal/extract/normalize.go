package extract

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s cleaned for reading and for question generation:
//
//   - ligatures and other presentation forms (U+FB00-U+FB4F: ﬁ ﬂ ﬀ ﬃ ﬄ ﬅ ﬆ)
//     are unfolded by NFKC, and the rest is composed by NFC (so an e followed
//     by a combining acute becomes é), without NFKC's other foldings (² stays
//     ², ½ stays ½);
//   - the minus sign U+2212 and the hyphens U+2010, U+2011 (non-breaking),
//     U+2012, U+FE63 and U+FF0D become '-';
//   - the soft hyphen U+00AD, zero-width spaces, word joiners and byte-order
//     marks are removed, as is U+FFFD (an undecodable glyph);
//   - no-break and other Unicode spaces and tabs become ' ', and runs of
//     spaces collapse to one; spaces at the ends of lines go;
//   - CR LF, lone CR, and U+2028/U+2029 become '\n'; newlines are kept, and
//     blank lines (paragraph breaks) collapse to one blank line;
//   - other control characters are dropped.
//
// The result has no leading or trailing white space.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := false // a space is pending
	nl := 0        // newlines pending
	started := false
	emit := func(r rune) {
		if started {
			if nl > 0 {
				if nl > 2 {
					nl = 2
				}
				b.WriteString("\n\n"[:nl])
			} else if space {
				b.WriteByte(' ')
			}
		}
		nl, space, started = 0, false, true
		b.WriteRune(r)
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				i++
			}
			nl++
			space = false
		case r == '\n' || r == '\u2028' || r == '\u2029' || r == '\v' || r == '\f':
			nl++
			space = false
		case r == '\t' || r == '\u00A0' || r == '\u3000' || (r >= '\u2000' && r <= '\u200A') || r == '\u202F' || r == '\u205F':
			if nl == 0 {
				space = true
			}
		case r == ' ':
			if nl == 0 {
				space = true
			}
		case r == '\u00AD' || r == '\u200B' || r == '\u2060' || r == '\uFEFF' || r == utf8.RuneError:
			// invisible or undecodable: drop
		case r == '\u2212' || r == '\u2010' || r == '\u2011' || r == '\u2012' || r == '\uFE63' || r == '\uFF0D':
			emit('-')
		case r >= '\uFB00' && r <= '\uFB4F':
			for _, c := range norm.NFKC.String(string(r)) {
				emit(c)
			}
		case unicode.IsControl(r):
			// C0/C1 controls other than the white space above
		default:
			emit(r)
		}
	}
	out := b.String()
	if !norm.NFC.IsNormalString(out) {
		out = norm.NFC.String(out)
	}
	return out
}
