package export

import (
	"archive/zip"
	"bytes"
	"strings"
	"time"
)

// xmlWriter writes indented XML. Text passed to it is plain text; it does
// the escaping. Text is already cleaned of characters XML cannot hold
// (see cleanText).
type xmlWriter struct {
	b     bytes.Buffer
	depth int
}

func newXML() *xmlWriter {
	w := &xmlWriter{}
	w.b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	return w
}

func (w *xmlWriter) indent() {
	for i := 0; i < w.depth; i++ {
		w.b.WriteString("  ")
	}
}

func (w *xmlWriter) tag(name string, attrs []string, end string) {
	w.b.WriteByte('<')
	w.b.WriteString(name)
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteByte(' ')
		w.b.WriteString(attrs[i])
		w.b.WriteString(`="`)
		w.b.WriteString(xmlAttr(attrs[i+1]))
		w.b.WriteByte('"')
	}
	w.b.WriteString(end)
}

// open starts element name with attribute name/value pairs.
func (w *xmlWriter) open(name string, attrs ...string) {
	w.indent()
	w.tag(name, attrs, ">\n")
	w.depth++
}

// close ends element name.
func (w *xmlWriter) close(name string) {
	w.depth--
	w.indent()
	w.b.WriteString("</" + name + ">\n")
}

// leaf writes an element holding escaped text.
func (w *xmlWriter) leaf(name, text string, attrs ...string) {
	w.indent()
	w.tag(name, attrs, ">")
	w.b.WriteString(xmlText(text))
	w.b.WriteString("</" + name + ">\n")
}

// raw writes an element holding markup that the caller escaped.
func (w *xmlWriter) raw(name, markup string, attrs ...string) {
	w.indent()
	w.tag(name, attrs, ">")
	w.b.WriteString(markup)
	w.b.WriteString("</" + name + ">\n")
}

// empty writes an element with no content.
func (w *xmlWriter) empty(name string, attrs ...string) {
	w.indent()
	w.tag(name, attrs, "/>\n")
}

func (w *xmlWriter) bytes() []byte { return w.b.Bytes() }

var (
	textEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	attrEscaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
		"\t", "&#9;", "\n", "&#10;", "\r", "&#13;")
)

// xmlText escapes s for XML character data. The same rule makes the
// HTML fragments below: & < > become entities.
func xmlText(s string) string { return textEscaper.Replace(s) }

func xmlAttr(s string) string { return attrEscaper.Replace(s) }

// htmlText turns plain text into an HTML fragment that shows it literally:
// & < > escaped, newlines as <br>. Used where an LMS reads text as HTML.
func htmlText(s string) string {
	return strings.ReplaceAll(textEscaper.Replace(s), "\n", "<br>")
}

// xhtmlText is htmlText for XML vocabularies (QTI 2.1): <br/>.
func xhtmlText(s string) string {
	return strings.ReplaceAll(textEscaper.Replace(s), "\n", "<br/>")
}

// zipEpoch is the modification time of every zip entry, so that the same
// quiz gives byte-identical packages.
var zipEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

type zipEntry struct {
	name string
	data []byte
}

// buildZip writes entries in order, deflated, with fixed timestamps.
func buildZip(entries []zipEntry) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.name, Method: zip.Deflate, Modified: zipEpoch})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ident makes an XML identifier (an NCName) from a prefix and a hash of
// parts, stable for the same parts.
func ident(prefix string, parts ...string) string {
	return prefix + hashHex(strings.Join(parts, "\x00"))
}
