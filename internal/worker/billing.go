package worker

import (
	"context"
	"fmt"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Billing is what the workers need of the billing use case
// (*usecase.Billing).
type Billing interface {
	// ApplyEvent applies a stored Stripe event and returns the outcome.
	ApplyEvent(ctx context.Context, id string) (string, error)
	// Refund gives back the quota unit charged for a job, once.
	Refund(ctx context.Context, jobID string)
}

// billingEventHandler applies one verified Stripe webhook event.
type billingEventHandler struct{ d Deps }

func (h *billingEventHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.BillingEventPayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	if h.d.Billing == nil {
		return fmt.Errorf("billing is not configured on this worker: %w", asynq.SkipRetry)
	}
	outcome, err := h.d.Billing.ApplyEvent(ctx, p.EventID)
	if err != nil {
		if quizflow.IsUserError(err) {
			return fmt.Errorf("billing event %s: %w: %w", p.EventID, err, asynq.SkipRetry)
		}
		return err
	}
	zerolog.Ctx(ctx).Info().Str("event_id", p.EventID).Str("outcome", outcome).Msg("billing event")
	return nil
}

// refund gives back the quota unit of a job that failed for good through
// no fault of its owner: a model outage or refusal, an internal error
// after the last retry, a lost task. A user error (an unreadable file)
// keeps its unit.
func refund(ctx context.Context, d Deps, jobID string, cause error) {
	if d.Billing == nil || (cause != nil && quizflow.IsUserError(cause)) {
		return
	}
	d.Billing.Refund(ctx, jobID)
}
