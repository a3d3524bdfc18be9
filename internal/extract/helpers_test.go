package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode"

	"github.com/quizflow/quizflow/internal/hostile"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func fixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// extractBytes runs Extract on b with limits that keep a bad test finite.
func extractBytes(t testing.TB, b []byte, kind string, lim Limits) ([]quizflow.Page, error) {
	t.Helper()
	return Extract(context.Background(), bytes.NewReader(b), int64(len(b)), kind, lim)
}

func joinPages(pages []quizflow.Page) string {
	var sb strings.Builder
	for _, p := range pages {
		sb.WriteString(p.Text)
		sb.WriteString("\n\n")
	}
	return sb.String()
}

// wordBag returns the multiset of words in s: normalised, lower-cased,
// without leading and trailing punctuation.
func wordBag(s string) map[string]int {
	m := map[string]int{}
	for _, w := range strings.Fields(strings.ToLower(Normalize(s))) {
		w = strings.TrimFunc(w, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		if w != "" {
			m[w]++
		}
	}
	return m
}

// agreement is |A∩B| / max(|A|,|B|) over word multisets.
func agreement(a, b map[string]int) float64 {
	inter, na, nb := 0, 0, 0
	for w, c := range a {
		na += c
		inter += min(c, b[w])
	}
	for _, c := range b {
		nb += c
	}
	if max(na, nb) == 0 {
		return 1
	}
	return float64(inter) / float64(max(na, nb))
}

// zipFile is one entry of a test archive.
type zipFile struct {
	name string
	body []byte
}

func makeZip(t testing.TB, files ...zipFile) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(f.body); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

const contentTypesXML = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`

// makeDOCX wraps body (the inside of w:body) in a minimal Word package.
func makeDOCX(t testing.TB, body string) []byte {
	doc := `<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main" xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"><w:body>` + body + `</w:body></w:document>`
	return makeZip(t, zipFile{"[Content_Types].xml", []byte(contentTypesXML)}, zipFile{"word/document.xml", []byte(doc)})
}

// makePDF writes a PDF whose pages have the given content streams, all
// using Helvetica as /F1, in a flat page tree (the shape LibreOffice and
// most producers write). Streams are uncompressed unless filter is set
// (then it is written as the /Filter, undecoded: for broken pages).
func makePDF(contents []string, filter map[int]string) []byte {
	n := len(contents)
	kids := make([]string, n)
	for i := range contents {
		kids[i] = fmt.Sprintf("%d 0 R", 4+2*i)
	}
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R >>",
		fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d /Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792] >>", strings.Join(kids, " "), n),
		"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
	}
	for i, c := range contents {
		objs = append(objs, fmt.Sprintf("<< /Type /Page /Parent 2 0 R /Contents %d 0 R >>", 5+2*i))
		f := ""
		if filter[i] != "" {
			f = " /Filter /" + filter[i]
		}
		objs = append(objs, fmt.Sprintf("<< /Length %d%s >>\nstream\n%s\nendstream", len(c), f, c))
	}
	return writePDF(objs)
}

// writePDF is hostile.WritePDF.
var writePDF = hostile.WritePDF

// textPage is a content stream that writes lines of text in 11 pt
// Helvetica, one Tj per line, 14 pt apart.
func textPage(lines ...string) string {
	var b strings.Builder
	b.WriteString("BT /F1 11 Tf 72 720 Td 14 TL\n")
	for _, l := range lines {
		l = strings.NewReplacer(`\`, `\\`, "(", `\(`, ")", `\)`).Replace(l)
		fmt.Fprintf(&b, "(%s) Tj T*\n", l)
	}
	b.WriteString("ET")
	return b.String()
}
