package worker

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Progress of an export job.
const (
	pctExportStart  = 10
	pctExportStored = 80
)

// exportHandler renders a quiz into a file, stores it in S3 and records it
// on the export.
//
// The quiz rendered is the quiz as it is when the task runs. Quizzes keep
// no history of old versions, so if the quiz was edited after the export
// was requested, the current version is rendered and the export records
// that version (and its cache key) rather than failing: the user asked for
// a file of this quiz and gets the newest.
type exportHandler struct{ d Deps }

// renderExport renders q in format with opts.
func renderExport(q *quizflow.Quiz, format string, opts quizflow.ExportOptions) (*export.File, error) {
	return export.Render(q, format, opts)
}

// ProcessTask runs the export and, when it fails for good (a user error,
// or the last attempt), marks the export failed with the same message the
// failJobs middleware puts on the job.
func (h *exportHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.ExportPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	err := h.process(ctx, p)
	if err == nil || errors.Is(err, errJobFinished) {
		return err
	}
	jerr, final := finalError(ctx, err, genericFailure(jobs.TypeQuizExport))
	if !final {
		return err // transient: retried, the export stays running
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := h.d.Store.FailExport(fctx, p.ExportID, p.JobID, jerr); ferr != nil {
		zerolog.Ctx(ctx).Error().Err(ferr).Str("export_id", p.ExportID).Msg("record export failure")
		return fmt.Errorf("%w (and recording the export failure: %v)", err, ferr)
	}
	return err
}

func (h *exportHandler) process(ctx context.Context, p jobs.ExportPayload) error {
	d := h.d
	if _, err := loadJob(ctx, d, p.JobID); err != nil {
		return err
	}
	e, err := d.Store.Export(ctx, p.ExportID, p.OwnerID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The export was deleted before its file was made.")
		}
		return err
	}
	if e.JobID != p.JobID {
		return fmt.Errorf("export %s now belongs to job %s, not %s: %w", e.ID, e.JobID, p.JobID, asynq.SkipRetry)
	}
	if e.Status == quizflow.StatusSucceeded {
		// An earlier delivery stored the file but stopped before finishing
		// the job.
		return d.Store.SucceedJob(ctx, p.JobID, quizflow.JobResult{QuizID: e.QuizID, ExportID: e.ID}, nil, e.Warnings)
	}
	if _, err := d.Store.ExportRunning(ctx, e.ID, p.JobID); err != nil {
		return err
	}
	progress(ctx, d, p.JobID, quizflow.StageExporting, pctExportStart, "Building the "+e.Format+" file")
	q, err := d.Store.Quiz(ctx, e.QuizID, e.OwnerID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The quiz was deleted before it could be exported.")
		}
		return err
	}
	f, err := renderExport(q, e.Format, e.Options)
	if err != nil {
		return err // a *quizflow.Error (nothing this format can carry) fails at once
	}
	key, err := d.Blobs.PutExport(ctx, e.OwnerID, e.ID, f.Name, f.Data, f.ContentType)
	if err != nil {
		return fmt.Errorf("store export %s: %w", e.ID, err)
	}
	progress(ctx, d, p.JobID, quizflow.StageSaving, pctExportStored, "Saving the file")
	ok, err := d.Store.SucceedExport(ctx, e.ID, p.JobID, quizflow.ExportFile{
		QuizVersion: q.Version,
		CacheKey:    quizflow.ExportCacheKey(q.ID, q.Version, e.Format, e.Options),
		FileName:    f.Name, ContentType: f.ContentType, Size: int64(len(f.Data)), BlobKey: key,
		Warnings: f.Warnings,
	})
	if err != nil {
		return err
	}
	if !ok {
		return h.lostExport(ctx, p, key)
	}
	return d.Store.SucceedJob(ctx, p.JobID, quizflow.JobResult{QuizID: q.ID, ExportID: e.ID}, nil, f.Warnings)
}

// lostExport handles an export that could not be marked succeeded after
// its file was stored: a concurrent delivery of the same task finished it
// (the file is theirs too: same key, same bytes), it failed or passed to a
// newer job meanwhile, or it was deleted with its document, in which case
// the file must not be left behind.
func (h *exportHandler) lostExport(ctx context.Context, p jobs.ExportPayload, key string) error {
	e, err := h.d.Store.Export(ctx, p.ExportID, p.OwnerID)
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return err
	}
	if err == nil && e.Status == quizflow.StatusSucceeded && e.JobID == p.JobID {
		return h.d.Store.SucceedJob(ctx, p.JobID, quizflow.JobResult{QuizID: e.QuizID, ExportID: e.ID}, nil, e.Warnings)
	}
	if err == nil {
		// Failed or taken over by a newer job, which writes the same key:
		// leave the file to it.
		return quizflow.Errorf(quizflow.ECONFLICT, "This export was superseded by a newer request.")
	}
	if derr := h.d.Blobs.Delete(ctx, key); derr != nil {
		zerolog.Ctx(ctx).Warn().Err(derr).Str("key", key).Msg("delete orphaned export file")
	}
	return quizflow.Errorf(quizflow.ENOTFOUND, "The export was deleted before its file was stored.")
}
