package usecase

import (
	"context"
	"fmt"
	"strings"

	"github.com/quizflow/quizflow/internal/export"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Exports implements quizflow.ExportService.
type Exports struct{ *core }

var _ quizflow.ExportService = (*Exports)(nil)

// CreateExport implements quizflow.ExportService.
//
// The export's identity is its cache key: quiz ID, quiz version, format and
// normalized options, from which its ID derives. If the caller already has
// an export with that key that succeeded or is queued or running, it is
// returned (Reused) with the job that builds or built it; a failed one is
// retried under a new job. Otherwise a new export and job are created and
// the quiz:export task is enqueued. Editing the quiz bumps its version, so
// the next request builds a new export.
func (s *Exports) CreateExport(ctx context.Context, user *quizflow.User, quizID string, r quizflow.ExportRequest) (*quizflow.ExportStart, error) {
	if err := validID("quiz", quizID, "quiz"); err != nil {
		return nil, err
	}
	q, err := s.Store.Quiz(ctx, quizID, user.ID)
	if err != nil {
		return nil, err
	}
	format := strings.ToLower(strings.TrimSpace(r.Format))
	if format == "" {
		return nil, quizflow.Invalid("format", "Choose an export format: %s.", export.FormatNames())
	}
	if _, ok := export.Lookup(format); !ok {
		if len(format) > 40 {
			format = format[:40]
		}
		return nil, quizflow.Invalid("format", "Unknown export format %q; use one of: %s.", format, export.FormatNames())
	}
	opts := r.Options
	if err := opts.Normalize(); err != nil {
		return nil, err
	}
	key := quizflow.ExportCacheKey(q.ID, q.Version, format, opts)
	id := quizflow.ExportIDFor(user.ID, key)

	if st, err := s.reuse(ctx, id, user.ID); err != nil || st != nil {
		return st, err
	}
	job := &quizflow.Job{
		ID: quizflow.NewID("job"), OwnerID: user.ID, Kind: quizflow.JobExport,
		QuizID: q.ID, DocumentID: q.DocumentID, ExportID: id, RequestID: quizflow.RequestID(ctx),
	}
	if err := s.Store.CreateJob(ctx, job); err != nil {
		return nil, err
	}
	e := &quizflow.Export{
		ID: id, OwnerID: user.ID, QuizID: q.ID, DocumentID: q.DocumentID, QuizVersion: q.Version,
		Format: format, Options: opts, JobID: job.ID, CacheKey: key, Warnings: []string{},
	}
	claimed, err := s.Store.ClaimExport(ctx, e)
	if err != nil {
		return nil, err
	}
	if !claimed {
		// A concurrent identical request won: drop our job, reuse theirs.
		if err := s.Store.DeleteJob(ctx, job.ID); err != nil {
			s.Log.Warn().Err(err).Str("job_id", job.ID).Msg("delete unused export job")
		}
		st, err := s.reuse(ctx, id, user.ID)
		if err == nil && st == nil {
			err = quizflow.Errorf(quizflow.ECONFLICT, "An identical export changed while it was being requested; please try again.")
		}
		return st, err
	}
	if err := s.enqueueExport(ctx, job, e); err != nil {
		return nil, err
	}
	return &quizflow.ExportStart{Export: e, Job: job}, nil
}

// reuse returns owner's export id with its job if it exists and has not
// failed, or nil.
func (s *Exports) reuse(ctx context.Context, id, owner string) (*quizflow.ExportStart, error) {
	e, err := s.Store.Export(ctx, id, owner)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if e.Status == quizflow.StatusFailed {
		return nil, nil
	}
	job, err := s.Store.Job(ctx, e.JobID, owner)
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return nil, err
	}
	return &quizflow.ExportStart{Export: e, Job: job, Reused: true}, nil
}

// enqueueExport enqueues the quiz:export task of job; if the queue refuses
// it, the job and the export fail with a message saying to try again.
func (s *Exports) enqueueExport(ctx context.Context, job *quizflow.Job, e *quizflow.Export) error {
	task, err := jobs.NewExportTask(jobs.ExportPayload{JobID: job.ID, ExportID: e.ID, OwnerID: e.OwnerID, RequestID: job.RequestID})
	if err := s.enqueue(ctx, job, task, err); err != nil {
		fctx, cancel := detached(ctx)
		defer cancel()
		jerr := quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: "The export could not be queued; please try again."}
		if ferr := s.Store.FailExport(fctx, e.ID, job.ID, jerr); ferr != nil {
			s.Log.Error().Err(ferr).Str("export_id", e.ID).Msg("record enqueue failure")
		}
		return err
	}
	return nil
}

// Export implements quizflow.ExportService.
func (s *Exports) Export(ctx context.Context, user *quizflow.User, id string) (*quizflow.Export, error) {
	if err := validID("exp", id, "export"); err != nil {
		return nil, err
	}
	return s.Store.Export(ctx, id, user.ID)
}

// Exports implements quizflow.ExportService.
func (s *Exports) Exports(ctx context.Context, user *quizflow.User, quizID string, p quizflow.PageRequest) ([]quizflow.Export, string, error) {
	if quizID != "" && !quizflow.ValidID("quiz", quizID) {
		return nil, "", quizflow.Invalid("quiz_id", "quiz_id is not a quiz ID.")
	}
	return s.Store.Exports(ctx, user.ID, quizID, p)
}

// DownloadURL implements quizflow.ExportService.
func (s *Exports) DownloadURL(ctx context.Context, user *quizflow.User, id string) (string, error) {
	e, err := s.Export(ctx, user, id)
	if err != nil {
		return "", err
	}
	switch {
	case e.Status == quizflow.StatusFailed:
		msg := "This export failed"
		if e.Error != nil && e.Error.Message != "" {
			msg += ": " + strings.TrimSuffix(e.Error.Message, ".")
		}
		return "", quizflow.Errorf(quizflow.ECONFLICT, "%s. Request it again to retry.", msg)
	case !e.Ready():
		return "", quizflow.Errorf(quizflow.ECONFLICT, "The export is not ready yet; poll its job and download it once it has succeeded.")
	}
	url, err := s.Blobs.PresignGet(ctx, e.BlobKey, e.FileName, e.ContentType, s.Config.DownloadTTL)
	if err != nil {
		return "", fmt.Errorf("presign export %s: %w", e.ID, err)
	}
	return url, nil
}

// deleteExports deletes the files of the exports list returns, then runs
// deleteRecords: a crash midway leaves records that can be deleted again,
// never an orphaned file.
func (c *core) deleteExports(ctx context.Context, list func() ([]quizflow.Export, error), deleteRecords func() error) error {
	es, err := list()
	if err != nil {
		return err
	}
	keys := make([]string, 0, len(es))
	for _, e := range es {
		keys = append(keys, e.BlobKey)
	}
	if err := c.Blobs.Delete(ctx, keys...); err != nil {
		return err
	}
	return deleteRecords()
}
