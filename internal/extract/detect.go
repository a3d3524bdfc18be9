package extract

import (
	"bytes"
	"encoding/binary"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// HeadSize is how many leading bytes of a file Detect wants.
const HeadSize = 8 << 10

// Content types returned by Detect.
const (
	ContentTypePDF      = "application/pdf"
	ContentTypeDOCX     = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	ContentTypeText     = "text/plain; charset=utf-8"
	ContentTypeMarkdown = "text/markdown; charset=utf-8"
)

var (
	magicPDF = []byte("%PDF-")
	magicZip = []byte("PK\x03\x04")
	magicOLE = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
	bomUTF8  = []byte("\xEF\xBB\xBF")
)

func unsupported() *quizflow.Error {
	return quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is not a PDF, Word (.docx), text or Markdown document.")
}

// Detect decides a file's kind (quizflow.KindPDF, KindDOCX, KindText or
// KindMarkdown) and content type from its first bytes, head (the first
// HeadSize bytes, or the whole file if shorter). It never looks at a file
// name.
//
//   - PDF: starts with "%PDF-" (any version; Extract copes with 2.0).
//   - DOCX: a zip whose local file headers in head name a Word part
//     ("word/..."), or OOXML package parts ("[Content_Types].xml",
//     "_rels/...") without naming another Office format; when head cannot
//     tell, a zip is accepted as DOCX and Extract rejects it if it turns out
//     not to be Word (EUNSUPPORTED).
//   - Text and Markdown: valid UTF-8 (an optional BOM; a multi-byte
//     character cut at the end of head is allowed) without NUL bytes or
//     other control characters beyond tab, CR, LF and form feed; Markdown
//     when it has markdown structure (headings, lists, links, emphasis,
//     code fences). A document that starts as HTML (see looksLikeHTML) is
//     neither; Markdown with inline HTML further on stays Markdown.
//
// Errors are *quizflow.Error: EINVALID for an empty head; EENCRYPTED for an
// encrypted Office file (an OLE container holding "EncryptedPackage");
// EENCODING for text that is not UTF-8 (UTF-16, Latin-1), with the line;
// EUNSUPPORTED for anything else (images, executables, other archives, old
// .doc files, HTML pages, which would otherwise be read as text with their
// tags: their messages say what to do).
func Detect(head []byte) (kind, contentType string, err error) {
	if len(head) == 0 {
		return "", "", quizflow.Errorf(quizflow.EINVALID, "The file is empty; upload a document with some text in it.")
	}
	switch {
	case bytes.HasPrefix(head, magicPDF):
		return quizflow.KindPDF, ContentTypePDF, nil
	case bytes.HasPrefix(head, magicZip):
		if err := checkZipHead(head); err != nil {
			return "", "", err
		}
		return quizflow.KindDOCX, ContentTypeDOCX, nil
	case bytes.HasPrefix(head, []byte("PK\x05\x06")):
		return "", "", quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is an empty zip archive, not a Word document.")
	case bytes.HasPrefix(head, magicOLE):
		return "", "", oleError(head)
	case bytes.HasPrefix(head, []byte("{\\rtf")):
		return "", "", quizflow.Errorf(quizflow.EUNSUPPORTED, "This is a Rich Text (.rtf) file. Open it in Word or LibreOffice and save it as .docx, then upload that.")
	case bytes.HasPrefix(head, []byte("\xFF\xFE")) || bytes.HasPrefix(head, []byte("\xFE\xFF")):
		return "", "", quizflow.Errorf(quizflow.EENCODING, "This text file is encoded as UTF-16. Save it as UTF-8 and upload it again.")
	}
	body := bytes.TrimPrefix(head, bomUTF8)
	if len(body) == 0 {
		return "", "", quizflow.Errorf(quizflow.EINVALID, "The file is empty; upload a document with some text in it.")
	}
	if binaryLooking(body) {
		return "", "", unsupported()
	}
	if line, ok := validUTF8Prefix(body); !ok {
		return "", "", notUTF8(line)
	}
	if looksLikeHTML(body) {
		return "", "", htmlUnsupported()
	}
	if looksLikeMarkdown(body) {
		return quizflow.KindMarkdown, ContentTypeMarkdown, nil
	}
	return quizflow.KindText, ContentTypeText, nil
}

func notUTF8(line int) *quizflow.Error {
	return quizflow.Errorf(quizflow.EENCODING, "This text file is not valid UTF-8 (first problem on line %d). Save it with UTF-8 encoding and upload it again.", line)
}

// binaryLooking reports NUL bytes or more than 1% control characters other
// than tab, LF, CR, FF and ESC.
func binaryLooking(b []byte) bool {
	ctl := 0
	for _, c := range b {
		switch {
		case c == 0:
			return true
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f' && c != 0x1b, c == 0x7f:
			ctl++
		}
	}
	return ctl*100 > len(b)
}

// validUTF8Prefix checks b as UTF-8, allowing a multi-byte character cut
// off at the end. On failure it returns the 1-based line of the first bad
// byte.
func validUTF8Prefix(b []byte) (line int, ok bool) {
	line = 1
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				line++
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			if len(b)-i < utf8.UTFMax && !utf8.FullRune(b[i:]) && plausiblePrefix(b[i:]) {
				return line, true
			}
			return line, false
		}
		i += n
	}
	return line, true
}

// plausiblePrefix reports whether b could be the start of a UTF-8 sequence.
func plausiblePrefix(b []byte) bool {
	need := 0
	switch c := b[0]; {
	case c&0xE0 == 0xC0:
		need = 2
	case c&0xF0 == 0xE0:
		need = 3
	case c&0xF8 == 0xF0:
		need = 4
	default:
		return false
	}
	if len(b) >= need {
		return false
	}
	for _, c := range b[1:] {
		if c&0xC0 != 0x80 {
			return false
		}
	}
	return true
}

var (
	mdHeading = regexp.MustCompile(`(?m)^#{1,6}[ \t]+\S`)
	mdList    = regexp.MustCompile(`(?m)^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+\S`)
	mdLink    = regexp.MustCompile(`!?\[[^\]\n]+\]\([^)\s]+(?:\s+"[^"]*")?\)`)
	mdEmph    = regexp.MustCompile(`(?:\*\*|__)\S[^\n]*?\S(?:\*\*|__)|(?:^|\s)[*_][^\s*_][^\n*_]*[*_](?:\s|[.,;:!?]|$)`)
	mdFence   = regexp.MustCompile("(?m)^(?:```|~~~)")
	mdQuote   = regexp.MustCompile(`(?m)^>[ \t]?\S`)
	mdTable   = regexp.MustCompile(`(?m)^\|?[ \t]*:?-{3,}:?[ \t]*\|`)
	mdSetext  = regexp.MustCompile(`(?m)^\S[^\n]*\n(?:=+|-+)[ \t]*$`)
)

// looksLikeMarkdown scores markdown features; headings, links, fences and
// tables count double. Three points make Markdown: one heading and one list
// do, a single hyphenated list in a plain note does not.
func looksLikeMarkdown(b []byte) bool {
	s := string(b)
	score := 0
	count := func(re *regexp.Regexp, weight, cap int) {
		n := len(re.FindAllStringIndex(s, cap))
		score += n * weight
	}
	count(mdHeading, 2, 3)
	count(mdSetext, 2, 2)
	count(mdLink, 2, 3)
	count(mdFence, 2, 2)
	count(mdTable, 2, 1)
	count(mdEmph, 1, 3)
	count(mdList, 1, 2)
	count(mdQuote, 1, 2)
	return score >= 3
}

// checkZipHead walks the local file headers in head. It accepts a Word
// package, refuses a zip that is clearly something else, and accepts one
// it cannot tell apart (Extract decides then).
func checkZipHead(head []byte) error {
	var names []string
	for off := 0; off+30 <= len(head) && len(names) < 64; {
		if !bytes.Equal(head[off:off+4], magicZip) {
			break
		}
		flags := binary.LittleEndian.Uint16(head[off+6:])
		csize := int(binary.LittleEndian.Uint32(head[off+18:]))
		nlen := int(binary.LittleEndian.Uint16(head[off+26:]))
		elen := int(binary.LittleEndian.Uint16(head[off+28:]))
		if off+30+nlen > len(head) {
			break
		}
		names = append(names, string(head[off+30:off+30+nlen]))
		if flags&0x8 != 0 || csize == 0xFFFFFFFF {
			break // sizes follow the data; cannot skip to the next header
		}
		off += 30 + nlen + elen + csize
	}
	return classifyZipNames(names, false)
}

// classifyZipNames judges a zip by entry names. complete says names lists
// every entry (Extract) rather than those in the first bytes (Detect).
func classifyZipNames(names []string, complete bool) error {
	ooxml := false
	for _, n := range names {
		switch {
		case strings.HasPrefix(n, "word/"):
			return nil
		case strings.HasPrefix(n, "xl/"):
			return quizflow.Errorf(quizflow.EUNSUPPORTED, "This is an Excel workbook. Upload a PDF, Word (.docx), text or Markdown document.")
		case strings.HasPrefix(n, "ppt/"):
			return quizflow.Errorf(quizflow.EUNSUPPORTED, "This is a PowerPoint presentation. Save it as PDF and upload that.")
		case n == "mimetype" || strings.HasPrefix(n, "META-INF/"):
			return quizflow.Errorf(quizflow.EUNSUPPORTED, "This is an OpenDocument, EPUB or Java archive, not a Word document. Save it as .docx or PDF and upload that.")
		case n == "[Content_Types].xml" || strings.HasPrefix(n, "_rels/") || strings.HasPrefix(n, "docProps/") || strings.HasPrefix(n, "customXml/"):
			ooxml = true
		}
	}
	if !complete && (ooxml || len(names) <= 1) {
		// Package parts, or too little of the archive in head to tell:
		// let Extract look at the whole archive.
		return nil
	}
	return notWordZip()
}

func notWordZip() *quizflow.Error {
	return quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is a zip archive, not a Word document. Upload a PDF, Word (.docx), text or Markdown document.")
}

// oleError explains an OLE compound file: an encrypted Office document
// (Office stores password-protected .docx files in an OLE container with an
// "EncryptedPackage" stream) is EENCRYPTED; anything else is an old binary
// Office format (.doc, .xls, .ppt), EUNSUPPORTED.
func oleError(b []byte) *quizflow.Error {
	if bytes.Contains(b, utf16le("EncryptedPackage")) || bytes.Contains(b, utf16le("EncryptionInfo")) {
		return quizflow.Errorf(quizflow.EENCRYPTED, "This Word document is password-protected. Remove the password (File > Info > Protect Document), save it as .docx and upload it again.")
	}
	if bytes.Contains(b, utf16le("WordDocument")) {
		return quizflow.Errorf(quizflow.EUNSUPPORTED, "This is an old Word 97-2003 (.doc) document. Open it in Word or LibreOffice, save it as .docx, and upload that.")
	}
	return quizflow.Errorf(quizflow.EUNSUPPORTED, "This is an older Microsoft Office file (.doc, .xls or .ppt) or a password-protected document. Save it as .docx without a password and upload that.")
}

func utf16le(s string) []byte {
	b := make([]byte, 0, 2*len(s))
	for i := 0; i < len(s); i++ {
		b = append(b, s[i], 0)
	}
	return b
}
