// Package extract turns uploaded documents (PDF, DOCX, UTF-8 text and
// Markdown) into the text of their pages.
//
// Detect decides what a file is from its first bytes; Extract reads it within
// limits of time, pages and bytes and returns one quizflow.Page per page (PDF),
// per rendered or explicit page (DOCX) or per section of about
// SectionWords words (text, Markdown, DOCX without page breaks).
//
// Files are untrusted. Every failure that is the file's fault is a
// *quizflow.Error whose Message can be shown to the person who uploaded it;
// parser panics are recovered (per page for PDF), decompression is bounded
// (DOCX zip bombs) and the whole extraction runs under a deadline.
// Cancellation of the caller's context is not the file's fault: Extract then
// returns ctx.Err() so that the job can be retried.
package extract

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Defaults applied by Extract to zero fields of Limits.
const (
	// DefaultMaxPages is the page (or section) limit.
	DefaultMaxPages = 500
	// DefaultMaxBytes bounds both the decompressed bytes read from a DOCX
	// archive and the bytes of text produced for any kind.
	DefaultMaxBytes = 64 << 20
	// DefaultTimeout bounds one extraction.
	DefaultTimeout = 2 * time.Minute
	// DefaultMaxStreamBytes bounds the decoded size of one PDF content
	// stream (a page's contents, a form, a font's ToUnicode map). Real
	// content streams are kilobytes to a few megabytes; images are never
	// decoded.
	DefaultMaxStreamBytes = 32 << 20
)

// SectionWords is about how many words a section holds when a document has no
// pages of its own (text, Markdown, and DOCX files without page breaks). It is
// roughly one printed page. Sections end at paragraph boundaries; a longer
// paragraph is cut between words.
const SectionWords = 500

// Limits bound one extraction. The zero value of each field means its
// default.
type Limits struct {
	// MaxPages is the most pages (PDF) or sections (other kinds) a document
	// may have; more is ETOOMANY. Zero means DefaultMaxPages.
	MaxPages int
	// MaxBytes bounds decompressed bytes read from a DOCX archive, the
	// total text produced, and the working memory of one PDF page (its
	// glyph records); more is ETOOLARGE. Four times MaxBytes bounds the
	// decoded bytes of all PDF content streams of a document together.
	// Zero means DefaultMaxBytes.
	MaxBytes int64
	// MaxStreamBytes bounds the decoded size of one PDF content stream,
	// measured before the stream is interpreted; more is ETOOLARGE. Zero
	// means DefaultMaxStreamBytes.
	MaxStreamBytes int64
	// Timeout bounds the whole extraction; when it passes Extract returns
	// ETIMEOUT. Zero means DefaultTimeout. The caller's context deadline
	// still applies (and then yields ctx.Err(), not ETIMEOUT).
	Timeout time.Duration
	// Progress, if set, is called after each page with the pages done and
	// the total (for PDF the page count; for other kinds it is called once at
	// the end). It is called from the extracting goroutine, never
	// concurrently, and must be quick.
	Progress func(done, total int)
	// PageError, if set, is told about each PDF page that could not be read
	// and was skipped (the other pages are still returned). Same calling
	// rules as Progress.
	PageError func(page int, err error)
}

func (l Limits) withDefaults() Limits {
	if l.MaxPages <= 0 {
		l.MaxPages = DefaultMaxPages
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = DefaultMaxBytes
	}
	if l.Timeout <= 0 {
		l.Timeout = DefaultTimeout
	}
	if l.MaxStreamBytes <= 0 {
		l.MaxStreamBytes = DefaultMaxStreamBytes
	}
	return l
}

// Extract returns the text of the document in r (size bytes) of the given
// kind (quizflow.KindPDF, KindDOCX, KindText or KindMarkdown, as returned by
// Detect). Pages hold normalised text (see Normalize) and are numbered from
// 1; for PDF, Number is the page's number in the file and pages without text
// are left out.
//
// Errors are *quizflow.Error with code:
//   - EENCRYPTED: a password is needed (PDF, or an encrypted Office file);
//   - ECORRUPT: the structure cannot be read (truncated, garbled, every PDF
//     page failed);
//   - ENOTEXT: readable but without text (a scan);
//   - ETOOMANY: more than MaxPages pages;
//   - ETOOLARGE: more than MaxBytes of text or decompressed data;
//   - ETIMEOUT: the Timeout passed;
//   - EENCODING: text that is not UTF-8;
//   - EUNSUPPORTED: not a kind this package reads (a zip that is not Word,
//     an old .doc file);
//   - EINVALID: an unknown kind or an empty file.
//
// If ctx is cancelled or its deadline passes, Extract returns ctx.Err(). On a
// timeout or cancellation the parsing goroutine is abandoned: it stops at
// its next check (between PDF pages and every few thousand content
// operators), but one pathological step inside the PDF library can run on
// until it ends by itself.
func Extract(ctx context.Context, r io.ReaderAt, size int64, kind string, lim Limits) ([]quizflow.Page, error) {
	lim = lim.withDefaults()
	if size <= 0 {
		return nil, quizflow.Errorf(quizflow.EINVALID, "The file is empty; upload a document with some text in it.")
	}
	var run func(context.Context, io.ReaderAt, int64, Limits) ([]quizflow.Page, error)
	switch kind {
	case quizflow.KindPDF:
		run = extractPDF
	case quizflow.KindDOCX:
		run = extractDOCX
	case quizflow.KindText:
		run = func(ctx context.Context, r io.ReaderAt, size int64, lim Limits) ([]quizflow.Page, error) {
			return extractText(ctx, r, size, lim, false)
		}
	case quizflow.KindMarkdown:
		run = func(ctx context.Context, r io.ReaderAt, size int64, lim Limits) ([]quizflow.Page, error) {
			return extractText(ctx, r, size, lim, true)
		}
	default:
		return nil, quizflow.Errorf(quizflow.EINVALID, "Unknown document kind %q.", kind)
	}

	wctx, cancel := context.WithTimeout(ctx, lim.Timeout)
	defer cancel()
	type result struct {
		pages []quizflow.Page
		err   error
	}
	done := make(chan result, 1) // buffered: an abandoned worker must not block
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{err: fmt.Errorf("extract %s: panic: %v\n%s", kind, p, debug.Stack())}
				if kind == quizflow.KindPDF || kind == quizflow.KindDOCX {
					res.err = corrupt(kind)
				}
			}
			done <- res
		}()
		res.pages, res.err = run(wctx, r, size, lim)
	}()

	select {
	case res := <-done:
		if res.err != nil {
			return nil, finalErr(ctx, wctx, res.err, lim)
		}
		return res.pages, nil
	case <-wctx.Done():
		return nil, finalErr(ctx, wctx, wctx.Err(), lim)
	}
}

// finalErr maps context errors: the caller's own cancellation passes
// through; our timeout becomes ETIMEOUT.
func finalErr(ctx, wctx context.Context, err error, lim Limits) error {
	if !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	if wctx.Err() != nil {
		return quizflow.Errorf(quizflow.ETIMEOUT,
			"Reading this document took longer than the %s limit. Try a smaller file, or split it into parts.", lim.Timeout)
	}
	return err
}

func corrupt(kind string) *quizflow.Error {
	switch kind {
	case quizflow.KindPDF:
		return quizflow.Errorf(quizflow.ECORRUPT, "This PDF is damaged or incomplete and cannot be read. Open it and save or export it again, then upload the new copy.")
	case quizflow.KindDOCX:
		return quizflow.Errorf(quizflow.ECORRUPT, "This Word document is damaged or incomplete and cannot be read. Open it in Word or LibreOffice, save it again as .docx and upload the new copy.")
	}
	return quizflow.Errorf(quizflow.ECORRUPT, "This file is damaged and cannot be read.")
}

func noText() *quizflow.Error {
	return quizflow.Errorf(quizflow.ENOTEXT, "This document has no selectable text; it may be a scan. Upload a text-based PDF or a Word document.")
}

func tooMany(n, max int) *quizflow.Error {
	if n > 0 {
		return quizflow.Errorf(quizflow.ETOOMANY, "This document has %d pages; the limit is %d. Split it into smaller parts.", n, max)
	}
	return quizflow.Errorf(quizflow.ETOOMANY, "This document has more than %d pages. Split it into smaller parts.", max)
}

func tooLarge(max int64) *quizflow.Error {
	return quizflow.Errorf(quizflow.ETOOLARGE, "This document holds more than %s of text or compressed data, more than can be processed. Split it into smaller parts.", quizflow.HumanBytes(max))
}

// textBudget counts what a PDF's extraction holds against the limits: the
// text produced (kept to the end), the current page's glyph records (given
// back after each page) and the decoded bytes of content streams (read and
// let go, but each one costs time).
type textBudget struct {
	used, max int64
	// page is the memory held by the current page's glyph records,
	// bounded by max too.
	page int64
	// decoded counts content stream bytes decoded so far, bounded by
	// decodedMax; streamMax bounds one stream.
	decoded, decodedMax, streamMax int64
}

func newTextBudget(lim Limits) *textBudget {
	return &textBudget{max: lim.MaxBytes, decodedMax: 4 * lim.MaxBytes, streamMax: lim.MaxStreamBytes}
}

func (b *textBudget) add(n int) error {
	b.used += int64(n)
	if b.used > b.max {
		return tooLarge(b.max)
	}
	return nil
}

// hold counts n bytes of working memory of the current page.
func (b *textBudget) hold(n int) error {
	b.page += int64(n)
	if b.page > b.max {
		return tooLarge(b.max)
	}
	return nil
}

// nextPage gives back the page's working memory.
func (b *textBudget) nextPage() { b.page = 0 }
