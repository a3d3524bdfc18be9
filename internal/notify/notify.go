// Package notify decides which emails QuizFlow sends and sends each one
// once.
//
// Causes ask for a message through a Notifier (Queue: an email:send task
// whose task ID is the message's ID, derived from its cause). The worker
// hands each task to Sender.Deliver, which claims the message's record by
// that ID (so a redelivered or re-enqueued task sends nothing), loads what
// the message says, composes it (internal/mail) and sends it over SMTP.
// A 4xx or an unreachable server is retried with backoff; a 5xx is final,
// and a 5xx about the recipient marks the address bouncing, which stops
// further notifications to it.
package notify

import (
	"context"
	"fmt"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/usecase"
	"github.com/quizflow/quizflow/jobs"
)

// Notifier asks for a message to be sent once.
type Notifier interface {
	Notify(ctx context.Context, m quizflow.Mail) error
}

// Queue is the Notifier that enqueues email:send tasks.
type Queue struct{ Q usecase.Queue }

// Notify enqueues m; an ID already queued (or sent within a day) counts
// as enqueued.
func (q Queue) Notify(ctx context.Context, m quizflow.Mail) error {
	t, err := jobs.NewEmailTask(jobs.EmailPayload{
		ID: m.ID, Kind: m.Kind, UserID: m.UserID, To: m.To, ForJob: m.JobID, Data: m.Data,
		RequestID: quizflow.RequestID(ctx),
	})
	if err != nil {
		return err
	}
	return q.Q.Enqueue(ctx, t)
}

// JobOutcomes returns store that also asks n for the notification of each
// job it records as finished: quiz ready or failed, export ready,
// regeneration failed. The message ID is the kind and the job
// ("quiz_ready:<job>"), so however many times a job's end is written, one
// message is sent. A failure to ask is logged, never returned: the job's
// outcome is recorded either way.
func JobOutcomes(store usecase.Store, n Notifier, log zerolog.Logger) usecase.Store {
	if n == nil {
		return store
	}
	return &outcomeStore{Store: store, n: n, log: log}
}

type outcomeStore struct {
	usecase.Store
	n   Notifier
	log zerolog.Logger
}

func (s *outcomeStore) SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error {
	if err := s.Store.SucceedJob(ctx, id, result, usage, warnings); err != nil {
		return err
	}
	s.ended(ctx, id)
	return nil
}

func (s *outcomeStore) FailJob(ctx context.Context, id string, jerr quizflow.JobError) error {
	if err := s.Store.FailJob(ctx, id, jerr); err != nil {
		return err
	}
	s.ended(ctx, id)
	return nil
}

// ended reads the job back (a job ends once: its recorded status, not the
// write just made, decides the message) and asks for its notification.
func (s *outcomeStore) ended(ctx context.Context, id string) {
	j, err := s.Store.Job(ctx, id, "")
	if err != nil {
		s.log.Warn().Err(err).Str("job_id", id).Msg("notify job outcome: read job")
		return
	}
	kind := OutcomeKind(j)
	if kind == "" {
		return
	}
	m := quizflow.Mail{ID: kind + ":" + j.ID, Kind: kind, UserID: j.OwnerID, JobID: j.ID}
	if err := s.n.Notify(ctx, m); err != nil {
		s.log.Error().Err(err).Str("job_id", id).Str("kind", kind).Msg("queue job notification")
	}
}

// OutcomeKind is the notification a finished job calls for, or "".
func OutcomeKind(j *quizflow.Job) string {
	switch {
	case j.Kind == quizflow.JobQuiz && j.Status == quizflow.StatusSucceeded:
		return quizflow.MailQuizReady
	case j.Kind == quizflow.JobQuiz && j.Status == quizflow.StatusFailed:
		return quizflow.MailQuizFailed
	case j.Kind == quizflow.JobExport && j.Status == quizflow.StatusSucceeded:
		return quizflow.MailExportReady
	case j.Kind == quizflow.JobRegenerate && j.Status == quizflow.StatusFailed:
		return quizflow.MailRegenerationFailed
	}
	return ""
}

// errorf wraps err with the message ID for logs.
func errorf(id string, err error) error { return fmt.Errorf("email %s: %w", id, err) }
