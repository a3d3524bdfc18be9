package qcheck

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Normalize returns s folded for comparisons: compatibility-decomposed
// (ligatures such as "ﬁ" become "fi", full-width forms become ASCII),
// accents dropped from Latin, Greek and Cyrillic letters, "œ", "æ" and "ß"
// spelt out, lower-cased, punctuation (including every kind of hyphen,
// dash and quote mark) turned into spaces, apostrophes inside words dropped
// ("don’t" == "dont"), soft hyphens removed, and runs of white space folded
// into one space with none at either end.
//
// A dash or minus sign that starts a number is kept as "-" so that "-5" and
// "5" stay different. Mathematical, currency and other symbols are kept.
// The result is meant for comparing, never for showing.
func Normalize(s string) string {
	if s == "" {
		return ""
	}
	runes := []rune(norm.NFKD.String(s))
	var b strings.Builder
	b.Grow(len(s))
	pendingSpace := false
	emit := func(r rune) {
		if pendingSpace && b.Len() > 0 {
			b.WriteByte(' ')
		}
		pendingSpace = false
		b.WriteRune(r)
	}
	var base rune // last letter emitted, to decide whether to drop a mark
	for i, r := range runes {
		switch {
		case unicode.Is(unicode.Mn, r):
			if isAccentedScript(base) {
				continue
			}
			emit(r)
		case r == '\u00ad' || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff':
			// Soft hyphen and zero-width characters: invisible, drop.
		case isApostrophe(r) && i > 0 && i+1 < len(runes) && isWordRune(runes[i-1]) && unicode.IsLetter(runes[i+1]):
			// "don't", "l’eau": join the word.
		case isDash(r) && i+1 < len(runes) && unicode.IsDigit(runes[i+1]) &&
			(i == 0 || !(unicode.IsLetter(runes[i-1]) || unicode.IsDigit(runes[i-1]))):
			emit('-')
		case unicode.IsLetter(r):
			base = r
			switch r {
			case 'œ', 'Œ':
				emit('o')
				emit('e')
			case 'æ', 'Æ':
				emit('a')
				emit('e')
			case 'ß', 'ẞ':
				emit('s')
				emit('s')
			default:
				emit(unicode.ToLower(r))
			}
		case unicode.IsNumber(r) || unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Me, r):
			emit(r)
		case unicode.In(r, unicode.Sm, unicode.Sc, unicode.So):
			emit(r)
		default:
			// Punctuation, white space, control and modifier symbols.
			pendingSpace = true
		}
	}
	return norm.NFC.String(b.String())
}

// isAccentedScript reports whether combining marks after base are accents
// that a reader would ignore when comparing (é == e), which holds for the
// Latin, Greek and Cyrillic scripts but not for, say, Devanagari vowel signs.
func isAccentedScript(base rune) bool {
	return base != 0 && unicode.In(base, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

func isWordRune(r rune) bool {
	return unicode.IsLetter(r) || unicode.Is(unicode.Mn, r)
}

func isApostrophe(r rune) bool {
	switch r {
	case '\'', '’', '‘', 'ʼ', '`', '´', '′':
		return true
	}
	return false
}

func isDash(r rune) bool {
	return r == '−' || unicode.Is(unicode.Pd, r)
}

// compact returns the normalised form of s with all spaces removed. Words
// split across lines by a hyphen ("photo-\nsynthesis") and words glued
// together by a PDF extractor both compare equal in this form.
func compact(s string) string {
	return strings.ReplaceAll(Normalize(s), " ", "")
}
