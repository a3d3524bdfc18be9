package worker

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Progress bands of a quiz job: extraction fills 0-40%, generation 40-95%.
const (
	pctExtractStart = 5
	pctExtractEnd   = 40
	pctGenerateEnd  = 95
)

// extractHandler reads a document's text and hands it to generation.
type extractHandler struct{ d Deps }

func (h *extractHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.DocumentPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	d := h.d
	if _, err := loadJob(ctx, d, p.JobID); err != nil {
		return err
	}
	if err := d.Store.JobAttempt(ctx, p.JobID); err != nil {
		return err
	}
	doc, err := d.Store.Document(ctx, p.DocumentID, p.OwnerID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted before it could be read.")
		}
		return err
	}
	pw := newProgressWriter(ctx, d, p.JobID)
	defer pw.stop()
	pw.report(quizflow.StageExtracting, pctExtractStart, "Reading the document")
	if err := d.Store.SetDocumentStatus(ctx, doc.ID, quizflow.DocumentExtracting); err != nil {
		return err
	}

	pages, err := h.extract(ctx, doc, p.JobID, p.MaxPages, pw)
	if err != nil {
		// When this error ends the job (the file's fault, or the last
		// attempt), the document is failed too, never left "extracting".
		if _, final := finalError(ctx, err, ""); final {
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			_ = d.Store.SetDocumentStatus(fctx, doc.ID, quizflow.DocumentFailed)
		}
		return err
	}
	key, err := d.Blobs.PutText(ctx, doc.OwnerID, doc.ID, pages)
	if err != nil {
		return err
	}
	words := 0
	for _, pg := range pages {
		words += len(strings.Fields(pg.Text))
	}
	if err := d.Store.SetDocumentExtracted(ctx, doc.ID, key, len(pages), words); err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			// Deleted while it was being read: take the text with it.
			if derr := d.Blobs.Delete(ctx, key); derr != nil {
				return derr
			}
			return quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted before it could be read.")
		}
		return err
	}
	pw.report(quizflow.StageGenerating, pctExtractEnd,
		fmt.Sprintf("Read %d pages; writing questions", len(pages)))
	next, err := jobs.NewGenerateTask(p)
	if err != nil {
		return err
	}
	if err := d.Queue.Enqueue(ctx, next); err != nil {
		return fmt.Errorf("enqueue generation: %w", err)
	}
	return nil
}

// inProcessTextMax bounds the plain text and Markdown files the worker
// reads itself instead of in a sandbox child. Their reader is linear in
// the file (UTF-8 validation, line ends, RE2 expressions, sectioning): a
// file of this size costs a few MiB and milliseconds, against the ~50 ms
// of CPU a child's start takes (make bench: more than a third of the CPU
// of a small document's whole pipeline). Larger text files, and every PDF
// and DOCX, whose parsers expand their input, go to the child.
const inProcessTextMax = 256 << 10

// inProcess reports whether a file of kind and size is read in the worker.
func inProcess(kind string, size int64) bool {
	return (kind == quizflow.KindText || kind == quizflow.KindMarkdown) && size <= inProcessTextMax
}

// extract downloads the upload to a temporary file (parsers need random
// access; memory stays flat) and reads its text within the limits.
// maxPages, if positive, is the owner's plan's bound on pages read,
// within the worker's own. Pages read are reported to pw.
func (h *extractHandler) extract(ctx context.Context, doc *quizflow.Document, jobID string, maxPages int, pw *progressWriter) ([]quizflow.Page, error) {
	d := h.d
	rc, size, err := d.Blobs.Open(ctx, doc.BlobKey)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, quizflow.Errorf(quizflow.ENOTFOUND, "The uploaded file is missing; upload it again.")
		}
		return nil, err
	}
	defer rc.Close()
	if d.MaxFileSize > 0 && size > d.MaxFileSize {
		return nil, quizflow.Errorf(quizflow.ETOOLARGE, "The file is larger than the upload limit.")
	}
	f, err := os.CreateTemp(d.TempDir, "quizflow-extract-*")
	if err != nil {
		return nil, fmt.Errorf("create temp file: %w", err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	n, err := io.Copy(f, rc)
	if err != nil {
		return nil, fmt.Errorf("download %s: %w", doc.BlobKey, err)
	}
	lim := d.Extract
	if maxPages > 0 && (lim.MaxPages <= 0 || maxPages < lim.MaxPages) {
		lim.MaxPages = maxPages
	}
	lim.Progress = func(done, total int) {
		if total > 0 {
			pw.report(quizflow.StageExtracting,
				pctExtractStart+(pctExtractEnd-pctExtractStart)*done/total, fmt.Sprintf("Read page %d of %d", done, total))
		}
	}
	if d.Sandbox == nil || inProcess(doc.Kind, n) {
		return extract.Extract(ctx, f, n, doc.Kind, lim)
	}
	pages, st, err := d.Sandbox.Extract(ctx, f, n, doc.Kind, lim)
	d.Log.Debug().Str("job_id", jobID).Str("document_id", doc.ID).Int64("peak_rss", st.PeakRSS).
		Dur("cpu", st.CPU).Dur("wall", st.Wall).Bool("isolated", st.Isolated).Str("error_code", quizflow.ErrorCode(err)).
		Msg("extraction child done")
	d.Metrics.ObserveExtraction(st.PeakRSS, st.CPU)
	return pages, err
}
