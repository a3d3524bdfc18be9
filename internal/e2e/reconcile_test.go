package e2e_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestReconcileLostTask: a job whose task vanished from Redis (a crash
// between recording the job and enqueueing it, Redis restarted empty) is
// found by the per-minute reconcile task once RECONCILE_AFTER (2 minutes)
// has passed, and finished, instead of staying "queued" for ever.
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
	s.startWorker()

	// A slot soon after the upload leaves the young job alone.
	runReconcile(t, s, time.Now())
	if j, _ := c.Job(ctx, up.Job.ID); j.Status != quizflow.StatusQueued {
		t.Fatalf("young job touched: %s", j.Status)
	}
	// A slot three minutes on (past RECONCILE_AFTER) re-enqueues it, and
	// it completes.
	runReconcile(t, s, time.Now().Add(3*time.Minute))
	if j := waitJob(t, c, up.Job.ID); j.Status != quizflow.StatusSucceeded {
		t.Fatalf("reconciled job = %s %+v", j.Status, j.Error)
	}
}

// TestReconcileArchivedTask: a job whose task asynq archived without
// calling the handler (the recoverer, after repeated worker crashes) is
// failed with a message by the next reconcile slot past RECONCILE_AFTER,
// not after half an hour.
func TestReconcileArchivedTask(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.workers = 0 })
	c := s.user("Crashy")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), nil)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	if err := insp.ArchiveTask(jobs.QueueExtract, "extract:"+up.Job.ID); err != nil {
		t.Fatalf("archive the task as the recoverer would: %v", err)
	}
	s.startWorker()
	runReconcile(t, s, time.Now().Add(3*time.Minute))
	j, err := c.Job(ctx, up.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Message == "" {
		t.Fatalf("job of an archived task = %s %+v, want failed with a message", j.Status, j.Error)
	}
	var doc quizflow.Document
	if err := c.Do(ctx, "GET", "/v1/documents/"+up.Document.ID, nil, &doc); err != nil || doc.Status != quizflow.DocumentFailed {
		t.Errorf("document of the failed job = %q (%v), want failed", doc.Status, err)
	}
}

func runReconcile(t *testing.T, s *stack, slot time.Time) {
	t.Helper()
	task, err := jobs.NewReconcileTask(slot)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Queue.Enqueue(task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatal(err)
	}
	waitQueuesEmpty(t, s)
}
