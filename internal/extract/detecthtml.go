package extract

import (
	"bytes"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// htmlStarts are the openings that make a document HTML. The list is kept
// short on purpose: Markdown may begin with inline HTML such as
// <p align="center"> or <div>, or with an HTML comment, and must stay
// Markdown; only the tags that begin a whole page count. Each is matched
// case-insensitively and must be followed by white space, ">" or "/"
// (so "<header>" is not "<head").
var htmlStarts = [][]byte{
	[]byte("<!doctype html"),
	[]byte("<html"),
	[]byte("<head"),
	[]byte("<body"),
	[]byte("<script"),
}

// looksLikeHTML reports whether b (text after any BOM) starts as an HTML or
// XHTML page: after white space, HTML comments, an XML declaration and
// processing instructions, it opens with one of htmlStarts. An XML document
// with another root (or a doctype for one) is not HTML.
func looksLikeHTML(b []byte) bool {
	for {
		b = bytes.TrimLeft(b, " \t\r\n\f")
		switch {
		case hasPrefixFold(b, []byte("<!--")):
			end := bytes.Index(b[4:], []byte("-->"))
			if end < 0 {
				return false
			}
			b = b[4+end+3:]
		case hasPrefixFold(b, []byte("<?")):
			end := bytes.Index(b, []byte("?>"))
			if end < 0 {
				return false
			}
			b = b[end+2:]
		default:
			for _, p := range htmlStarts {
				if hasPrefixFold(b, p) && (len(b) == len(p) || endsTagName(b[len(p)])) {
					return true
				}
			}
			return false
		}
	}
}

func endsTagName(c byte) bool {
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '>' || c == '/'
}

// hasPrefixFold is bytes.HasPrefix ignoring ASCII case; prefix is lower case.
func hasPrefixFold(b, prefix []byte) bool {
	if len(b) < len(prefix) {
		return false
	}
	for i, c := range prefix {
		d := b[i]
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if d != c {
			return false
		}
	}
	return true
}

func htmlUnsupported() *quizflow.Error {
	return quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is a web page (HTML), not a PDF, Word (.docx), text or Markdown document. Print or save it as PDF and upload that.")
}
