package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// defaultReconcileAfter is Deps.ReconcileAfter's zero value.
const defaultReconcileAfter = 2 * time.Minute

// maxReconcile bounds the jobs one reconcile run looks at (one Redis
// look-up each, per task of the job).
const maxReconcile = 500

// maxFamiliesPerCleanup bounds the logins one cleanup run looks at.
const maxFamiliesPerCleanup = 1000

// Retention of records that only grow, by the cleanup task.
const (
	// keepEmails is how long a message record is kept: its task is kept a
	// day after it ends, and only a redelivery needs the record.
	keepEmails = 30 * 24 * time.Hour
	// keepCalls is how long the per-call usage records are kept; the sum
	// stays on the job.
	keepCalls = 90 * 24 * time.Hour
	// keepBilling is how long quota units, billing events and
	// subscription version claims are kept: past the longest billing
	// period (a year) with a margin.
	keepBilling = 400 * 24 * time.Hour
)

// cleanupHandler removes expired records: refresh tokens past their
// expiry, then the logins (token families) left without any, expired mail
// tokens, old message records, old per-call usage records and the quota
// and billing event records of long-past periods.
type cleanupHandler struct{ d Deps }

// reconcileHandler, every minute, brings jobs whose task was lost or
// archived to an end (see reconcile), so no job shows "running" long after
// its task's fate was sealed.
type reconcileHandler struct{ d Deps }

func (h *cleanupHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.MaintenancePayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	n, err := h.d.Tokens.DeleteExpiredRefreshTokens(ctx, p.Slot)
	if err != nil {
		return err
	}
	// An hour's margin: a new login saves its first token right after its
	// family, never an hour later.
	fams, err := h.d.Tokens.DeleteEmptyTokenFamilies(ctx, p.Slot.Add(-time.Hour), maxFamiliesPerCleanup)
	if err != nil {
		return err
	}
	mailTokens, err := h.d.Tokens.DeleteExpiredMailTokens(ctx, p.Slot)
	if err != nil {
		return err
	}
	emails, err := h.d.Tokens.DeleteEmailsBefore(ctx, p.Slot.Add(-keepEmails))
	if err != nil {
		return err
	}
	calls, err := h.d.Tokens.DeleteCallsBefore(ctx, p.Slot.Add(-keepCalls))
	if err != nil {
		return err
	}
	billing, err := h.d.Tokens.DeleteBillingRecordsBefore(ctx, p.Slot.Add(-keepBilling))
	if err != nil {
		return err
	}
	h.d.Log.Info().Int64("billing_records", billing).Int64("refresh_tokens", n).Int64("token_families", fams).Int64("mail_tokens", mailTokens).
		Int64("emails", emails).Int64("llm_calls", calls).Time("slot", p.Slot).Msg("cleanup done")
	return nil
}

func (h *reconcileHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.MaintenancePayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	requeued, failed, err := h.reconcile(ctx, p.Slot)
	if err != nil {
		return err
	}
	ev := h.d.Log.Debug()
	if requeued+failed > 0 {
		ev = h.d.Log.Info()
	}
	ev.Int("jobs_requeued", requeued).Int("jobs_failed", failed).Time("slot", p.Slot).Msg("reconcile done")
	return nil
}

// reconcile finds unfinished jobs untouched for Deps.ReconcileAfter and
// checks their tasks in Redis. A job whose task is gone (the API crashed
// between recording the job and enqueueing it, or Redis lost data) is
// enqueued again: handlers are idempotent, so this is safe even if the
// work was in fact done. A job whose task was archived (retries exhausted
// while recording the failure also failed) is failed with a message.
func (h *reconcileHandler) reconcile(ctx context.Context, now time.Time) (requeued, failed int, err error) {
	d := h.d
	if d.Inspector == nil {
		return 0, 0, nil
	}
	after := cmp.Or(d.ReconcileAfter, defaultReconcileAfter)
	stale, err := d.Store.StaleJobs(ctx, now.Add(-after), maxReconcile)
	if err != nil {
		return 0, 0, err
	}
	for _, job := range stale {
		state, err := h.taskState(job)
		if err != nil {
			return requeued, failed, err
		}
		switch state {
		case taskAlive:
			continue
		case taskArchived:
			refund(ctx, d, job.ID, nil)
			if err := d.Store.FailJob(ctx, job.ID, quizflow.JobError{Code: quizflow.EINTERNAL,
				Message: "This job stopped after repeated errors. Please try again."}); err != nil {
				return requeued, failed, err
			}
			h.failUnreadDocument(ctx, job)
			failed++
		case taskMissing:
			task, err := h.resume(ctx, job)
			if err != nil {
				return requeued, failed, err
			}
			if task == nil {
				refund(ctx, d, job.ID, nil)
				if err := d.Store.FailJob(ctx, job.ID, quizflow.JobError{Code: quizflow.EINTERNAL,
					Message: "This job was interrupted. Please start it again."}); err != nil {
					return requeued, failed, err
				}
				h.failUnreadDocument(ctx, job)
				failed++
				continue
			}
			if err := d.Queue.Enqueue(ctx, task); err != nil {
				return requeued, failed, fmt.Errorf("re-enqueue job %s: %w", job.ID, err)
			}
			if err := d.Store.TouchJob(ctx, job.ID); err != nil {
				return requeued, failed, err
			}
			d.Log.Warn().Str("job_id", job.ID).Str("task", task.Type()).Msg("re-enqueued a job whose task was lost")
			requeued++
		}
	}
	return requeued, failed, nil
}

// failUnreadDocument marks the document of a failed quiz job failed if it
// was never read, so it does not sit "uploaded" or "extracting" for ever.
func (h *reconcileHandler) failUnreadDocument(ctx context.Context, job quizflow.Job) {
	if job.Kind != quizflow.JobQuiz || job.DocumentID == "" {
		return
	}
	doc, err := h.d.Store.Document(ctx, job.DocumentID, job.OwnerID)
	if err != nil || doc.Status == quizflow.DocumentExtracted || doc.Status == quizflow.DocumentFailed {
		return
	}
	if err := h.d.Store.SetDocumentStatus(ctx, doc.ID, quizflow.DocumentFailed); err != nil {
		h.d.Log.Warn().Err(err).Str("document_id", doc.ID).Msg("fail the document of a failed job")
	}
}

type taskState int

const (
	taskMissing taskState = iota
	taskAlive
	taskArchived
)

// taskIDs lists the queue and task ID a job's tasks would have.
func taskIDs(job quizflow.Job) [][2]string {
	switch job.Kind {
	case quizflow.JobQuiz:
		return [][2]string{{jobs.QueueExtract, "extract:" + job.ID}, {jobs.QueueGenerate, "generate:" + job.ID}}
	case quizflow.JobRegenerate:
		return [][2]string{{jobs.QueueGenerate, "regenerate:" + job.ID}}
	case quizflow.JobExport:
		return [][2]string{{jobs.QueueExport, "export:" + job.ID}}
	}
	return nil
}

func (h *reconcileHandler) taskState(job quizflow.Job) (taskState, error) {
	state := taskMissing
	for _, q := range taskIDs(job) {
		info, err := h.d.Inspector.GetTaskInfo(q[0], q[1])
		if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("inspect task %s: %w", q[1], err)
		}
		if info.State == asynq.TaskStateArchived {
			state = taskArchived
			continue
		}
		if info.State != asynq.TaskStateCompleted {
			return taskAlive, nil
		}
	}
	return state, nil
}

// resume returns the task that continues job, or nil if it cannot be
// resumed from its record alone.
func (h *reconcileHandler) resume(ctx context.Context, job quizflow.Job) (*asynq.Task, error) {
	switch job.Kind {
	case quizflow.JobQuiz:
		doc, err := h.d.Store.Document(ctx, job.DocumentID, job.OwnerID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		p := jobs.DocumentPayload{JobID: job.ID, DocumentID: doc.ID, OwnerID: job.OwnerID, RequestID: job.RequestID}
		if doc.TextKey != "" {
			return jobs.NewGenerateTask(p)
		}
		return jobs.NewExtractTask(p)
	case quizflow.JobRegenerate:
		return jobs.NewRegenerateTask(jobs.RegeneratePayload{JobID: job.ID, QuizID: job.QuizID,
			QuestionID: job.QuestionID, OwnerID: job.OwnerID, RequestID: job.RequestID})
	case quizflow.JobExport:
		if job.ExportID == "" {
			return nil, nil
		}
		return jobs.NewExportTask(jobs.ExportPayload{JobID: job.ID, ExportID: job.ExportID, OwnerID: job.OwnerID, RequestID: job.RequestID})
	}
	return nil, nil
}
