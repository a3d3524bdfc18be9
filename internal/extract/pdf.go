package extract

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/ledongthuc/pdf"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// maxTreeDepth bounds the page tree walk; real trees are a few levels deep.
// Cycles (a Kids entry pointing back up) are caught before this by
// pdfPages' seen set; the bound is for very deep trees of distinct nodes.
const maxTreeDepth = 64

// extractPDF reads every page of a PDF in one pass over the page tree.
//
// Encryption: a PDF that needs a password, or uses encryption the library
// cannot undo (AES-256), is EENCRYPTED. A PDF encrypted with an empty user
// password (only an owner password restricting printing or editing) opens
// without asking anyone, so it is read like any other.
func extractPDF(ctx context.Context, ra io.ReaderAt, size int64, lim Limits) ([]quizflow.Page, error) {
	r, err := openPDF(ra, size)
	if err != nil {
		return nil, err
	}
	pages, err := pdfPages(r, lim.MaxPages)
	if err != nil {
		return nil, err
	}
	if len(pages) == 0 {
		return nil, noText()
	}

	budget := newTextBudget(lim)
	cr := &contentReader{ctx: ctx, fonts: fontCache{}, budget: budget}
	var out []quizflow.Page
	failed := 0
	for i, p := range pages {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		text, err := pageText(cr, p)
		if err != nil {
			var qe *quizflow.Error
			if errors.As(err, &qe) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return nil, err
			}
			failed++
			if lim.PageError != nil {
				lim.PageError(i+1, err)
			}
		} else if text != "" {
			out = append(out, quizflow.Page{Number: i + 1, Text: text})
		}
		if lim.Progress != nil {
			lim.Progress(i+1, len(pages))
		}
	}
	if failed == len(pages) {
		return nil, corrupt(quizflow.KindPDF)
	}
	if len(out) == 0 {
		return nil, noText()
	}
	return out, nil
}

// pageText extracts one page, turning a panic in the library (or in our
// interpreter on hostile input) into an error for this page only.
func pageText(cr *contentReader, p pdf.Page) (text string, err error) {
	defer func() {
		if x := recover(); x != nil {
			if a, ok := x.(abortError); ok {
				err = a.err
				return
			}
			err = fmt.Errorf("page: %v", x)
		}
	}()
	return Normalize(layoutPage(cr.readPage(p))), nil
}

// openPDF opens the file with ledongthuc/pdf and classifies failures.
func openPDF(ra io.ReaderAt, size int64) (*pdf.Reader, error) {
	head := make([]byte, 16)
	n, _ := ra.ReadAt(head, 0)
	head = head[:n]
	if !bytes.HasPrefix(head, []byte("%PDF-")) {
		return nil, quizflow.Errorf(quizflow.EUNSUPPORTED, "This file is not a PDF document.")
	}
	ra = fixHeader(ra, head)

	r, err := pdf.NewReader(ra, size)
	if err != nil {
		if isEncryptErr(err) || hasEncryptTail(ra, size) {
			return nil, encrypted()
		}
		return nil, corrupt(quizflow.KindPDF)
	}
	return r, nil
}

func encrypted() *quizflow.Error {
	return quizflow.Errorf(quizflow.EENCRYPTED, "This PDF is encrypted; upload a copy without a password.")
}

func isEncryptErr(err error) bool {
	if errors.Is(err, pdf.ErrInvalidPassword) {
		return true
	}
	s := strings.ToLower(err.Error())
	return strings.Contains(s, "encrypt") || strings.Contains(s, "password")
}

// hasEncryptTail reports whether the end of the file (where the trailer or
// the cross-reference stream dictionary lives) mentions /Encrypt.
func hasEncryptTail(ra io.ReaderAt, size int64) bool {
	const tail = 64 << 10
	off := max(size-tail, 0)
	buf := make([]byte, size-off)
	n, _ := ra.ReadAt(buf, off)
	return bytes.Contains(buf[:n], []byte("/Encrypt"))
}

// fixHeader works around the library's strict header check, which accepts
// only "%PDF-1.0" to "%PDF-1.7" followed by an end of line: a PDF 2.0 file
// (or one whose header line goes on with a comment) is presented to the
// library as "%PDF-1.7\n". The header line is a comment, so nothing the
// parser uses moves.
func fixHeader(ra io.ReaderAt, head []byte) io.ReaderAt {
	if len(head) < 9 {
		return ra
	}
	ok := bytes.HasPrefix(head, []byte("%PDF-1.")) && head[7] >= '0' && head[7] <= '7' && (head[8] == '\r' || head[8] == '\n')
	if ok {
		return ra
	}
	return patchedReaderAt{ra, []byte("%PDF-1.7\n")}
}

type patchedReaderAt struct {
	io.ReaderAt
	prefix []byte
}

func (p patchedReaderAt) ReadAt(b []byte, off int64) (int, error) {
	n, err := p.ReaderAt.ReadAt(b, off)
	for i := 0; i < n; i++ {
		if o := off + int64(i); o < int64(len(p.prefix)) {
			b[i] = p.prefix[o]
		} else {
			break
		}
	}
	return n, err
}

// pdfPages lists the pages in document order by walking the page tree once
// from the catalog's /Pages node.
//
// A node or page reached twice (a Kids entry pointing back to an ancestor or
// to itself, or one page listed twice) is ECORRUPT: without the check a
// self-listing node was read as maxTreeDepth copies of its page.
//
// The library's Reader.Page(i) walks from the root for every page, which
// re-parses the Kids of every node on the way: reading all n pages of a
// flat tree that way parses O(n²) objects. pdf.Page is a struct with one
// exported field (V, the page dictionary), so the walk can build the pages
// itself. Inherited attributes (Resources, MediaBox) need nothing extra:
// pageResources looks them up through the /Parent links (with a bound, as
// those can loop too), which a page reached from its parent's Kids still has.
func pdfPages(r *pdf.Reader, maxPages int) (pages []pdf.Page, err error) {
	defer func() {
		if x := recover(); x != nil {
			var qe *quizflow.Error
			if e, ok := x.(error); ok && errors.As(e, &qe) {
				err = qe
				return
			}
			if len(pages) == 0 {
				err = corrupt(quizflow.KindPDF)
			}
			// Otherwise keep the pages found before the damaged node.
		}
	}()
	root := r.Trailer().Key("Root").Key("Pages")
	if n := int(root.Key("Count").Int64()); n > maxPages {
		return nil, tooMany(n, maxPages)
	}
	seen := map[objectKey]bool{}
	var walk func(node pdf.Value, depth int)
	walk = func(node pdf.Value, depth int) {
		k := keyOf(node)
		if seen[k] {
			panic(error(brokenTree()))
		}
		seen[k] = true
		kids := node.Key("Kids")
		if node.Key("Type").Name() == "Page" || (kids.Kind() != pdf.Array && !node.Key("Contents").IsNull()) {
			if len(pages) >= maxPages {
				panic(error(tooMany(0, maxPages)))
			}
			pages = append(pages, pdf.Page{V: node})
			return
		}
		if depth >= maxTreeDepth {
			return
		}
		for i := 0; i < kids.Len(); i++ {
			walk(kids.Index(i), depth+1)
		}
	}
	walk(root, 0)
	return pages, nil
}
