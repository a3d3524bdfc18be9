package e2e_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestReconcileLostTask: a job whose task vanished from Redis (a crash
// between recording the job and enqueueing it) is found by the cleanup
// task and finished, instead of staying "queued" for ever.
func TestReconcileLostTask(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.workers = 0 })
	c := s.user("Lost")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	if err := insp.DeleteTask(jobs.QueueExtract, "extract:"+up.Job.ID); err != nil {
		t.Fatalf("delete the task to simulate its loss: %v", err)
	}
	// A worker starts; nothing is queued for the job.
	wctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); _ = s.app.RunWorker(wctx) }()
	defer func() { cancel(); wg.Wait() }()

	// A cleanup slot soon after the upload leaves the young job alone.
	runCleanup(t, s, time.Now())
	if j, _ := c.Job(ctx, up.Job.ID); j.Status != quizflow.StatusQueued {
		t.Fatalf("young job touched: %s", j.Status)
	}
	// One past StaleAfter re-enqueues it, and it completes.
	runCleanup(t, s, time.Now().Add(time.Hour))
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("reconciled job = %s %+v", j.Status, j.Error)
	}
}

func runCleanup(t *testing.T, s *stack, slot time.Time) {
	t.Helper()
	task, err := jobs.NewCleanupTask(slot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Queue.Enqueue(task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatal(err)
	}
	waitQueuesEmpty(t, s)
}
