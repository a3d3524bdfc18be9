// Package hostile builds crafted files that attack a document parser, for
// tests: a Flate stream that inflates to gigabytes, a small stream that
// inflates to millions of glyphs, a page tree that lists itself, one
// enormous word, and HTML dressed as a Word document. Each is generated in
// a few lines rather than committed as a binary, so what it attacks is
// readable here.
package hostile

import (
	"bytes"
	"compress/zlib"
	"fmt"
	"io"
	"strings"
)

// GlyphOps is a content stream fragment that draws one glyph per six bytes:
// the densest way to make a parser build per-character records.
const GlyphOps = "(x)Tj\n"

// FlateBombPDF returns a one-page PDF whose page content is a FlateDecode
// stream that inflates to inflated bytes: unit repeated (GlyphOps builds
// glyph records; "\x00" is PDF white space, read and thrown away). A 1 GiB
// bomb of GlyphOps is about 1 MB of file.
func FlateBombPDF(inflated int64, unit string) []byte {
	var z bytes.Buffer
	zw, err := zlib.NewWriterLevel(&z, zlib.BestCompression)
	if err != nil {
		panic(err) // only for a bad level
	}
	head := "BT /F1 11 Tf 72 720 Td\n"
	io.WriteString(zw, head)
	chunk := []byte(strings.Repeat(unit, max(1, (1<<20)/len(unit))))
	for left := inflated - int64(len(head)); left > 0; {
		n := min(left, int64(len(chunk)))
		zw.Write(chunk[:n])
		left -= n
	}
	zw.Close()
	return WritePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R] /Count 1 /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792] >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream", z.Len(), z.Bytes()),
	})
}

// PageCyclePDF returns a PDF whose page tree node lists itself among its
// kids next to a real page: a reader without a cycle check reads the page
// once per level it descends.
func PageCyclePDF() []byte {
	content := "BT /F1 11 Tf 72 720 Td (The water cycle moves water between oceans, air and land.) Tj ET"
	return WritePDF([]string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		"<< /Type /Pages /Kids [4 0 R 2 0 R] /Count 2 /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792] >>",
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
		"<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>",
		fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(content), content),
	})
}

// HugeWordText returns a text document: a paragraph of ordinary
// sentences, then a "word" of n letters with no space in it (a tokenizer's
// BPE merge is quadratic in a word's length), then another sentence.
func HugeWordText(n int) []byte {
	var b bytes.Buffer
	b.WriteString("Photosynthesis turns light into chemical energy in the chloroplasts of plant cells. " +
		"Chlorophyll absorbs mostly red and blue light and reflects green light. " +
		"The light reactions split water molecules and release oxygen as a by-product. " +
		"Stomata on the underside of leaves let carbon dioxide enter the leaf. " +
		"Glucose made by the plant is stored as starch in roots and seeds.\n\n")
	word := []byte("abcdefghijklmnopqrstuvwxyz")
	for i := 0; i < n; i++ {
		b.WriteByte(word[(i*7+i/26)%len(word)])
	}
	b.WriteString("\n\nThe Calvin cycle fixes carbon dioxide into sugars in the stroma.\n")
	return b.Bytes()
}

// HTMLPage returns an HTML page of the kind a browser's "save as" writes,
// which users rename to .docx or .txt before uploading.
func HTMLPage() []byte {
	return []byte(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>The water cycle</title>
<script>window.dataLayer = [];</script></head>
<body><h1>The water cycle</h1><p>Water evaporates from the oceans, condenses into clouds and falls as rain.</p></body></html>
`)
}

// WritePDF writes objs as objects 1..len(objs) (object 1 is the catalog)
// with a cross-reference table whose offsets match, so any page tree,
// broken ones included, can be built as text.
func WritePDF(objs []string) []byte {
	var out bytes.Buffer
	offs := make([]int, len(objs))
	out.WriteString("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
	for i, o := range objs {
		offs[i] = out.Len()
		fmt.Fprintf(&out, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	x := out.Len()
	fmt.Fprintf(&out, "xref\n0 %d\n0000000000 65535 f \n", len(offs)+1)
	for _, o := range offs {
		fmt.Fprintf(&out, "%010d 00000 n \n", o)
	}
	fmt.Fprintf(&out, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(offs)+1, x)
	return out.Bytes()
}
