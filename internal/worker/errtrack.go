package worker

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/errtrack"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// ErrorReporter receives tasks that failed for good (*errtrack.Tracker):
// their type and IDs, never their payload.
type ErrorReporter interface {
	ReportTask(ctx context.Context, k errtrack.Task, err error, panicked bool)
}

// reportFailures reports each task whose run ends it for good, as
// taskOutcome classifies it ("failed": a permanent error or the last
// retry), and each panic (then re-panics, for asynq to recover). User
// errors (an encrypted PDF, a document without text) are the user's to
// fix, not the operators', and are not reported. A nil r reports nothing.
func reportFailures(r ErrorReporter) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		if r == nil {
			return next
		}
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			defer func() {
				if p := recover(); p != nil {
					r.ReportTask(ctx, taskReport(ctx, t), fmt.Errorf("panic: %v", p), true)
					panic(p)
				}
				if err == nil || taskOutcome(ctx, err) != outcomeFailed || quizflow.IsUserError(err) {
					return
				}
				r.ReportTask(ctx, taskReport(ctx, t), err, false)
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

// taskReport is what is reported of task t: its type, IDs and retries.
func taskReport(ctx context.Context, t *asynq.Task) errtrack.Task {
	var ref jobRef
	_ = json.Unmarshal(t.Payload(), &ref)
	k := errtrack.Task{Type: t.Type(), JobID: ref.JobID, RequestID: ref.RequestID}
	k.TaskID, _ = asynq.GetTaskID(ctx)
	k.Queue, _ = asynq.GetQueueName(ctx)
	k.Retried, _ = asynq.GetRetryCount(ctx)
	k.MaxRetry, _ = asynq.GetMaxRetry(ctx)
	return k
}
