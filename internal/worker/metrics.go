package worker

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/metrics"
	"github.com/quizflow/quizflow/jobs"
)

// Task outcomes, the values of the "outcome" label of quizflow_tasks_total.
const (
	// outcomeSuccess: the handler finished the task.
	outcomeSuccess = "success"
	// outcomeRetry: a transient error; asynq will run the task again.
	outcomeRetry = "retry"
	// outcomeFailed: the task will not run again (a user error, SkipRetry,
	// or the last retry failed).
	outcomeFailed = "failed"
	// outcomeSkipped: a duplicate delivery found its job already finished
	// (see markSkipped), or the task was revoked.
	outcomeSkipped = "skipped"
)

// unknownType is the type label of tasks whose type is not in jobs.Types,
// so that stray task types cannot grow the label set.
const unknownType = "unknown"

// skipMark is what markSkipped sets; taskMetrics puts one in each task's
// context.
type skipMark struct{ skipped atomic.Bool }

type skipKey struct{}

// markSkipped records that the task running under ctx did nothing because
// its work was already done (a duplicate delivery): a nil error from it
// then counts as outcome "skipped" rather than "success". Outside
// taskMetrics it does nothing.
func markSkipped(ctx context.Context) {
	if m, ok := ctx.Value(skipKey{}).(*skipMark); ok {
		m.skipped.Store(true)
	}
}

// taskMetrics counts and times every task in m by type and outcome.
// Register it as the outermost middleware, so the outcome is what asynq
// acts on:
//   - nil: "success", or "skipped" if the handler called markSkipped;
//   - an error wrapping asynq.SkipRetry: "failed"; asynq.RevokeTask: "skipped";
//   - any other error (or a panic): "retry", or "failed" on the last retry
//     (asynq.GetRetryCount >= asynq.GetMaxRetry).
//
// A nil m counts nothing.
func taskMetrics(m *metrics.Registry) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		if m == nil {
			return next
		}
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			mark := &skipMark{}
			ctx = context.WithValue(ctx, skipKey{}, mark)
			start := time.Now()
			panicked := true
			defer func() {
				typ := t.Type()
				if !slices.Contains(jobs.Types, typ) {
					typ = unknownType
				}
				outcome := taskOutcome(ctx, err)
				if panicked {
					// asynq recovers the panic and treats it as an error.
					outcome = taskOutcome(ctx, errors.New("panic"))
				} else if err == nil && mark.skipped.Load() {
					outcome = outcomeSkipped
				}
				m.ObserveTask(typ, outcome, time.Since(start))
			}()
			err = next.ProcessTask(ctx, t)
			panicked = false
			return err
		})
	}
}

// taskOutcome classifies a task's final error as asynq will treat it (see
// taskMetrics); ctx is the task's context, for its retry count.
func taskOutcome(ctx context.Context, err error) string {
	switch {
	case err == nil:
		return outcomeSuccess
	case errors.Is(err, asynq.SkipRetry):
		return outcomeFailed
	case errors.Is(err, asynq.RevokeTask):
		return outcomeSkipped
	}
	retried, ok1 := asynq.GetRetryCount(ctx)
	maxRetry, ok2 := asynq.GetMaxRetry(ctx)
	if ok1 && ok2 && retried >= maxRetry {
		return outcomeFailed
	}
	return outcomeRetry
}
