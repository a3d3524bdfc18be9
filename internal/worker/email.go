package worker

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/jobs"
)

// Mailer delivers one email:send task (notify.Sender): nil when nothing
// more is to be done, an error wrapping asynq.SkipRetry for a permanent
// failure, any other error to be retried.
type Mailer interface {
	Deliver(ctx context.Context, p jobs.EmailPayload, lastAttempt bool) error
}

// emailHandler sends one message. Its outcome per message is counted by
// the Mailer (quizflow_emails_total); a message refused for good is
// archived by asynq with the reason, for the queue UI.
type emailHandler struct{ d Deps }

func (h *emailHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.EmailPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	if h.d.Mail == nil {
		return fmt.Errorf("email %s: mail is off on this worker (no SMTP_URL): %w", p.ID, asynq.SkipRetry)
	}
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, _ := asynq.GetMaxRetry(ctx)
	return h.d.Mail.Deliver(ctx, p, retried >= maxRetry)
}
