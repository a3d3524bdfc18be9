package notify

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Records keeps one record per message ID (mongostore).
type Records interface {
	// ClaimEmail returns true if the caller may send message id now.
	ClaimEmail(ctx context.Context, id, kind, userID string, lease time.Duration) (*quizflow.EmailRecord, bool, error)
	ReleaseEmail(ctx context.Context, id, reason string) error
	FinishEmail(ctx context.Context, id, status, to, smtpID, reason string) error
}

// Users is what Deliver needs of the account records.
type Users interface {
	UserByID(ctx context.Context, id string) (*quizflow.User, error)
	// SetEmailStatus records status if the user's address is still key.
	SetEmailStatus(ctx context.Context, id, key, status string) error
}

// Work is what job notifications read (usecase.Store).
type Work interface {
	Job(ctx context.Context, id, owner string) (*quizflow.Job, error)
	Quiz(ctx context.Context, id, owner string) (*quizflow.Quiz, error)
	Document(ctx context.Context, id, owner string) (*quizflow.Document, error)
	Export(ctx context.Context, id, owner string) (*quizflow.Export, error)
}

// Tokens issues the single-use tokens of verify and reset links
// (auth.Service).
type Tokens interface {
	IssueMailToken(ctx context.Context, purpose string, u *quizflow.User) (string, error)
}

// Transport sends one composed message (mail.SMTP).
type Transport interface {
	Send(ctx context.Context, e mail.Envelope) (string, error)
}

// Config holds the Sender's settings.
type Config struct {
	// PublicURL is where users reach QuizFlow; links start with it.
	PublicURL string
	// UnsubscribeKey signs unsubscribe links (auth.Config.UnsubscribeKey).
	UnsubscribeKey []byte
	// ReplyTo, if set, is the Reply-To of security notices.
	ReplyTo string
	// Lease is how long a claim on a message holds before another worker
	// may take it over (a crashed worker); zero means twice
	// jobs.EmailTimeout.
	Lease time.Duration
}

// Sender delivers email:send tasks.
type Sender struct {
	Config
	Log       zerolog.Logger
	Records   Records
	Users     Users
	Work      Work
	Tokens    Tokens
	Transport Transport
	Metrics   *Metrics
	now       func() time.Time
}

// Outcomes of a delivery, the outcome label of quizflow_emails_total.
const (
	OutcomeSent       = "sent"       // accepted by the SMTP server
	OutcomeDuplicate  = "duplicate"  // already sent (or being sent): nothing done
	OutcomeSuppressed = "suppressed" // turned off, bouncing address, or no user
	OutcomeRetry      = "retry"      // 4xx or unreachable: asynq retries
	OutcomeBounced    = "bounced"    // 5xx about the recipient: the address is marked bouncing
	OutcomeFailed     = "failed"     // any other 5xx, or out of retries
)

// Deliver sends the message of p once. lastAttempt says asynq will not
// retry after this one. It returns nil when nothing more is to be done, an
// error wrapping asynq.SkipRetry for a permanent failure (so the task is
// archived with the reason, visible in the queue UI), and any other error
// for asynq to retry.
func (s *Sender) Deliver(ctx context.Context, p jobs.EmailPayload, lastAttempt bool) error {
	kind := p.Kind
	if !known(kind) || p.ID == "" || p.UserID == "" {
		return fmt.Errorf("email task %q of kind %q: %w", p.ID, kind, asynq.SkipRetry)
	}
	lease := s.Lease
	if lease == 0 {
		lease = 2 * jobs.EmailTimeout
	}
	rec, ok, err := s.Records.ClaimEmail(ctx, p.ID, kind, p.UserID, lease)
	if err != nil {
		return errorf(p.ID, err)
	}
	if !ok {
		if rec.Status == quizflow.EmailSending {
			// Another delivery holds it (a redelivered task running twice).
			s.Metrics.count(kind, OutcomeRetry)
			return errorf(p.ID, errors.New("being sent by another worker"))
		}
		s.Metrics.count(kind, OutcomeDuplicate)
		return nil
	}
	outcome, err := s.deliver(ctx, p, lastAttempt)
	s.Metrics.count(kind, outcome)
	return err
}

func (s *Sender) deliver(ctx context.Context, p jobs.EmailPayload, lastAttempt bool) (string, error) {
	log := s.Log.With().Str("email_id", p.ID).Str("kind", p.Kind).Str("user_id", p.UserID).Logger()
	suppress := func(reason string) (string, error) {
		log.Info().Str("reason", reason).Msg("email not sent")
		return OutcomeSuppressed, s.finish(ctx, p.ID, quizflow.EmailSuppressed, "", "", reason)
	}
	u, err := s.Users.UserByID(ctx, p.UserID)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return suppress("the account is gone")
	}
	if err != nil {
		return s.retry(ctx, p, err, lastAttempt)
	}
	to := u.Email
	if p.To != "" {
		to = p.To
	}
	if quizflow.IsNotification(p.Kind) {
		if !u.Wants(p.Kind) {
			return suppress("turned off by the user")
		}
		if u.EmailStatus == quizflow.EmailBouncing {
			return suppress("the address is bouncing")
		}
	}
	env, skip, err := s.compose(ctx, p, u, to)
	if err != nil {
		return s.retry(ctx, p, err, lastAttempt)
	}
	if skip != "" {
		return suppress(skip)
	}
	smtpID, err := s.Transport.Send(ctx, *env)
	if err == nil {
		log.Info().Str("message_id", smtpID).Msg("email sent")
		return OutcomeSent, s.finish(ctx, p.ID, quizflow.EmailSent, to, smtpID, "")
	}
	var re *mail.RejectedError
	if errors.As(err, &re) && re.Permanent() {
		outcome := OutcomeFailed
		if re.RecipientRefused() && p.To == "" {
			outcome = OutcomeBounced
			if serr := s.Users.SetEmailStatus(ctx, u.ID, u.EmailKey, quizflow.EmailBouncing); serr != nil {
				log.Error().Err(serr).Msg("record bouncing address")
			}
		}
		log.Warn().Err(err).Int("smtp_code", re.Code).Str("smtp_status", re.Enhanced).Str("outcome", outcome).
			Msg("email refused for good; not retried")
		if ferr := s.finish(ctx, p.ID, quizflow.EmailFailed, to, "", err.Error()); ferr != nil {
			return outcome, ferr
		}
		return outcome, fmt.Errorf("%w: %w", errorf(p.ID, err), asynq.SkipRetry)
	}
	return s.retry(ctx, p, err, lastAttempt)
}

// retry gives the message back for asynq to retry, or fails it on the
// last attempt.
func (s *Sender) retry(ctx context.Context, p jobs.EmailPayload, err error, lastAttempt bool) (string, error) {
	if lastAttempt {
		s.Log.Error().Err(err).Str("email_id", p.ID).Str("kind", p.Kind).Msg("email not sent: out of retries")
		if ferr := s.finish(ctx, p.ID, quizflow.EmailFailed, "", "", "out of retries: "+err.Error()); ferr != nil {
			return OutcomeFailed, ferr
		}
		return OutcomeFailed, errorf(p.ID, err)
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if rerr := s.Records.ReleaseEmail(rctx, p.ID, err.Error()); rerr != nil {
		s.Log.Warn().Err(rerr).Str("email_id", p.ID).Msg("release email claim")
	}
	return OutcomeRetry, errorf(p.ID, err)
}

func (s *Sender) finish(ctx context.Context, id, status, to, smtpID, reason string) error {
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return s.Records.FinishEmail(fctx, id, status, to, smtpID, reason)
}

func known(kind string) bool {
	for _, k := range quizflow.MailKinds {
		if k == kind {
			return true
		}
	}
	return false
}

// link returns PublicURL + path with query q.
func (s *Sender) link(path string, q url.Values) string {
	u := strings.TrimRight(s.PublicURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// compose loads what the message says and renders it. skip, if not
// empty, says why there is nothing to send (the job's records are gone).
func (s *Sender) compose(ctx context.Context, p jobs.EmailPayload, u *quizflow.User, to string) (*mail.Envelope, string, error) {
	d := mail.Data{Name: u.Name, Email: to, When: p.Data["when"]}
	env := &mail.Envelope{ID: p.ID, To: to, Name: u.Name}
	switch p.Kind {
	case quizflow.MailVerifyEmail, quizflow.MailPasswordReset:
		purpose, path := quizflow.TokenVerifyEmail, "/verify-email"
		if p.Kind == quizflow.MailPasswordReset {
			purpose, path = quizflow.TokenPasswordReset, "/reset-password"
		}
		tok, err := s.Tokens.IssueMailToken(ctx, purpose, u)
		if err != nil {
			return nil, "", err
		}
		d.ActionURL = s.link(path, url.Values{"token": {tok}})
	case quizflow.MailPasswordChanged, quizflow.MailAPIKeyCreated:
		d.ActionURL = s.link("/forgot-password", nil) // the app's page that mails a reset link
		d.KeyName, d.KeyPrefix, d.KeyScopes = p.Data["key_name"], p.Data["key_prefix"], p.Data["key_scopes"]
		env.ReplyTo = s.ReplyTo
	case quizflow.MailEmailChanged:
		d.OldEmail, d.NewEmail = p.Data["old_email"], p.Data["new_email"]
		env.ReplyTo = s.ReplyTo
	case quizflow.MailSubscriptionStarted, quizflow.MailPaymentFailed, quizflow.MailSubscriptionEnded:
		// Billing notices: always sent; the link is a portal session made
		// when the event was applied, else the billing status route.
		d.ActionURL = p.Data["action_url"]
		if d.ActionURL == "" {
			d.ActionURL = s.link("/account", nil) // the app's plan and billing page
		}
	case quizflow.MailBackupFailed:
		// Operators only: the flag is read again now, so an operator
		// revoked since the failure is not told.
		if !u.Admin {
			return nil, "the account is no longer an operator", nil
		}
		d.Backup, d.Reason, d.Operator = p.Data["backup_id"], p.Data["reason"], true
		d.ActionURL = s.link("/admin/queues", nil)
	default:
		skip, err := s.jobData(ctx, p, u, &d)
		if err != nil || skip != "" {
			return nil, skip, err
		}
		d.UnsubscribeURL = s.link("/unsubscribe", url.Values{"token": {mail.UnsubscribeToken(s.UnsubscribeKey, u.ID, p.Kind)}})
		env.UnsubscribeURL = d.UnsubscribeURL
	}
	d.ReplyTo = env.ReplyTo
	if d.When == "" {
		d.When = mail.FormatTime(s.clock())
	}
	m, err := mail.Render(p.Kind, d)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %w", err, asynq.SkipRetry)
	}
	env.Message = m
	return env, "", nil
}

func (s *Sender) clock() time.Time {
	if s.now != nil {
		return s.now()
	}
	return time.Now()
}

// jobData fills d for a job notification from the job and what it made.
func (s *Sender) jobData(ctx context.Context, p jobs.EmailPayload, u *quizflow.User, d *mail.Data) (string, error) {
	j, err := s.Work.Job(ctx, p.ForJob, u.ID)
	if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
		return "the job is gone", nil
	}
	if err != nil {
		return "", err
	}
	if j.Error != nil {
		d.Reason = j.Error.Message
	}
	d.Warnings = j.Warnings
	switch p.Kind {
	case quizflow.MailQuizReady:
		q, err := s.Work.Quiz(ctx, j.Result.QuizID, u.ID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return "the quiz is gone", nil
		}
		if err != nil {
			return "", err
		}
		d.Title, d.Count = q.Title, len(q.Questions)
		d.ActionURL = s.link("/quizzes/"+q.ID, nil) // the app's review page
	case quizflow.MailQuizFailed:
		d.Title = "your document"
		if doc, err := s.Work.Document(ctx, j.DocumentID, u.ID); err == nil {
			d.Title = doc.Filename
		}
		d.ActionURL = s.link("/documents", nil) // the app's list shows the failure and its reason
	case quizflow.MailExportReady:
		e, err := s.Work.Export(ctx, j.Result.ExportID, u.ID)
		if quizflow.ErrorCode(err) == quizflow.ENOTFOUND {
			return "the export is gone", nil
		}
		if err != nil {
			return "", err
		}
		d.Format, d.Warnings, d.Title = e.Format, e.Warnings, e.FileName
		if q, err := s.Work.Quiz(ctx, e.QuizID, u.ID); err == nil {
			d.Title = q.Title
		}
		d.ActionURL = s.link("/quizzes/"+e.QuizID+"/export", nil) // the app's export page downloads it signed in
	case quizflow.MailRegenerationFailed:
		d.Title = "your quiz"
		if q, err := s.Work.Quiz(ctx, j.QuizID, u.ID); err == nil {
			d.Title = q.Title
		}
		d.ActionURL = s.link("/quizzes/"+j.QuizID, nil)
	}
	return "", nil
}
