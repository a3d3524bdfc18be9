package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/tracing"
)

// Client enqueues tasks through asynq. It is the queue port of the use
// cases and the workers (usecase.Queue).
type Client struct{ c *asynq.Client }

// NewClient returns a Client over c.
func NewClient(c *asynq.Client) *Client { return &Client{c: c} }

// Enqueue queues t. A task whose ID is already taken counts as enqueued:
// IDs derive from jobs, so the job's work is already on its way.
//
// With tracing on, the trace context of ctx is written into the task's
// headers (tasks made by this package's constructors have a header map),
// so the worker's span continues the enqueuer's trace.
func (c *Client) Enqueue(ctx context.Context, t *asynq.Task) error {
	tracing.Inject(ctx, t.Headers())
	_, err := c.c.EnqueueContext(ctx, t)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", t.Type(), err)
	}
	return nil
}
