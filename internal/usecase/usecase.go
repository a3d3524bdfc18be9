// Package usecase implements QuizFlow's services (quizflow.DocumentService,
// JobService, QuizService and ExportService) over three ports: a record
// Store, a Blobs store for files and a Queue for tasks. It is the one place
// where a flow's rules live: "check the options, record the document and
// its job, enqueue, undo on failure" is written here once, and the HTTP
// API, the CLI and the workers all call it.
//
// The ports are interfaces so the rules can be tested over in-memory fakes;
// the production adapters are internal/mongostore, internal/s3blob and
// jobs.Client (asynq).
package usecase

import (
	"context"
	"io"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// DocumentStore keeps document records.
type DocumentStore interface {
	CreateDocument(ctx context.Context, d *quizflow.Document) error
	// Document returns document id if owner owns it (owner "" skips the
	// check), or ENOTFOUND.
	Document(ctx context.Context, id, owner string) (*quizflow.Document, error)
	Documents(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Document, string, error)
	// SetDocumentStatus and SetDocumentExtracted return ENOTFOUND if the
	// document is gone.
	SetDocumentStatus(ctx context.Context, id, status string) error
	SetDocumentExtracted(ctx context.Context, id, textKey string, pages, words int) error
	DeleteDocument(ctx context.Context, id string) error
}

// JobStore keeps job records. Updates of a finished job change nothing,
// so a task delivered twice never reopens it.
type JobStore interface {
	CreateJob(ctx context.Context, j *quizflow.Job) error
	// Job returns job id if owner owns it (owner "" skips the check), or
	// ENOTFOUND.
	Job(ctx context.Context, id, owner string) (*quizflow.Job, error)
	Jobs(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Job, string, error)
	// JobProgress returns false if the job has already finished.
	JobProgress(ctx context.Context, id, stage string, progress int, message string) (bool, error)
	JobAttempt(ctx context.Context, id string) error
	SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error
	FailJob(ctx context.Context, id string, jerr quizflow.JobError) error
	DeleteJob(ctx context.Context, id string) error
	DeleteJobsOfDocument(ctx context.Context, owner, docID string) error
	// StaleJobs returns up to limit unfinished jobs not updated since
	// before; TouchJob marks one looked at now.
	StaleJobs(ctx context.Context, before time.Time, limit int64) ([]quizflow.Job, error)
	TouchJob(ctx context.Context, id string) error
}

// QuizStore keeps quizzes.
type QuizStore interface {
	// SaveQuiz writes q, replacing a quiz of the same ID.
	SaveQuiz(ctx context.Context, q *quizflow.Quiz) error
	// UpdateQuiz replaces q if its stored version is still q.Version and
	// bumps the version; ECONFLICT if it changed meanwhile.
	UpdateQuiz(ctx context.Context, q *quizflow.Quiz) error
	// Quiz returns quiz id if owner owns it (owner "" skips the check),
	// or ENOTFOUND.
	Quiz(ctx context.Context, id, owner string) (*quizflow.Quiz, error)
	Quizzes(ctx context.Context, owner string, p quizflow.PageRequest) ([]quizflow.Quiz, string, error)
	// QuizByCacheKey returns owner's newest quiz with cache key key, or
	// ENOTFOUND.
	QuizByCacheKey(ctx context.Context, owner, key string) (*quizflow.Quiz, error)
	DeleteQuiz(ctx context.Context, id string) error
	DeleteQuizzesOfDocument(ctx context.Context, owner, docID string) error
}

// ExportStore keeps export records.
type ExportStore interface {
	// ClaimExport records e as queued if its ID is free or its export
	// failed; false, without writing, if another is live.
	ClaimExport(ctx context.Context, e *quizflow.Export) (bool, error)
	// Export returns export id if owner owns it (owner "" skips the
	// check), or ENOTFOUND.
	Export(ctx context.Context, id, owner string) (*quizflow.Export, error)
	Exports(ctx context.Context, owner, quizID string, p quizflow.PageRequest) ([]quizflow.Export, string, error)
	ExportRunning(ctx context.Context, id, jobID string) (bool, error)
	// SucceedExport returns false if the export is gone, finished or
	// belongs to another job.
	SucceedExport(ctx context.Context, id, jobID string, f quizflow.ExportFile) (bool, error)
	FailExport(ctx context.Context, id, jobID string, jerr quizflow.JobError) error
	ExportsOfQuiz(ctx context.Context, owner, quizID string) ([]quizflow.Export, error)
	ExportsOfDocument(ctx context.Context, owner, docID string) ([]quizflow.Export, error)
	DeleteExportsOfQuiz(ctx context.Context, owner, quizID string) error
	DeleteExportsOfDocument(ctx context.Context, owner, docID string) error
}

// Store is the record store: internal/mongostore in production.
type Store interface {
	DocumentStore
	JobStore
	QuizStore
	ExportStore
}

// Blobs stores files: internal/s3blob in production. The adapter owns the
// key layout; records keep the keys it returns.
type Blobs interface {
	// UploadOriginal streams r, the uploaded file of owner's document
	// docID, to storage and returns its key. An error reading r is
	// returned wrapped, so errors.As finds it.
	UploadOriginal(ctx context.Context, owner, docID string, r io.Reader, contentType string) (string, error)
	// Open returns a reader of key and its size; ENOTFOUND if missing.
	Open(ctx context.Context, key string) (io.ReadCloser, int64, error)
	// PutText stores the extracted pages of owner's document docID and
	// returns their key; GetText reads them back (ENOTFOUND if missing).
	PutText(ctx context.Context, owner, docID string, pages []quizflow.Page) (string, error)
	GetText(ctx context.Context, key string) ([]quizflow.Page, error)
	// PutExport stores the file of owner's export exportID and returns its
	// key.
	PutExport(ctx context.Context, owner, exportID, filename string, data []byte, contentType string) (string, error)
	// PresignGet returns a link that downloads key as an attachment named
	// filename for ttl.
	PresignGet(ctx context.Context, key, filename, contentType string, ttl time.Duration) (string, error)
	// Delete removes keys; missing keys are not an error.
	Delete(ctx context.Context, keys ...string) error
	// DeleteDocumentFiles removes every file of owner's document docID
	// (the upload and its text, recorded or not).
	DeleteDocumentFiles(ctx context.Context, owner, docID string) error
}

// Queue enqueues tasks: jobs.Client (asynq) in production. A task whose ID
// is already queued counts as enqueued: its work is on its way.
type Queue interface {
	Enqueue(ctx context.Context, t *asynq.Task) error
}

// Config holds the rules' settings.
type Config struct {
	// MaxFileSize is the largest accepted upload, in bytes.
	MaxFileSize int64
	// QuestionTypes lists the question types the configured generator can
	// write; empty means all. A request for none of them is refused.
	QuestionTypes []string
	// DownloadTTL is how long an export download link stays valid; zero
	// means 5 minutes.
	DownloadTTL time.Duration
	// Plans are the plans' limits (zero: quizflow.DefaultPlans). Each
	// upload is bounded by its plan's MaxFileSize and MaxFileSize both.
	Plans quizflow.Plans
	// BillingGrace is how long a past-due subscription keeps Pro.
	BillingGrace time.Duration
	// UpgradeURL is the upgrade_url of quota refusals.
	UpgradeURL string
	// PublicURL is where users reach the API (Checkout's return links).
	PublicURL string
}

// Deps are what the use cases run on.
type Deps struct {
	Log    zerolog.Logger
	Store  Store
	Blobs  Blobs
	Queue  Queue
	Config Config
	// BillingStore keeps plans' state; nil counts no quotas and takes the
	// plan from the user record.
	BillingStore BillingStore
	// Payments is Stripe; nil turns billing off (EBILLINGDISABLED).
	Payments Payments
	// Notify queues billing mail; nil sends none.
	Notify Notifier
	// Observer counts quota refusals and billing events; nil counts none.
	Observer Observer
	// ShareStore keeps share links and attempts (Services.Shares).
	ShareStore ShareStore
}

// Services are QuizFlow's use cases, one value per service interface.
type Services struct {
	Documents *Documents
	Jobs      *Jobs
	Quizzes   *Quizzes
	Exports   *Exports
	Billing   *Billing
	Shares    *Shares
	core      *core
}

// New returns the use cases over d.
func New(d Deps) *Services {
	if d.Config.DownloadTTL == 0 {
		d.Config.DownloadTTL = 5 * time.Minute
	}
	c := &core{Deps: d}
	return &Services{
		Documents: &Documents{c},
		Jobs:      &Jobs{c},
		Quizzes:   &Quizzes{c},
		Exports:   &Exports{c},
		Billing:   &Billing{c},
		Shares:    &Shares{c, d.ShareStore},
		core:      c,
	}
}

// core holds what every use case shares.
type core struct {
	Deps
	clock atomic.Pointer[func() time.Time]
}

// detached returns a context for undo work that must outlive a cancelled
// request (a client hanging up must not leave a job "queued" forever).
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
}

// enqueue queues job's task t (made with error mkErr). If that fails, the
// job never started: its record is removed, so the user's lists show no
// work that is not coming, and the caller is told to retry (EUNAVAILABLE
// with Retry-After). Should the removal fail too, the job is marked failed
// instead, never left "queued".
func (c *core) enqueue(ctx context.Context, job *quizflow.Job, t *asynq.Task, mkErr error) error {
	err := mkErr
	if err == nil {
		err = c.Queue.Enqueue(ctx, t)
	}
	if err == nil {
		return nil
	}
	c.Log.Error().Err(err).Str("job_id", job.ID).Msg("enqueue failed")
	fctx, cancel := detached(ctx)
	defer cancel()
	if derr := c.Store.DeleteJob(fctx, job.ID); derr != nil {
		c.Log.Error().Err(derr).Str("job_id", job.ID).Msg("remove a job that could not be queued")
		if ferr := c.Store.FailJob(fctx, job.ID, quizflow.JobError{Code: quizflow.EUNAVAILABLE, Message: "The job could not be queued; please try again."}); ferr != nil {
			c.Log.Error().Err(ferr).Str("job_id", job.ID).Msg("record enqueue failure")
		}
	}
	return errQueueUnavailable
}

var errQueueUnavailable = &quizflow.Error{Code: quizflow.EUNAVAILABLE, RetryAfter: 5 * time.Second,
	Message: "The job queue is unavailable; please try again shortly."}

// validID checks that id has the prefix of its kind before it reaches the
// store, answering what for a malformed one, as for a missing one.
func validID(prefix, id, what string) error {
	if !quizflow.ValidID(prefix, id) {
		return quizflow.Errorf(quizflow.ENOTFOUND, "%s not found", what)
	}
	return nil
}
