package worker

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// callRecorder keeps the model calls of one delivery of a job's task, each
// as it completes (generate.Request.OnCall), so a job's usage (stored on it
// when it ends) is the sum of every call any of its attempts was answered,
// crashed ones included.
//
// A call's key is "<run>-<n>": run is drawn at random when the delivery
// starts and n counts its calls. A repeated write of one call (a retry of
// the recording) reuses its key and so counts once; another delivery of
// the task, even one running beside a first that has not died yet, draws
// another run, so its calls never overwrite the first one's. (The attempt
// count of the job or the queue's retry count would not do: two
// deliveries of one attempt can both be running after a lease expiry.) A
// chunk answered from the cache makes no call and records nothing: its
// call was recorded by the delivery that made it.
type callRecorder struct {
	d     Deps
	ctx   context.Context
	jobID string
	run   string
	seq   atomic.Int64
}

func newCallRecorder(ctx context.Context, d Deps, jobID string) *callRecorder {
	b := make([]byte, 6)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return &callRecorder{d: d, ctx: ctx, jobID: jobID, run: hex.EncodeToString(b)}
}

// recordTimeout bounds the writes of one call's usage.
const recordTimeout = 10 * time.Second

// record counts one completed call in the metrics and stores it. The call
// was paid for whatever happens to the task next, so the write goes on
// after the task's context ends, retried briefly; one that cannot be made
// is logged, and generation goes on.
func (r *callRecorder) record(u quizflow.Usage) {
	r.d.Metrics.ObserveLLMCall(u)
	if r.d.Usage == nil {
		return
	}
	key := fmt.Sprintf("%s-%d", r.run, r.seq.Add(1))
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), recordTimeout)
	defer cancel()
	for attempt := 0; ; attempt++ {
		err := r.d.Usage.RecordCall(ctx, r.jobID, key, u)
		if err == nil {
			r.lateCall(ctx)
			return
		}
		if attempt >= 2 || sleep(ctx, 100*time.Millisecond<<attempt) != nil {
			zerolog.Ctx(r.ctx).Error().Err(err).Str("job_id", r.jobID).Str("call", key).
				Int("prompt_tokens", u.PromptTokens).Int("completion_tokens", u.CompletionTokens).
				Msg("record model call usage: the job's usage will miss this call")
			return
		}
	}
}

// lateCall brings the stored usage of a job that has already ended up to
// date with a call that completed after it ended: two deliveries of one
// task can run at once (after a lease expiry), and the one that finished
// stored the sum of the calls recorded by then. The finisher re-reads the
// sum after storing it (settle), and a late call reads the job's status
// after recording itself, so whichever comes second sees the other.
func (r *callRecorder) lateCall(ctx context.Context) {
	job, err := r.d.Store.Job(ctx, r.jobID, "")
	if err != nil || (job.Status != quizflow.StatusSucceeded && job.Status != quizflow.StatusFailed) {
		return
	}
	var stored quizflow.Usage
	if job.Usage != nil {
		stored = *job.Usage
	}
	r.settle(ctx, stored)
}

// settle stores the job's usage again if the sum of its recorded calls is
// no longer the stored one (see lateCall); best effort, logged.
func (r *callRecorder) settle(ctx context.Context, stored quizflow.Usage) {
	if r.d.Usage == nil {
		return
	}
	u, err := r.total(ctx, stored)
	if err == nil && (u.Calls != stored.Calls || u.PromptTokens != stored.PromptTokens || u.CompletionTokens != stored.CompletionTokens) {
		err = r.d.Usage.SetJobUsage(ctx, r.jobID, u)
	}
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		r.d.Log.Warn().Err(err).Str("job_id", r.jobID).Msg("bring a finished job's usage up to date")
	}
}

// total returns the job's usage so far: the sum of its recorded calls, of
// this delivery and every earlier one. With no store of calls it is
// fallback, this delivery's own sum.
func (r *callRecorder) total(ctx context.Context, fallback quizflow.Usage) (quizflow.Usage, error) {
	if r.d.Usage == nil {
		return fallback, nil
	}
	u, err := r.d.Usage.JobUsage(ctx, r.jobID)
	if err != nil {
		return quizflow.Usage{}, fmt.Errorf("read usage of job %s: %w", r.jobID, err)
	}
	if u.Model == "" {
		u.Model = fallback.Model
	}
	return u, nil
}

// failedJobUsage shows on a failed job what its calls cost (they were paid
// for too); best effort, logged.
func failedJobUsage(ctx context.Context, d Deps, jobID string) {
	if d.Usage == nil {
		return
	}
	u, err := d.Usage.JobUsage(ctx, jobID)
	if err == nil && u.Calls > 0 {
		err = d.Usage.SetJobUsage(ctx, jobID, u)
	}
	if err != nil && quizflow.ErrorCode(err) != quizflow.ENOTFOUND {
		d.Log.Warn().Err(err).Str("job_id", jobID).Msg("record usage of a failed job")
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
