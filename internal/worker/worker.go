// Package worker holds the asynq task handlers: extraction, generation and
// maintenance. Each handler is idempotent (writes are keyed by the job), so
// at-least-once delivery never duplicates results, and every failure ends
// as a user-readable error on the job, never as a job stuck "running".
package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/extract"
	"github.com/quizflow/quizflow/internal/generate"
	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/sandbox"
	"github.com/quizflow/quizflow/internal/tracing"
	"github.com/quizflow/quizflow/internal/usecase"
	"github.com/quizflow/quizflow/jobs"
)

// Deps are what the handlers use: the use cases' ports (the record store,
// the file store and the queue), and the use cases themselves where a
// handler changes records by a rule the API shares.
type Deps struct {
	Log   zerolog.Logger
	Store usecase.Store
	Blobs usecase.Blobs
	Queue usecase.Queue
	// Quizzes edits quizzes by the same compare-and-set rule as the API.
	Quizzes *usecase.Quizzes
	// Tokens removes expired refresh tokens and spent logins in the
	// cleanup task.
	Tokens TokenStore
	// Inspector lets the reconcile task find jobs whose task was lost or
	// archived; nil turns reconciliation off.
	Inspector *asynq.Inspector
	// ReconcileAfter is how long an unfinished job may go without an
	// update before the reconcile task looks its task up; zero means 2
	// minutes.
	ReconcileAfter time.Duration
	Generator      generate.Generator
	// Extract bounds each extraction (pages, bytes, time).
	Extract extract.Limits
	// Sandbox, when set, reads each document in a child process under
	// kernel limits; nil reads it in this process.
	Sandbox *sandbox.Runner
	// MaxFileSize bounds the upload read back from S3.
	MaxFileSize int64
	// TempDir holds downloaded uploads while they are parsed ("" = os default).
	TempDir string
	// Metrics counts tasks by type and outcome, quizzes by model and model
	// calls as they complete; nil counts nothing.
	Metrics *metrics.Registry
	// Mail delivers email:send tasks (notify.Sender); nil: mail is off,
	// and such tasks are archived saying so.
	Mail Mailer
	// Backups takes the maintenance:backup task's backups; nil archives
	// such tasks saying backups are not configured.
	Backups Backups
	// BackupAlerts, if set, mails the operators when a backup's last
	// attempt fails (notify.BackupAlerts); nil when mail is off.
	BackupAlerts BackupAlerts
	// Usage keeps each model call of a job as it completes, so the calls
	// of an attempt that crashed are counted in the job's usage; nil keeps
	// only what a finished attempt summed in memory.
	Usage UsageStore
	// Billing applies billing:event tasks and gives back the quota unit
	// of a job that failed through no fault of its owner; nil applies no
	// events (archived) and refunds nothing.
	Billing Billing
	// Errors, if set, is told of tasks that failed for good and of panics
	// (error tracking, SENTRY_DSN); nil reports nothing.
	Errors ErrorReporter
}

// TokenStore is what the cleanup task needs of the records: deleting the
// expired and the old.
type TokenStore interface {
	// DeleteExpiredRefreshTokens removes refresh tokens that expired
	// before now and returns how many.
	DeleteExpiredRefreshTokens(ctx context.Context, now time.Time) (int64, error)
	// DeleteEmptyTokenFamilies removes up to limit logins created before
	// before with no refresh token left, and returns how many.
	DeleteEmptyTokenFamilies(ctx context.Context, before time.Time, limit int64) (int64, error)
	// DeleteExpiredMailTokens removes mailed tokens (verify, reset) that
	// expired before now.
	DeleteExpiredMailTokens(ctx context.Context, now time.Time) (int64, error)
	// DeleteEmailsBefore removes message records created before before.
	DeleteEmailsBefore(ctx context.Context, before time.Time) (int64, error)
	// DeleteCallsBefore removes per-call usage records made before before.
	DeleteCallsBefore(ctx context.Context, before time.Time) (int64, error)
	// DeleteBillingRecordsBefore removes quota units, billing events and
	// subscription version claims made before before.
	DeleteBillingRecordsBefore(ctx context.Context, before time.Time) (int64, error)
}

// UsageStore keeps the usage of a job's model calls (*mongostore.Store).
type UsageStore interface {
	// RecordCall records the usage of one model call of a job under key,
	// once: recording a key again changes nothing.
	RecordCall(ctx context.Context, jobID, key string, u quizflow.Usage) error
	// JobUsage returns the sum of the job's recorded calls (or, with none,
	// the usage it finished with).
	JobUsage(ctx context.Context, jobID string) (quizflow.Usage, error)
	// SetJobUsage stores a job's usage whatever its status.
	SetJobUsage(ctx context.Context, jobID string, u quizflow.Usage) error
}

// NewMux registers one handler per task type.
func NewMux(d Deps) *asynq.ServeMux {
	mux := asynq.NewServeMux()
	// The task's span outermost, then metrics, so a task's outcome is
	// what failJobs hands asynq; failures are reported as failJobs left them.
	mux.Use(tracing.Task(), taskMetrics(d.Metrics), reportFailures(d.Errors), logTasks(d.Log), failJobs(d))
	mux.Handle(jobs.TypeDocumentExtract, &extractHandler{d})
	mux.Handle(jobs.TypeQuizGenerate, &generateHandler{d})
	mux.Handle(jobs.TypeQuizExport, &exportHandler{d})
	mux.Handle(jobs.TypeQuestionRegenerate, &regenerateHandler{d})
	mux.Handle(jobs.TypeMaintenanceCleanup, &cleanupHandler{d})
	mux.Handle(jobs.TypeMaintenanceReconcile, &reconcileHandler{d})
	mux.Handle(jobs.TypeEmailSend, &emailHandler{d})
	mux.Handle(jobs.TypeMaintenanceBackup, &backupHandler{d})
	mux.Handle(jobs.TypeBillingEvent, &billingEventHandler{d})
	return mux
}

// ServerConfig returns the asynq server configuration of a worker with
// concurrency goroutines: weighted queues, backoff that honours a
// Retry-After carried by the error, and short idle polling so a multi-stage
// pipeline does not wait a second per stage.
func ServerConfig(concurrency int, log zerolog.Logger) asynq.Config {
	return asynq.Config{
		Concurrency:       concurrency,
		Queues:            jobs.Queues,
		RetryDelayFunc:    retryDelay,
		ShutdownTimeout:   25 * time.Second,
		TaskCheckInterval: 100 * time.Millisecond,
		Logger:            asynqLogger{log},
		LogLevel:          asynq.WarnLevel,
	}
}

// RetryAfter is implemented by transient errors that know when to retry
// (an LLM's 429 with Retry-After).
type RetryAfter interface{ RetryAfter() time.Duration }

func retryDelay(n int, err error, t *asynq.Task) time.Duration {
	var ra RetryAfter
	if errors.As(err, &ra) && ra.RetryAfter() > 0 {
		return ra.RetryAfter()
	}
	// Exponential from 2 s, capped at 5 minutes.
	d := 2 * time.Second << min(n, 8)
	return min(d, 5*time.Minute)
}

// errJobFinished tells asynq a duplicate delivery found its job done.
var errJobFinished = errors.New("job already finished")

// jobRef is the part every job payload shares.
type jobRef struct {
	JobID     string `json:"job_id"`
	RequestID string `json:"request_id"`
}

// failJobs turns a handler's error into the job's outcome, in one place
// (see finalError for the messages):
//   - a user error (*quizflow.Error, e.g. an encrypted PDF) fails the job at
//     once with its message and is not retried (asynq.SkipRetry);
//   - a refusal by the model server (*generate.RefusedError: a bad key,
//     model or request) fails the job at once, is not retried, is logged
//     at error level with alert=llm_refused and counted in
//     quizflow_llm_refusals_total for the operators;
//   - any other error is transient and retried with backoff; on the last
//     attempt the job fails with a message of its class instead of hanging.
func failJobs(d Deps) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			err := next.ProcessTask(ctx, t)
			if errors.Is(err, errJobFinished) {
				markSkipped(ctx)
				return nil
			}
			if err == nil {
				return nil
			}
			var ref jobRef
			if jerr := json.Unmarshal(t.Payload(), &ref); jerr != nil || ref.JobID == "" {
				return err
			}
			jerr, final := finalError(ctx, err, genericFailure(t.Type()))
			if !final {
				return err
			}
			var rf *generate.RefusedError
			if errors.As(err, &rf) {
				d.Log.Error().Err(err).Str("alert", alertLLMRefused).Int("status", rf.Status).
					Str("setting", rf.Setting).Str("task", t.Type()).Str("job_id", ref.JobID).
					Msg("the model server refused the request; fix the setting")
				d.Metrics.ObserveLLMRefusal(rf.Status)
			}
			if permanent(err) {
				err = fmt.Errorf("%w: %w", err, asynq.SkipRetry)
			}
			// The handler's context may be done (timeout); record the
			// failure regardless.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			// The unit goes back before the job ends, so its end shows it.
			refund(fctx, d, ref.JobID, err)
			if ferr := d.Store.FailJob(fctx, ref.JobID, jerr); ferr != nil {
				d.Log.Error().Err(ferr).Str("job_id", ref.JobID).Msg("record job failure")
				return ferr // retry, so the failure gets recorded
			}
			failedJobUsage(fctx, d, ref.JobID)
			return err
		})
	}
}

// logTasks logs each task's outcome with its request ID.
func logTasks(log zerolog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			var ref jobRef
			_ = json.Unmarshal(t.Payload(), &ref)
			id, _ := asynq.GetTaskID(ctx)
			l := log.With().Str("task", t.Type()).Str("task_id", id).Str("job_id", ref.JobID).Str("request_id", ref.RequestID).Logger()
			start := time.Now()
			err := next.ProcessTask(l.WithContext(ctx), t)
			ev := l.Info()
			if err != nil && !errors.Is(err, errJobFinished) {
				ev = l.Warn().Err(err)
			}
			ev.Dur("duration", time.Since(start)).Msg("task")
			return err
		})
	}
}

// genericFailure is the message of a job whose task of type typ failed
// for reasons that are not the user's and retries did not cure.
func genericFailure(typ string) string {
	if typ == jobs.TypeQuizExport {
		return "Something went wrong while building this export, and retrying did not help. Please request it again later."
	}
	return "Something went wrong while processing this document, and retrying did not help. Please try again later."
}

// alertLLMRefused is the stable value of the log field "alert" on the
// error line of a job failed by a refusal of the model server, for alert
// rules to match.
const alertLLMRefused = "llm_refused"

// Messages of jobs failed by the model, by failure class.
const (
	msgModelRefused     = "The AI model refused the request, so its configuration needs fixing: check %s. The operators have been told; please try again later."
	msgModelMalformed   = "The AI model kept answering with output that could not be used (%d attempts); please try again later."
	msgModelUnavailable = "The AI model could not be reached (%d attempts); please try again later."
)

// permanent reports whether retrying err cannot help, so asynq must not:
// a user error, or a refusal by the model server.
func permanent(err error) bool {
	var rf *generate.RefusedError
	return quizflow.IsUserError(err) || errors.As(err, &rf)
}

// finalError decides whether a handler's error ends its job, and with what
// user-facing error, by the error's class (errors.Is/As, never its text):
//   - a user error (*quizflow.Error) ends it at once with its own message;
//   - a refusal by the model server (*generate.RefusedError) ends it at
//     once with EGENERATION and a message that blames the configuration;
//   - any other error is transient until the last attempt, which ends the
//     job with a message saying what was tried: output that stayed
//     malformed (generate.ErrBadOutput, EGENERATION), a model that could
//     not be reached (generate.ErrUnavailable, EUNAVAILABLE), or else
//     generic (EINTERNAL).
func finalError(ctx context.Context, err error, generic string) (quizflow.JobError, bool) {
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return finalErrorAt(err, generic, retried, maxRetry)
}

// finalErrorAt is finalError on the attempt after retried retries of at
// most maxRetry.
func finalErrorAt(err error, generic string, retried, maxRetry int) (quizflow.JobError, bool) {
	if quizflow.IsUserError(err) {
		return quizflow.JobError{Code: quizflow.ErrorCode(err), Message: quizflow.ErrorMessage(err)}, true
	}
	var rf *generate.RefusedError
	if errors.As(err, &rf) {
		// Setting is one of the client's fixed names, never upstream text.
		return quizflow.JobError{Code: quizflow.EGENERATION, Message: fmt.Sprintf(msgModelRefused, rf.Setting)}, true
	}
	if retried < maxRetry && !errors.Is(err, asynq.SkipRetry) {
		return quizflow.JobError{}, false
	}
	attempts := retried + 1
	switch {
	case errors.Is(err, generate.ErrBadOutput):
		return quizflow.JobError{Code: quizflow.EGENERATION, Message: fmt.Sprintf(msgModelMalformed, attempts)}, true
	case errors.Is(err, generate.ErrUnavailable):
		return quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: fmt.Sprintf(msgModelUnavailable, attempts)}, true
	}
	return quizflow.JobError{Code: quizflow.EINTERNAL, Message: generic}, true
}

// loadJob returns the job a task works for, or errJobFinished if it has
// already finished (a duplicate delivery).
func loadJob(ctx context.Context, d Deps, id string) (*quizflow.Job, error) {
	job, err := d.Store.Job(ctx, id, "")
	if err != nil {
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			// Deleted with its document: nothing left to do.
			return nil, fmt.Errorf("job %s is gone: %w", id, asynq.SkipRetry)
		}
		return nil, err
	}
	if job.Status == quizflow.StatusSucceeded || job.Status == quizflow.StatusFailed {
		return nil, errJobFinished
	}
	return job, nil
}

// progress records a job's stage and percent; errors are logged, not fatal,
// since progress is advisory.
func progress(ctx context.Context, d Deps, jobID, stage string, pct int, msg string) {
	if _, err := d.Store.JobProgress(ctx, jobID, stage, pct, msg); err != nil {
		zerolog.Ctx(ctx).Warn().Err(err).Msg("record progress")
	}
}

type asynqLogger struct{ l zerolog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error().Msg(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Fatal().Msg(fmt.Sprint(args...)) }
