package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quizflow/quizflow/internal/hostile"
	"github.com/quizflow/quizflow/internal/quizflow"
)

func TestDetect(t *testing.T) {
	odt := makeZip(t, zipFile{"mimetype", []byte("application/vnd.oasis.opendocument.text")}, zipFile{"content.xml", []byte("<x/>")})
	euro := []byte("Price: 5 \xe2\x82\xac")
	tests := []struct {
		name     string
		head     []byte
		wantKind string
		wantCode string
	}{
		{"libreoffice pdf", fixture(t, "libreoffice-handbook-10p.pdf"), quizflow.KindPDF, ""},
		{"chromium pdf", fixture(t, "chromium-print.pdf"), quizflow.KindPDF, ""},
		{"pdf 2.0", fixture(t, "pdf20.pdf"), quizflow.KindPDF, ""},
		{"truncated pdf is still a pdf", fixture(t, "bad-truncated.pdf"), quizflow.KindPDF, ""},
		{"pandoc docx", fixture(t, "pandoc-handbook.docx"), quizflow.KindDOCX, ""},
		{"libreoffice docx", fixture(t, "libreoffice.docx"), quizflow.KindDOCX, ""},
		{"text with BOM and CRLF", fixture(t, "notes-bom-crlf.txt"), quizflow.KindText, ""},
		{"one heading is not enough for markdown", fixture(t, "src/photosynthesis.md"), quizflow.KindText, ""},
		{"markdown", fixture(t, "lesson.md"), quizflow.KindMarkdown, ""},
		{"markdown by links and lists", []byte("Notes\n\n- see [the docs](http://x.org)\n- and **this**\n"), quizflow.KindMarkdown, ""},
		{"plain note with a dash list", []byte("Shopping:\n- milk\n- eggs\n"), quizflow.KindText, ""},
		{"cut multibyte char at end", euro[:len(euro)-1], quizflow.KindText, ""},
		{"empty", nil, "", quizflow.EINVALID},
		{"only a BOM", []byte("\xEF\xBB\xBF"), "", quizflow.EINVALID},
		{"png renamed .pdf", fixture(t, "bad-png-renamed.pdf"), "", quizflow.EUNSUPPORTED},
		{"elf renamed .pdf", fixture(t, "bad-elf-renamed.pdf"), "", quizflow.EUNSUPPORTED},
		{"zip that is not word", fixture(t, "bad-not-word.docx"), "", quizflow.EUNSUPPORTED},
		{"opendocument", odt, "", quizflow.EUNSUPPORTED},
		{"ole word 97", fixture(t, "bad-ole-word97.docx"), "", quizflow.EUNSUPPORTED},
		{"ole encrypted docx", append(append([]byte{}, magicOLE...), utf16le("EncryptedPackage")...), "", quizflow.EENCRYPTED},
		{"utf-16 text", []byte("\xFF\xFEh\x00i\x00"), "", quizflow.EENCODING},
		{"latin-1 text", []byte("line one\ncaf\xe9 au lait\n"), "", quizflow.EENCODING},
		{"rtf", []byte(`{\rtf1\ansi hello}`), "", quizflow.EUNSUPPORTED},
		{"gzip", []byte("\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03"), "", quizflow.EUNSUPPORTED},
		{"html page", []byte("<!DOCTYPE html>\n<html><head><title>Cells</title></head><body><p>Cells need energy.</p></body></html>\n"), "", quizflow.EUNSUPPORTED},
		{"html renamed .docx, BOM and white space first", []byte("\xEF\xBB\xBF\r\n  \t<HTML lang=\"en\">\n<BODY>Hello</BODY></HTML>"), "", quizflow.EUNSUPPORTED},
		{"html fragment from head", []byte("<head>\n<meta charset=\"utf-8\">\n</head>\n<body>x</body>"), "", quizflow.EUNSUPPORTED},
		{"html fragment from body", []byte("<body>\n<h1>Notes</h1>\n</body>"), "", quizflow.EUNSUPPORTED},
		{"html starting with a script", []byte("<script>var x = 1;</script>\n<p>text</p>"), "", quizflow.EUNSUPPORTED},
		{"saved page with a leading comment", []byte("<!-- saved from url=(0014)about:internet -->\n<html>\n<body>x</body></html>"), "", quizflow.EUNSUPPORTED},
		{"xhtml with xml declaration", []byte("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Strict//EN\" \"http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\"><body><p>x</p></body></html>"), "", quizflow.EUNSUPPORTED},
		{"xml with an html root, no doctype", []byte("<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"/>"), "", quizflow.EUNSUPPORTED},
		{"xml with another root stays text", []byte("<?xml version=\"1.0\"?>\n<note>Cells need energy.</note>\n"), quizflow.KindText, ""},
		{"markdown with inline html later", []byte("# Cells\n\nSome **bold** text and a [link](http://x.org).\n\n<html><body>example</body></html>\n"), quizflow.KindMarkdown, ""},
		{"markdown opening with a centred paragraph", []byte("<p align=\"center\"><img src=\"logo.png\"></p>\n\n# Project\n\n- one [link](http://x.org)\n- two\n"), quizflow.KindMarkdown, ""},
		{"markdown opening with a comment", []byte("<!-- markdownlint-disable -->\n# Cells\n\n## Energy\n\n- ATP\n"), quizflow.KindMarkdown, ""},
		{"text starting with a header tag is not a head tag", []byte("<header> is an HTML5 element.\n"), quizflow.KindText, ""},
		{"text mentioning html", []byte("Write <html> at the top of the page.\n"), quizflow.KindText, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			head := tt.head
			if len(head) > HeadSize {
				head = head[:HeadSize]
			}
			kind, ct, err := Detect(head)
			if got := quizflow.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("Detect code = %q (%v), want %q", got, err, tt.wantCode)
			}
			if err != nil {
				if msg := quizflow.ErrorMessage(err); len(msg) < 20 {
					t.Errorf("message %q is too terse for a person", msg)
				}
				return
			}
			if kind != tt.wantKind || ct == "" {
				t.Errorf("Detect = %q, %q; want kind %q", kind, ct, tt.wantKind)
			}
		})
	}
	_, _, err := Detect([]byte("\x89PNG\r\n\x1a\n"))
	if quizflow.ErrorMessage(err) != "This file is not a PDF, Word (.docx), text or Markdown document." {
		t.Errorf("unsupported message = %q", quizflow.ErrorMessage(err))
	}
	_, _, err = Detect([]byte("<html><body>x</body></html>"))
	if msg := quizflow.ErrorMessage(err); !strings.Contains(msg, "HTML") || !strings.Contains(msg, "PDF, Word (.docx), text or Markdown") {
		t.Errorf("html message = %q, want it to name HTML and the supported types", msg)
	}
	_, _, err = Detect([]byte("a\nb\n\xff\n"))
	if !strings.Contains(quizflow.ErrorMessage(err), "line 3") {
		t.Errorf("encoding message %q does not name line 3", quizflow.ErrorMessage(err))
	}
}

func TestExtractGood(t *testing.T) {
	tests := []struct {
		file      string
		wantPages int
		phrases   []string
	}{
		{"libreoffice-handbook-10p.pdf", 11, []string{
			"the energy of sunlight and store it in the chemical bonds",
			"reflects green light", "The first stage, the light-dependent reactions", "falls to -5 °C",
			"about 17,000 people were officially executed", "Each chloroplast holds stacks of flattened membranes",
			"(-6) × (-4) = 24", "efficiency of photosynthesis in the field", "fossil fuels",
		}},
		{"groff-ms.pdf", 2, []string{"The Water Cycle", "evapotranspiration", "Estates-General for the first time", "influence the rate", "falls to -5 °C"}},
		{"ghostscript-ps2pdf.pdf", 2, []string{"Plate Tectonics", "they have no nucleus", "identical fossils", "an acceleration of -5 m/s", "F = m × a"}},
		{"chromium-print.pdf", 2, []string{"The cell is the basic unit of life", "flexible double layer", "membrane-bound", "muscle fibre", "Capillaries, the smallest vessels"}},
		{"pandoc-ms.pdf", 1, []string{"The Roman Republic", "elected officials", "flying shuttle", "more than 9,000 kilometres"}},
		{"libreoffice-writer.pdf", 1, []string{"The Nitrogen Cycle", "nitrogen fixation", "5 - (-2) = 7", "fictitious numbers"}},
		{"pdf20.pdf", 2, []string{"The Water Cycle", "evapotranspiration"}},
		{"encrypted-owner-only.pdf", 2, []string{"The Water Cycle", "evapotranspiration", "officially executed"}},
		{"pandoc-handbook.docx", 11, []string{"Photosynthesis\n\nPhotosynthesis is the process", "reflects green light", "falls to -5 °C", "Negative Numbers and Temperature"}},
		{"pandoc-lesson.docx", 1, []string{"A two-part lesson for Year 8 science", "- Name the reactants", "Calvin cycle | stroma | three-carbon sugars"}},
		{"libreoffice.docx", 1, []string{"The Nitrogen Cycle", "Haber-Bosch process", "4 - (-9) = 13 degrees"}},
		{"notes-bom-crlf.txt", 2, []string{"Negative Numbers and Temperature", "(-6) × 4 = -24", "Newton's Laws of Motion"}},
		{"lesson.md", 1, []string{"A two-part lesson for Year 8 science. See the Royal Society of Biology for background.",
			"Lesson plan: photosynthesis\n\nA two-part", "- Name the reactants", "Light-dependent reactions | thylakoid membranes | ATP, NADPH, oxygen"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b := fixture(t, tt.file)
			kind, _, err := Detect(b[:min(len(b), HeadSize)])
			if err != nil {
				t.Fatalf("Detect: %v", err)
			}
			var progress []int
			pages, err := extractBytes(t, b, kind, Limits{Timeout: 30 * time.Second, Progress: func(done, total int) { progress = append(progress, done) }})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if len(pages) != tt.wantPages {
				t.Errorf("got %d pages, want %d", len(pages), tt.wantPages)
			}
			if len(progress) == 0 || progress[len(progress)-1] < len(pages) {
				t.Errorf("progress reports %v", progress)
			}
			for i, p := range pages {
				if p.Number < i+1 || (i > 0 && p.Number <= pages[i-1].Number) {
					t.Errorf("page %d has Number %d", i, p.Number)
				}
				if strings.TrimSpace(p.Text) == "" {
					t.Errorf("page %d is empty", p.Number)
				}
				if strings.ContainsAny(p.Text, "\uFB00\uFB01\uFB02\uFB03\uFB04\u2212\u00AD\u00A0\r\uFEFF") {
					t.Errorf("page %d keeps a ligature, minus sign, soft hyphen, NBSP, CR or BOM", p.Number)
				}
				if strings.Contains(p.Text, "  ") || strings.Contains(p.Text, "\n\n\n") {
					t.Errorf("page %d has runs of spaces or blank lines", p.Number)
				}
				if Normalize(p.Text) != p.Text {
					t.Errorf("page %d is not normalised", p.Number)
				}
			}
			all := joinPages(pages)
			flat := strings.Join(strings.Fields(all), " ")
			for _, ph := range tt.phrases {
				if !strings.Contains(all, ph) && (strings.Contains(ph, "\n") || !strings.Contains(flat, ph)) {
					t.Errorf("text lacks %q", ph)
				}
			}
			if strings.Contains(all, "**") || strings.Contains(all, "](") {
				t.Errorf("markdown markup left in text")
			}
		})
	}
}

func TestExtractBad(t *testing.T) {
	bigEntries := make([]zipFile, 0, maxZipEntries+1)
	bigEntries = append(bigEntries, zipFile{"[Content_Types].xml", []byte(contentTypesXML)})
	for i := 0; i < maxZipEntries; i++ {
		bigEntries = append(bigEntries, zipFile{"word/media/x" + strings.Repeat("0", 3) + string(rune('a'+i%26)) + itoa(i), nil})
	}
	tests := []struct {
		name     string
		data     []byte
		kind     string // "" means as Detect says (Detect must accept it)
		lim      Limits
		wantCode string
	}{
		{"truncated pdf", fixture(t, "bad-truncated.pdf"), "", Limits{}, quizflow.ECORRUPT},
		{"encrypted pdf (aes-256, user password)", fixture(t, "bad-encrypted-aes256.pdf"), "", Limits{}, quizflow.EENCRYPTED},
		{"image-only pdf", fixture(t, "bad-image-only.pdf"), "", Limits{}, quizflow.ENOTEXT},
		{"garbled pdf", fixture(t, "bad-corrupt.pdf"), "", Limits{}, quizflow.ECORRUPT},
		{"png as pdf", fixture(t, "bad-png-renamed.pdf"), quizflow.KindPDF, Limits{}, quizflow.EUNSUPPORTED},
		{"elf as pdf", fixture(t, "bad-elf-renamed.pdf"), quizflow.KindPDF, Limits{}, quizflow.EUNSUPPORTED},
		{"zip not word", fixture(t, "bad-not-word.docx"), quizflow.KindDOCX, Limits{}, quizflow.EUNSUPPORTED},
		{"excel workbook that Detect cannot tell", makeZip(t, zipFile{"[Content_Types].xml", []byte(strings.Replace(contentTypesXML, "/word/document.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", "/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", 1))}, zipFile{"xl/workbook.xml", []byte("<x/>")}), "", Limits{}, quizflow.EUNSUPPORTED},
		{"zip of other files that Detect cannot tell", makeZip(t, zipFile{"notes/a.txt", []byte("a")}, zipFile{"notes/b.txt", []byte("b")}), "", Limits{}, quizflow.EUNSUPPORTED},
		{"ole word 97 as docx", fixture(t, "bad-ole-word97.docx"), quizflow.KindDOCX, Limits{}, quizflow.EUNSUPPORTED},
		{"truncated docx", fixture(t, "pandoc-handbook.docx")[:9000], quizflow.KindDOCX, Limits{}, quizflow.ECORRUPT},
		{"docx without text", makeDOCX(t, `<w:p/>`), "", Limits{}, quizflow.ENOTEXT},
		{"docx too many entries", makeZip(t, bigEntries...), "", Limits{}, quizflow.ETOOLARGE},
		{"too many pdf pages", fixture(t, "libreoffice-handbook-10p.pdf"), "", Limits{MaxPages: 5}, quizflow.ETOOMANY},
		{"too many docx pages", fixture(t, "pandoc-handbook.docx"), "", Limits{MaxPages: 5}, quizflow.ETOOMANY},
		{"too many text sections", bytes.Repeat([]byte("word "), 10*SectionWords), "", Limits{MaxPages: 3}, quizflow.ETOOMANY},
		{"too much pdf text", fixture(t, "libreoffice-handbook-10p.pdf"), "", Limits{MaxBytes: 4000}, quizflow.ETOOLARGE},
		{"too much text", bytes.Repeat([]byte("word "), 1000), "", Limits{MaxBytes: 4000}, quizflow.ETOOLARGE},
		{"timeout", fixture(t, "libreoffice-handbook-10p.pdf"), "", Limits{Timeout: time.Nanosecond}, quizflow.ETIMEOUT},
		{"invalid utf-8 after the head", append(bytes.Repeat([]byte("fine line\n"), 1000), "caf\xe9\n"...), quizflow.KindText, Limits{}, quizflow.EENCODING},
		{"empty", nil, quizflow.KindText, Limits{}, quizflow.EINVALID},
		{"unknown kind", []byte("x"), "rtf", Limits{}, quizflow.EINVALID},
		{"only blank lines", []byte("\n\n  \n"), "", Limits{}, quizflow.ENOTEXT},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kind := tt.kind
			if kind == "" {
				var err error
				kind, _, err = Detect(tt.data[:min(len(tt.data), HeadSize)])
				if err != nil {
					t.Fatalf("Detect: %v", err)
				}
			}
			if tt.lim.Timeout == 0 {
				tt.lim.Timeout = 20 * time.Second
			}
			start := time.Now()
			pages, err := extractBytes(t, tt.data, kind, tt.lim)
			if got := quizflow.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code = %q (%v, %d pages), want %q", got, err, len(pages), tt.wantCode)
			}
			if msg := quizflow.ErrorMessage(err); len(msg) < 20 || strings.Contains(msg, "panic") {
				t.Errorf("message %q is not for a person", msg)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

// TestExtractEncryptedMessage checks the exact wording users see.
func TestExtractEncryptedMessage(t *testing.T) {
	_, err := extractBytes(t, fixture(t, "bad-encrypted-aes256.pdf"), quizflow.KindPDF, Limits{})
	if got := quizflow.ErrorMessage(err); got != "This PDF is encrypted; upload a copy without a password." {
		t.Errorf("message = %q", got)
	}
	_, err = extractBytes(t, fixture(t, "bad-image-only.pdf"), quizflow.KindPDF, Limits{})
	if got := quizflow.ErrorMessage(err); !strings.HasPrefix(got, "This document has no selectable text; it may be a scan.") {
		t.Errorf("message = %q", got)
	}
	_, err = extractBytes(t, fixture(t, "bad-ole-word97.docx"), quizflow.KindDOCX, Limits{})
	if got := quizflow.ErrorMessage(err); !strings.Contains(got, "save it as .docx") {
		t.Errorf("message = %q", got)
	}
}

// TestExtractZipBomb: a DOCX whose document.xml inflates to far more than
// MaxBytes (about 1000:1) stops at the limit with ETOOLARGE, quickly and
// without holding the inflated bytes.
func TestExtractZipBomb(t *testing.T) {
	para := "<w:p><w:r><w:t>" + strings.Repeat("All work and no play. ", 40) + "</w:t></w:r></w:p>"
	body := strings.Repeat(para, (96<<20)/len(para)) // ~96 MiB, above the 64 MiB default
	bomb := makeDOCX(t, body)
	if len(bomb) > 2<<20 {
		t.Fatalf("bomb is %d bytes compressed; want a small file", len(bomb))
	}
	kind, _, err := Detect(bomb[:HeadSize])
	if err != nil || kind != quizflow.KindDOCX {
		t.Fatalf("Detect = %q, %v", kind, err)
	}
	start := time.Now()
	_, err = extractBytes(t, bomb, kind, Limits{})
	if quizflow.ErrorCode(err) != quizflow.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
	t.Logf("%d-byte DOCX inflating to %d MiB rejected in %v", len(bomb), len(body)>>20, time.Since(start))

	// A smaller limit stops sooner.
	_, err = extractBytes(t, bomb, kind, Limits{MaxBytes: 1 << 20})
	if quizflow.ErrorCode(err) != quizflow.ETOOLARGE {
		t.Fatalf("err = %v, want ETOOLARGE", err)
	}
}

func TestExtractCancelled(t *testing.T) {
	b := fixture(t, "libreoffice-handbook-10p.pdf")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Extract(ctx, bytes.NewReader(b), int64(len(b)), quizflow.KindPDF, Limits{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if quizflow.IsUserError(err) {
		t.Errorf("cancellation must not be a user error")
	}
}

// TestExtractPDFBadPage: one page whose content cannot be decoded is
// skipped and reported; the other pages are returned with their numbers.
func TestExtractPDFBadPage(t *testing.T) {
	pdf := makePDF([]string{
		textPage("The first page is fine.", "It has two lines."),
		"garbage that claims an unknown filter",
		textPage("The third page is fine too."),
	}, map[int]string{1: "LZWDecode"})
	var bad []int
	pages, err := extractBytes(t, pdf, quizflow.KindPDF, Limits{PageError: func(p int, err error) { bad = append(bad, p) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 2 || pages[0].Number != 1 || pages[1].Number != 3 {
		t.Fatalf("pages = %+v", pages)
	}
	if pages[0].Text != "The first page is fine.\nIt has two lines." {
		t.Errorf("page 1 = %q", pages[0].Text)
	}
	if len(bad) != 1 || bad[0] != 2 {
		t.Errorf("PageError calls = %v, want [2]", bad)
	}

	// Every page broken: ECORRUPT.
	pdf = makePDF([]string{"x", "y"}, map[int]string{0: "LZWDecode", 1: "LZWDecode"})
	_, err = extractBytes(t, pdf, quizflow.KindPDF, Limits{})
	if quizflow.ErrorCode(err) != quizflow.ECORRUPT {
		t.Fatalf("err = %v, want ECORRUPT", err)
	}
}

func TestDOCXStructure(t *testing.T) {
	body := `<w:p><w:r><w:t>Chapter one</w:t></w:r></w:p>` +
		`<w:p><w:r><w:t xml:space="preserve">Cells need </w:t></w:r><w:r><w:t>energy.</w:t><w:tab/><w:t>Tabbed</w:t><w:br/><w:t>next line</w:t></w:r></w:p>` +
		`<w:p><w:r><w:del><w:delText>deleted words</w:delText></w:del><w:instrText>PAGEREF x</w:instrText><w:t>Kept</w:t></w:r></w:p>` +
		`<w:p><w:r><w:br w:type="page"/><w:t>Chapter two</w:t></w:r></w:p>` +
		`<w:tbl><w:tr><w:tc><w:p><w:r><w:t>Organelle</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>Job</w:t></w:r></w:p></w:tc></w:tr>` +
		`<w:tr><w:tc><w:p><w:r><w:t>Mitochondrion</w:t></w:r></w:p></w:tc><w:tc><w:p><w:r><w:t>releases energy</w:t></w:r></w:p><w:p><w:r><w:t>from glucose</w:t></w:r></w:p></w:tc></w:tr></w:tbl>` +
		`<w:p><w:pPr><w:pageBreakBefore/></w:pPr><w:r><w:t>Chapter three</w:t></w:r></w:p>` +
		`<w:p><w:r><mc:AlternateContent><mc:Choice><w:t>Box text</w:t></mc:Choice><mc:Fallback><w:t>Box text</w:t></mc:Fallback></mc:AlternateContent></w:r></w:p>` +
		`<w:p><w:r><w:lastRenderedPageBreak/><w:t>Four</w:t><w:noBreakHyphen/><w:t>teen</w:t></w:r></w:p>`
	pages, err := extractBytes(t, makeDOCX(t, body), quizflow.KindDOCX, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"Chapter one\n\nCells need energy. Tabbed\nnext line\n\nKept",
		"Chapter two\n\nOrganelle | Job\nMitochondrion | releases energy from glucose",
		"Chapter three\n\nBox text",
		"Four-teen",
	}
	if len(pages) != len(want) {
		t.Fatalf("got %d pages: %+v", len(pages), pages)
	}
	for i, p := range pages {
		if p.Number != i+1 || p.Text != want[i] {
			t.Errorf("page %d = %d %q, want %q", i, p.Number, p.Text, want[i])
		}
	}

	// Without page breaks, long documents are cut into sections.
	long := strings.Repeat(`<w:p><w:r><w:t>`+strings.Repeat("word ", 100)+`</w:t></w:r></w:p>`, 30)
	pages, err = extractBytes(t, makeDOCX(t, long), quizflow.KindDOCX, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) != 30*100/SectionWords {
		t.Errorf("got %d sections, want %d", len(pages), 30*100/SectionWords)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"e\uFB03cient \uFB02ow e\uFB00ort \uFB01rst ba\uFB04e", "efficient flow effort first baffle"},
		{"\u22125 \u00B0C and non\u2011breaking and pre\u2010war", "-5 °C and non-breaking and pre-war"},
		{"soft\u00ADhyphen", "softhyphen"},
		{"a\u00A0b  \t c", "a b c"},
		{"line one  \r\nline two\rline three", "line one\nline two\nline three"},
		{"para one\n\n\n\n  para two\n", "para one\n\npara two"},
		{"  \n\nlead and trail \n\n ", "lead and trail"},
		{"ctl\x00\x07chars\x1b", "ctlchars"},
		{"cafe\u0301", "café"},
		{"x² and ½ stay", "x² and ½ stay"},
		{"\uFEFFbom", "bom"},
		{"bad\uFFFDglyph", "badglyph"},
	}
	for _, tt := range tests {
		if got := Normalize(tt.in); got != tt.want {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := Normalize(tt.want); got != tt.want {
			t.Errorf("Normalize is not idempotent on %q: %q", tt.want, got)
		}
	}
}

func TestLayoutLine(t *testing.T) {
	g := func(x float64, s string) glyph { return glyph{x: x, y: 700, w: 5, size: 10, s: s} }
	tests := []struct {
		name string
		gs   []glyph
		want string
	}{
		{"gap makes a space", []glyph{g(0, "a"), g(5, "b"), g(12, "c")}, "ab c"},
		{"kerning is no space", []glyph{g(0, "a"), g(5.9, "b"), g(10.5, "c")}, "abc"},
		{"order by x", []glyph{g(12, "c"), g(0, "a"), g(5, "b")}, "ab c"},
		{"fake bold drawn twice", []glyph{g(0, "a"), g(0.3, "a"), g(5, "b")}, "ab"},
		{"space glyph kerned over is not a word break", []glyph{g(0, "v"), {x: 5, y: 700, w: 2.5, size: 10, s: " "}, g(5.05, "e")}, "ve"},
		{"space glyph", []glyph{g(0, "a"), {x: 5, y: 700, w: 2.5, size: 10, s: " "}, g(7.5, "b")}, "a b"},
	}
	for _, tt := range tests {
		if got := layoutPage(tt.gs); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestLayoutParagraphsAndHyphens(t *testing.T) {
	var gs []glyph
	line := func(y float64, words ...string) {
		x := 72.0
		for _, w := range words {
			for _, r := range w {
				gs = append(gs, glyph{x: x, y: y, w: 5, size: 10, s: string(r)})
				x += 5
			}
			x += 3
		}
	}
	line(700, "Photo-")
	line(688, "synthesis", "is", "well-")
	line(676, "known", "in", "Estates-")
	line(664, "General")
	line(640, "New", "paragraph.")
	got := layoutPage(gs)
	want := "Photosynthesis is well-known in Estates-General\n\nNew paragraph."
	if got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestMarkdownStrip(t *testing.T) {
	in := "# Title #\n\nSome **bold**, *em*, _under_, `code` and [a link](http://x.org \"t\") and ![alt text](i.png).\n" +
		"snake_case_name and 2 * 3 * 4 stay.\n\n* item one\n+ item two\n\n> quoted\n\n```\ncode *kept*\n```\n\nSetext\n======\n\n---\n\n[ref]: http://x.org\n"
	got := Normalize(stripMarkdown(in))
	want := "Title\n\nSome bold, em, under, code and a link and alt text.\nsnake_case_name and 2 * 3 * 4 stay.\n\n- item one\n- item two\n\nquoted\n\ncode *kept*\n\nSetext"
	if got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
}

func TestPaginate(t *testing.T) {
	para := strings.TrimSpace(strings.Repeat("word ", 200))
	text := strings.Join([]string{para, para, para, para, para}, "\n\n")
	secs := paginate(text, 500)
	if len(secs) != 3 {
		t.Fatalf("got %d sections, want 3 (2+2+1 paragraphs)", len(secs))
	}
	huge := strings.TrimSpace(strings.Repeat("word ", 1234))
	secs = paginate(huge, 500)
	if len(secs) != 3 || len(strings.Fields(secs[0])) != 500 {
		t.Fatalf("huge line: %d sections", len(secs))
	}
}

// TestExtractPDFPageTree: a page tree that reaches a node or page twice is
// ECORRUPT rather than a document of repeated pages; distinct pages that
// look alike, and direct page dictionaries, are still read.
func TestExtractPDFPageTree(t *testing.T) {
	const (
		catalog = "<< /Type /Catalog /Pages 2 0 R >>"
		font    = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"
		res     = "/Resources << /Font << /F1 3 0 R >> >> /MediaBox [0 0 612 792]"
		page4   = "<< /Type /Page /Parent 2 0 R /Contents 5 0 R >>"
	)
	content := func(s string) string {
		c := textPage(s)
		return fmt.Sprintf("<< /Length %d >>\nstream\n%s\nendstream", len(c), c)
	}
	pages := func(kids string, count int) string {
		return fmt.Sprintf("<< /Type /Pages /Kids [%s] /Count %d %s >>", kids, count, res)
	}
	tests := []struct {
		name      string
		pdf       []byte
		wantCode  string
		wantTexts []string
	}{
		{"pages node lists itself", writePDF([]string{catalog, pages("4 0 R 2 0 R", 1), font, page4, content("Only page.")}), quizflow.ECORRUPT, nil},
		{"page listed twice", writePDF([]string{catalog, pages("4 0 R 4 0 R", 2), font, page4, content("Only page.")}), quizflow.ECORRUPT, nil},
		{"child node lists its parent", writePDF([]string{catalog, pages("6 0 R", 1), font,
			"<< /Type /Page /Parent 6 0 R /Contents 5 0 R >>", content("Only page."),
			"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R 2 0 R] /Count 1 >>"}), quizflow.ECORRUPT, nil},
		{"page listed under two nodes", writePDF([]string{catalog, pages("6 0 R 7 0 R", 2), font, page4, content("Only page."),
			"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>",
			"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>"}), quizflow.ECORRUPT, nil},
		{"page is its own parent", writePDF([]string{catalog, "<< /Type /Pages /Kids [4 0 R] /Count 1 >>", font,
			"<< /Type /Page /Parent 4 0 R /Contents 5 0 R >>", content("Only page.")}), quizflow.ECORRUPT, nil},
		{"resources inherited through two levels", writePDF([]string{catalog, pages("6 0 R", 1), font,
			"<< /Type /Page /Parent 6 0 R /Contents 5 0 R >>", content("Inherited."),
			"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>"}), "", []string{"Inherited."}},
		{"two page objects with identical dictionaries", writePDF([]string{catalog, pages("4 0 R 6 0 R", 2), font, page4, content("Same content."), page4}), "", []string{"Same content.", "Same content."}},
		{"direct page dictionaries", writePDF([]string{catalog, pages("<< /Type /Page /Parent 2 0 R /Contents 4 0 R >> << /Type /Page /Parent 2 0 R /Contents 5 0 R >>", 2), font, content("First."), content("Second.")}), "", []string{"First.", "Second."}},
		{"nested tree", writePDF([]string{catalog, pages("6 0 R 7 0 R", 2), font,
			"<< /Type /Page /Parent 6 0 R /Contents 5 0 R >>", content("First."),
			"<< /Type /Pages /Parent 2 0 R /Kids [4 0 R] /Count 1 >>",
			"<< /Type /Pages /Parent 2 0 R /Kids [8 0 R] /Count 1 >>",
			"<< /Type /Page /Parent 7 0 R /Contents 9 0 R >>", content("Second.")}), "", []string{"First.", "Second."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := extractBytes(t, tt.pdf, quizflow.KindPDF, Limits{})
			if code := quizflow.ErrorCode(err); code != tt.wantCode {
				t.Fatalf("code = %q (%v), want %q; %d pages", code, err, tt.wantCode, len(got))
			}
			if err != nil {
				if msg := quizflow.ErrorMessage(err); msg != "The PDF's page tree is broken (a page or node is listed twice)." {
					t.Errorf("message = %q", msg)
				}
				return
			}
			var texts []string
			for _, p := range got {
				texts = append(texts, p.Text)
			}
			if strings.Join(texts, "|") != strings.Join(tt.wantTexts, "|") {
				t.Errorf("pages = %q, want %q", texts, tt.wantTexts)
			}
		})
	}

	// Real producers' trees still read: every good fixture, and all 11
	// pages of the LibreOffice one.
	files, err := filepath.Glob(filepath.Join("testdata", "*.pdf"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no pdf fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasPrefix(name, "bad-") {
			continue
		}
		got, err := extractBytes(t, fixture(t, name), quizflow.KindPDF, Limits{})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if name == "libreoffice-handbook-10p.pdf" && (len(got) != 11 || got[10].Number != 11) {
			t.Errorf("%s: %d pages, want 11", name, len(got))
		}
	}
}

// TestHostileStreamsBounded: a Flate stream that inflates to a gigabyte is
// refused after MaxStreamBytes of decoding, and a small stream that draws
// millions of glyphs is refused once the page's glyph records pass
// MaxBytes, each without allocating much more than the bound.
func TestHostileStreamsBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		file     []byte
		maxAlloc uint64
	}{
		{"1 GiB of text operators", hostile.FlateBombPDF(1<<30, hostile.GlyphOps), 64 << 20},
		{"16 MiB of glyphs", hostile.FlateBombPDF(16<<20, hostile.GlyphOps), 512 << 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Extract(context.Background(), bytes.NewReader(tc.file), int64(len(tc.file)), quizflow.KindPDF, Limits{})
			runtime.ReadMemStats(&after)
			if quizflow.ErrorCode(err) != quizflow.ETOOLARGE {
				t.Fatalf("err = %v, want %s", err, quizflow.ETOOLARGE)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > tc.maxAlloc {
				t.Errorf("allocated %d MiB on the way to refusing it, want at most %d MiB", alloc>>20, tc.maxAlloc>>20)
			}
		})
	}
}
