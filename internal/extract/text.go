package extract

import (
	"bytes"
	"context"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// extractText reads UTF-8 text or Markdown: the whole file must be valid
// UTF-8 (EENCODING names the first bad line), a BOM is dropped, line ends
// become LF, Markdown markup is reduced to readable text (stripMarkdown),
// and the result is cut into sections of about SectionWords words.
func extractText(ctx context.Context, r io.ReaderAt, size int64, lim Limits, markdown bool) ([]quizflow.Page, error) {
	if size > lim.MaxBytes {
		return nil, tooLarge(lim.MaxBytes)
	}
	data := make([]byte, size)
	if _, err := r.ReadAt(data, 0); err != nil && err != io.EOF {
		return nil, err
	}
	if bytes.HasPrefix(data, []byte("\xFF\xFE")) || bytes.HasPrefix(data, []byte("\xFE\xFF")) {
		return nil, quizflow.Errorf(quizflow.EENCODING, "This text file is encoded as UTF-16. Save it as UTF-8 and upload it again.")
	}
	data = bytes.TrimPrefix(data, bomUTF8)
	if line, ok := validUTF8(data); !ok {
		return nil, notUTF8(line)
	}
	if bytes.IndexByte(data, 0) >= 0 {
		return nil, unsupported()
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	if markdown {
		s = stripMarkdown(s)
	}
	return sectionPages(Normalize(s), lim)
}

// validUTF8 checks all of b as UTF-8; on failure it returns the 1-based
// line of the first bad byte.
func validUTF8(b []byte) (int, bool) {
	if utf8.Valid(b) {
		return 0, true
	}
	i := 0
	for i < len(b) {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			break
		}
		i += n
	}
	return bytes.Count(b[:i], []byte("\n")) + 1, false
}

// sectionPages cuts normalised text into numbered sections (paginate) and
// applies the page limit.
func sectionPages(text string, lim Limits) ([]quizflow.Page, error) {
	secs := paginate(text, SectionWords)
	if len(secs) == 0 {
		return nil, quizflow.Errorf(quizflow.ENOTEXT, "This document has no text.")
	}
	if len(secs) > lim.MaxPages {
		return nil, tooMany(len(secs), lim.MaxPages)
	}
	pages := make([]quizflow.Page, len(secs))
	for i, s := range secs {
		pages[i] = quizflow.Page{Number: i + 1, Text: s}
	}
	if lim.Progress != nil {
		lim.Progress(len(pages), len(pages))
	}
	return pages, nil
}

// paginate cuts text into sections of about target words. Sections end
// between paragraphs; a paragraph of more than target words is cut between
// lines, and a line of more than target words between words.
func paginate(text string, target int) []string {
	var out []string
	var cur strings.Builder
	words := 0
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
		words = 0
	}
	add := func(unit, sep string) {
		n := len(strings.Fields(unit))
		if words > 0 && words+n > target {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteString(sep)
		}
		cur.WriteString(unit)
		words += n
	}
	for _, para := range strings.Split(text, "\n\n") {
		if len(strings.Fields(para)) <= target {
			add(para, "\n\n")
			continue
		}
		sep := "\n\n"
		for _, ln := range strings.Split(para, "\n") {
			f := strings.Fields(ln)
			if len(f) <= target {
				add(ln, sep)
				sep = "\n"
				continue
			}
			for i := 0; i < len(f); i += target {
				add(strings.Join(f[i:min(i+target, len(f))], " "), sep)
				sep = " "
			}
			sep = "\n"
		}
	}
	flush()
	return out
}

var (
	mdFenceLine  = regexp.MustCompile("^[ \t]{0,3}(```|~~~)")
	mdATX        = regexp.MustCompile(`^[ \t]{0,3}#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$`)
	mdRule       = regexp.MustCompile(`^[ \t]{0,3}(?:(?:-[ \t]*){3,}|(?:\*[ \t]*){3,}|(?:_[ \t]*){3,})$`)
	mdSetextLine = regexp.MustCompile(`^[ \t]{0,3}(?:=+|-+)[ \t]*$`)
	mdQuoteMark  = regexp.MustCompile(`^[ \t]{0,3}(?:>[ \t]?)+`)
	mdBullet     = regexp.MustCompile(`^([ \t]*)[*+-][ \t]+`)
	mdRefDef     = regexp.MustCompile(`^[ \t]{0,3}\[[^\]]+\]:[ \t]*\S+.*$`)
	mdTableSep   = regexp.MustCompile(`^[ \t]*\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)+\|?[ \t]*$`)
	mdImage      = regexp.MustCompile(`!\[([^\]\n]*)\]\([^)\n]*\)`)
	mdInlineLink = regexp.MustCompile(`\[([^\]\n]+)\]\([^)\n]*\)`)
	mdRefLink    = regexp.MustCompile(`\[([^\]\n]+)\]\[[^\]\n]*\]`)
	mdAutoLink   = regexp.MustCompile(`<((?:https?|mailto|ftp):[^>\s]+)>`)
	mdHTMLTag    = regexp.MustCompile(`</?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>\n]*)?/?>`)
	mdStrong     = regexp.MustCompile(`(\*\*|__)(\S(?:.*?\S)?)(\*\*|__)`)
	mdEmStar     = regexp.MustCompile(`(^|[^\w*])\*(\S(?:[^*\n]*?\S)?)\*`)
	mdEmUnder    = regexp.MustCompile(`(^|[^\w_])_(\S(?:[^_\n]*?\S)?)_($|[^\w_])`)
	mdStrike     = regexp.MustCompile(`~~(\S(?:.*?\S)?)~~`)
	mdCode       = regexp.MustCompile("`+([^`\n]+)`+")
)

// stripMarkdown keeps Markdown readable as plain text: headings become
// paragraphs of their own, list bullets become "- ", links and images keep
// their text, emphasis and code markers go, tables become "a | b" rows, and
// code blocks keep their content. It is line-based and deliberately simple.
func stripMarkdown(s string) string {
	lines := strings.Split(s, "\n")
	var b strings.Builder
	inFence := false
	for i, ln := range lines {
		if mdFenceLine.MatchString(ln) {
			inFence = !inFence
			b.WriteString("\n")
			continue
		}
		if inFence {
			b.WriteString(ln)
			b.WriteString("\n")
			continue
		}
		if mdRefDef.MatchString(ln) {
			continue
		}
		if mdSetextLine.MatchString(ln) && i > 0 && strings.TrimSpace(lines[i-1]) != "" && !mdRule.MatchString(lines[i-1]) {
			b.WriteString("\n")
			continue
		}
		if mdTableSep.MatchString(ln) {
			continue
		}
		if mdRule.MatchString(ln) {
			b.WriteString("\n")
			continue
		}
		ln = mdQuoteMark.ReplaceAllString(ln, "")
		if m := mdATX.FindStringSubmatch(ln); m != nil {
			b.WriteString("\n")
			b.WriteString(inlineMarkdown(m[1]))
			b.WriteString("\n\n")
			continue
		}
		ln = mdBullet.ReplaceAllString(ln, "$1- ")
		if t := strings.TrimSpace(ln); strings.HasPrefix(t, "|") && strings.HasSuffix(t, "|") && len(t) > 1 {
			cells := strings.Split(t[1:len(t)-1], "|")
			for j := range cells {
				cells[j] = strings.TrimSpace(cells[j])
			}
			ln = strings.Join(cells, " | ")
		}
		b.WriteString(inlineMarkdown(ln))
		b.WriteString("\n")
	}
	return b.String()
}

func inlineMarkdown(s string) string {
	if !strings.ContainsAny(s, "[]*_`<~") {
		return s
	}
	s = mdImage.ReplaceAllString(s, "$1")
	s = mdInlineLink.ReplaceAllString(s, "$1")
	s = mdRefLink.ReplaceAllString(s, "$1")
	s = mdAutoLink.ReplaceAllString(s, "$1")
	s = mdCode.ReplaceAllString(s, "$1")
	s = mdHTMLTag.ReplaceAllString(s, "")
	s = mdStrong.ReplaceAllString(s, "$2")
	s = mdStrike.ReplaceAllString(s, "$1")
	s = mdEmStar.ReplaceAllString(s, "$1$2")
	s = mdEmUnder.ReplaceAllString(s, "$1$2$3")
	return s
}
