package extract

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"path"
	"strings"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxZipEntries caps the entries of a DOCX archive; real documents have a
// few dozen.
const maxZipEntries = 5000

// extractDOCX reads the main document part of a Word package.
//
// Pages: a new page starts at every explicit page break (<w:br
// w:type="page"/>, pageBreakBefore), section break other than continuous,
// and w:lastRenderedPageBreak, the page ends Word recorded when it last laid
// the document out; empty pages are dropped. A page (or a document without
// any of these) of more than 2×SectionWords words is cut into sections of
// about SectionWords words. Paragraphs become lines separated by blank
// lines, breaks become line ends, tabs spaces, and each table row a line
// with its cells joined by " | ". Deleted text (tracked changes), field codes
// and the fallback copies of text boxes are skipped; headers, footers,
// footnotes and comments are not read.
//
// Zip bombs: at most maxZipEntries entries, and the bytes inflated from the
// archive, counted as they are read (the sizes in the headers are not
// trusted), may not exceed Limits.MaxBytes (ETOOLARGE).
//
// An OLE compound file given as DOCX is explained as Detect does: an
// encrypted document (EENCRYPTED) or an old .doc (EUNSUPPORTED).
func extractDOCX(ctx context.Context, ra io.ReaderAt, size int64, lim Limits) ([]quizflow.Page, error) {
	head := make([]byte, min(size, 1<<20))
	n, _ := ra.ReadAt(head, 0)
	head = head[:n]
	if bytes.HasPrefix(head, magicOLE) {
		return nil, oleError(head)
	}
	if !bytes.HasPrefix(head, magicZip) && !bytes.HasPrefix(head, []byte("PK\x05\x06")) {
		return nil, quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is not a Word (.docx) document.")
	}
	zr, err := zip.NewReader(ra, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return nil, corrupt(quizflow.KindDOCX)
	}
	if len(zr.File) > maxZipEntries {
		return nil, quizflow.Errorf(quizflow.ETOOLARGE, "This Word document holds %d files, more than can be processed.", len(zr.File))
	}
	files := make(map[string]*zip.File, len(zr.File))
	names := make([]string, 0, len(zr.File))
	for _, f := range zr.File {
		files[f.Name] = f
		names = append(names, f.Name)
	}

	budget := &inflateBudget{left: lim.MaxBytes}
	main := "word/document.xml"
	if ct := files["[Content_Types].xml"]; ct != nil {
		if p, err := mainPart(ct, budget); err != nil {
			return nil, err
		} else if p != "" {
			main = p
		}
	}
	doc := files[main]
	if doc == nil {
		if err := classifyZipNames(names, true); err != nil {
			return nil, err
		}
		return nil, corrupt(quizflow.KindDOCX)
	}
	rc, err := doc.Open()
	if err != nil {
		return nil, corrupt(quizflow.KindDOCX)
	}
	defer rc.Close()
	raw, err := readDocument(ctx, budget.reader(rc))
	if errors.Is(err, errInflateLimit) {
		return nil, tooLarge(budget.max)
	}
	if err != nil {
		return nil, err
	}

	var pages []quizflow.Page
	for _, p := range raw {
		t := Normalize(p)
		if t == "" {
			continue
		}
		secs := []string{t}
		if len(strings.Fields(t)) > 2*SectionWords {
			secs = paginate(t, SectionWords)
		}
		for _, s := range secs {
			pages = append(pages, quizflow.Page{Number: len(pages) + 1, Text: s})
			if len(pages) > lim.MaxPages {
				return nil, tooMany(0, lim.MaxPages)
			}
		}
	}
	if len(pages) == 0 {
		return nil, quizflow.Errorf(quizflow.ENOTEXT, "This Word document has no text.")
	}
	if lim.Progress != nil {
		lim.Progress(len(pages), len(pages))
	}
	return pages, nil
}

// inflateBudget counts bytes inflated from the archive against MaxBytes.
type inflateBudget struct {
	left int64
	max  int64
}

func (b *inflateBudget) reader(r io.Reader) io.Reader {
	if b.max == 0 {
		b.max = b.left
	}
	return &budgetReader{r: r, b: b}
}

type budgetReader struct {
	r io.Reader
	b *inflateBudget
}

var errInflateLimit = errors.New("inflate limit")

func (r *budgetReader) Read(p []byte) (int, error) {
	if r.b.left <= 0 {
		// One byte more than the budget tells a file that ends exactly
		// at the limit from one that goes on.
		var one [1]byte
		if n, _ := r.r.Read(one[:]); n > 0 {
			return 0, errInflateLimit
		}
		return 0, io.EOF
	}
	if int64(len(p)) > r.b.left {
		p = p[:r.b.left]
	}
	n, err := r.r.Read(p)
	r.b.left -= int64(n)
	return n, err
}

// mainPart finds the main document part in [Content_Types].xml.
func mainPart(f *zip.File, budget *inflateBudget) (string, error) {
	rc, err := f.Open()
	if err != nil {
		return "", corrupt(quizflow.KindDOCX)
	}
	defer rc.Close()
	var types struct {
		Overrides []struct {
			PartName    string `xml:"PartName,attr"`
			ContentType string `xml:"ContentType,attr"`
		} `xml:"Override"`
	}
	if err := xml.NewDecoder(budget.reader(rc)).Decode(&types); err != nil {
		if errors.Is(err, errInflateLimit) {
			return "", tooLarge(budget.max)
		}
		return "", corrupt(quizflow.KindDOCX)
	}
	var other string
	for _, o := range types.Overrides {
		ct := o.ContentType
		switch {
		case strings.HasSuffix(ct, "wordprocessingml.document.main+xml"),
			strings.HasSuffix(ct, "wordprocessingml.template.main+xml"),
			strings.HasPrefix(ct, "application/vnd.ms-word.") && strings.HasSuffix(ct, ".main+xml"):
			return strings.TrimPrefix(path.Clean("/"+o.PartName), "/"), nil
		case strings.HasSuffix(ct, "spreadsheetml.sheet.main+xml"):
			other = "xl/"
		case strings.HasSuffix(ct, "presentationml.presentation.main+xml"):
			other = "ppt/"
		}
	}
	if other != "" {
		return "", classifyZipNames([]string{other}, true)
	}
	return "", nil
}

const (
	nsW       = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
	nsWStrict = "http://purl.oclc.org/ooxml/wordprocessingml/main"
	nsMC      = "http://schemas.openxmlformats.org/markup-compatibility/2006"
)

// readDocument streams word/document.xml and returns the raw text of each
// page (see extractDOCX).
func readDocument(ctx context.Context, r io.Reader) ([]string, error) {
	d := xml.NewDecoder(r)
	var (
		pages     []string
		page      strings.Builder
		para      strings.Builder
		cell      strings.Builder
		row       []string
		inText    bool // inside w:t
		skip      int  // depth inside a skipped element (mc:Fallback, w:instrText)
		tbl       int  // table nesting
		inPPr     bool
		sectBreak bool
		listItem  bool // the paragraph is numbered or bulleted
		tokens    int
	)
	breakPage := func() {
		if para.Len() > 0 {
			page.WriteString(para.String())
			page.WriteString("\n")
			para.Reset()
		}
		pages = append(pages, page.String())
		page.Reset()
	}
	endPara := func() {
		if listItem && para.Len() > 0 {
			s := para.String()
			para.Reset()
			para.WriteString("- ")
			para.WriteString(s)
		}
		listItem = false
		if tbl > 0 {
			if para.Len() > 0 {
				if cell.Len() > 0 {
					cell.WriteString(" ")
				}
				cell.WriteString(para.String())
			}
		} else {
			page.WriteString(para.String())
			page.WriteString("\n\n")
		}
		para.Reset()
		if sectBreak && tbl == 0 {
			breakPage()
		}
		sectBreak = false
	}
	isW := func(n xml.Name) bool { return n.Space == nsW || n.Space == nsWStrict }
	attr := func(se xml.StartElement, local string) string {
		for _, a := range se.Attr {
			if a.Name.Local == local {
				return a.Value
			}
		}
		return ""
	}

	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, errInflateLimit) {
				return nil, err
			}
			return nil, corrupt(quizflow.KindDOCX)
		}
		tokens++
		if tokens%ctxCheckEvery == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if skip > 0 {
				skip++
				continue
			}
			if t.Name.Space == nsMC && t.Name.Local == "Fallback" {
				skip = 1
				continue
			}
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "instrText", "delText", "delInstrText":
				skip = 1
			case "t":
				inText = true
			case "tab", "ptab":
				if !inPPr {
					para.WriteString("\t")
				}
			case "br":
				switch attr(t, "type") {
				case "page":
					if tbl == 0 {
						breakPage()
					} else {
						para.WriteString("\n")
					}
				default:
					para.WriteString("\n")
				}
			case "cr":
				para.WriteString("\n")
			case "lastRenderedPageBreak":
				if tbl == 0 {
					breakPage()
				}
			case "noBreakHyphen":
				para.WriteString("-")
			case "pPr":
				inPPr = true
			case "numPr":
				listItem = inPPr
			case "pageBreakBefore":
				if v := attr(t, "val"); inPPr && tbl == 0 && v != "0" && v != "false" && v != "off" {
					breakPage()
				}
			case "sectPr":
				if inPPr {
					sectBreak = true
				}
			case "type":
				if inPPr && attr(t, "val") == "continuous" {
					sectBreak = false
				}
			case "tbl":
				if tbl == 0 && para.Len() > 0 {
					endPara()
				}
				tbl++
			case "tr":
				if tbl == 1 {
					row = row[:0]
				}
			case "tc":
				if tbl == 1 {
					cell.Reset()
				}
			}
		case xml.EndElement:
			if skip > 0 {
				skip--
				continue
			}
			if !isW(t.Name) {
				continue
			}
			switch t.Name.Local {
			case "t":
				inText = false
			case "pPr":
				inPPr = false
			case "p":
				endPara()
			case "tc":
				if tbl == 1 {
					row = append(row, strings.TrimSpace(cell.String()))
					cell.Reset()
				}
			case "tr":
				if tbl == 1 {
					page.WriteString(strings.Join(row, " | "))
					page.WriteString("\n")
				}
			case "tbl":
				tbl--
				if tbl == 0 {
					page.WriteString("\n")
				}
			}
		case xml.CharData:
			if inText && skip == 0 {
				para.Write(t)
			}
		}
	}
	breakPage()
	return pages, nil
}
