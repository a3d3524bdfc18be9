package worker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// generateHandler writes a document's quiz.
type generateHandler struct{ d Deps }

// QuizIDForJob derives the ID of the quiz a job makes, so a handler that
// runs twice writes the same quiz.
func QuizIDForJob(jobID string) string {
	return "quiz_" + strings.TrimPrefix(jobID, "job_")
}

func (h *generateHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.DocumentPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	d := h.d
	job, err := loadJob(ctx, d, p.JobID)
	if err != nil {
		return err
	}
	doc, err := d.Store.Document(ctx, p.DocumentID, p.OwnerID)
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted before its quiz was made.")
		}
		return err
	}
	// A run that saved the quiz but stopped before finishing the job:
	// finish it with what was recorded, without generating again.
	if q, err := d.Store.Quiz(ctx, QuizIDForJob(p.JobID), ""); err == nil {
		return d.Store.SucceedJob(ctx, p.JobID, quizflow.JobResult{QuizID: q.ID}, &q.Usage, q.Warnings)
	} else if quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		return err
	}
	opts := doc.Options
	if job.Options != nil {
		opts = *job.Options
	}
	cacheKey := generate.CacheKey(doc.SHA256, opts, doc.OwnerID)
	if !opts.Fresh {
		if q, err := d.Store.QuizByCacheKey(ctx, doc.OwnerID, cacheKey); err == nil {
			return h.reuse(ctx, p.JobID, doc, q)
		} else if quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
			return err
		}
	}
	pages, err := loadText(ctx, d, doc)
	if err != nil {
		return err
	}
	pw := newProgressWriter(ctx, d, p.JobID)
	defer pw.stop()
	pw.report(quizflow.StageGenerating, pctExtractEnd, "Writing questions")
	calls := newCallRecorder(ctx, d, p.JobID)
	res, err := d.Generator.Generate(ctx, generate.Request{
		JobID: p.JobID, Title: doc.Filename, Pages: pages, Options: opts,
		Progress: func(done, total int) {
			if total > 0 {
				pw.report(quizflow.StageGenerating,
					pctExtractEnd+(pctGenerateEnd-pctExtractEnd)*done/total,
					fmt.Sprintf("Wrote questions for part %d of %d", done, total))
			}
		},
		OnCall: calls.record,
	})
	if err != nil {
		return err
	}
	// The quiz costs every call made for it, earlier attempts' included.
	usage, err := calls.total(ctx, res.Usage)
	if err != nil {
		return err
	}
	pw.report(quizflow.StageSaving, pctGenerateEnd, "Saving the quiz")
	q := &quizflow.Quiz{
		ID: QuizIDForJob(p.JobID), OwnerID: doc.OwnerID, DocumentID: doc.ID, JobID: p.JobID,
		Title: quizTitle(doc), Language: opts.Language, Options: opts, Questions: res.Questions,
		Usage: usage, Warnings: res.Warnings, CacheKey: cacheKey,
	}
	if err := saveQuizOfDocument(ctx, d, q); err != nil {
		return err
	}
	if err := d.Store.SucceedJob(ctx, p.JobID, quizflow.JobResult{QuizID: q.ID}, &usage, res.Warnings); err != nil {
		return err
	}
	calls.settle(ctx, usage)
	// Counted once the job has succeeded, so a retry after a failed
	// SucceedJob does not count the quiz twice. (Its calls were counted
	// as they completed.)
	d.Metrics.ObserveQuiz(usage)
	return nil
}

// reuse finishes a job with a quiz identical to one the owner already has,
// at zero tokens. For the same document the quiz itself is the result; for
// another upload of the same content the questions are copied into a quiz
// of the new document, so deleting either document leaves the other whole.
func (h *generateHandler) reuse(ctx context.Context, jobID string, doc *quizflow.Document, q *quizflow.Quiz) error {
	d := h.d
	usage := quizflow.Usage{Model: q.Usage.Model, Cached: true}
	result := q.ID
	if q.DocumentID != doc.ID {
		cp := *q
		cp.ID, cp.DocumentID, cp.JobID = QuizIDForJob(jobID), doc.ID, jobID
		cp.Title, cp.Usage, cp.Version = quizTitle(doc), usage, 1
		cp.CreatedAt, cp.UpdatedAt = time.Time{}, time.Time{}
		if err := saveQuizOfDocument(ctx, d, &cp); err != nil {
			return err
		}
		result = cp.ID
	}
	// A reused quiz costs its owner nothing: the unit goes back (before
	// the job ends, so its end shows the refund; a refund is given once).
	refund(ctx, d, jobID, nil)
	if err := d.Store.SucceedJob(ctx, jobID, quizflow.JobResult{QuizID: result}, &usage, q.Warnings); err != nil {
		return err
	}
	d.Metrics.ObserveQuiz(usage)
	return nil
}

// errDocumentGone fails a job whose document was deleted while its quiz
// was being made.
var errDocumentGone = quizflow.Errorf(quizflow.ENOTFOUND, "The document was deleted before its quiz was made.")

// saveQuizOfDocument saves q only while its document exists: checked
// before the write, and again after it, since the document may be deleted
// in between (its delete removes the quizzes it finds, not one written a
// moment later). A quiz whose document went is removed, leaving nothing.
func saveQuizOfDocument(ctx context.Context, d Deps, q *quizflow.Quiz) error {
	gone := func() (bool, error) {
		_, err := d.Store.Document(ctx, q.DocumentID, q.OwnerID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return true, nil
		}
		return false, err
	}
	if g, err := gone(); err != nil || g {
		if g {
			return errDocumentGone
		}
		return err
	}
	if err := d.Store.SaveQuiz(ctx, q); err != nil {
		return err
	}
	g, err := gone()
	if err != nil || !g {
		return err
	}
	if err := d.Store.DeleteQuiz(ctx, q.ID); err != nil {
		return err
	}
	return errDocumentGone
}

// loadText reads the extracted text stored by the extraction stage.
func loadText(ctx context.Context, d Deps, doc *quizflow.Document) ([]quizflow.Page, error) {
	if doc.TextKey == "" {
		return nil, fmt.Errorf("document %s has no extracted text yet", doc.ID)
	}
	return d.Blobs.GetText(ctx, doc.TextKey)
}

// quizTitle names a quiz after its document's file name.
func quizTitle(doc *quizflow.Document) string {
	name := doc.Filename
	if i := strings.LastIndexByte(name, '.'); i > 0 {
		name = name[:i]
	}
	name = strings.TrimSpace(strings.NewReplacer("_", " ", "-", " ").Replace(name))
	if name == "" {
		return "Quiz"
	}
	return name + " quiz"
}
