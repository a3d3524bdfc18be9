package e2e_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/internal/s3blob"
	"github.com/quizflow/quizflow/jobs"
)

// TestLastRetryFailsJob: a fault that is not the user's and persists
// through the last retry ends the job as failed with a generic message
// (no internal detail), never leaving it "running".
func TestLastRetryFailsJob(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.workers = 0 })
	c := s.user("Rhea")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), nil)
	if err != nil {
		t.Fatal(err)
	}
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	if err := insp.DeleteTask(jobs.QueueExtract, "extract:"+up.Job.ID); err != nil {
		t.Fatal(err)
	}
	// The stored text is corrupt: reading it fails, which retrying cannot
	// know to be permanent.
	key := s3blob.TextKey(up.Document.OwnerID, up.Document.ID)
	if err := s.app.Blobs.Put(ctx, key, []byte("{not json"), "application/json"); err != nil {
		t.Fatal(err)
	}
	if err := s.app.Store.SetDocumentExtracted(ctx, up.Document.ID, key, 1, 10); err != nil {
		t.Fatal(err)
	}
	task, err := jobs.NewGenerateTask(jobs.DocumentPayload{JobID: up.Job.ID, DocumentID: up.Document.ID, OwnerID: up.Document.OwnerID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.app.Queue.Enqueue(task, asynq.MaxRetry(1)); err != nil {
		t.Fatal(err)
	}
	s.startWorker()

	// First attempt fails: the job is still running, waiting for a retry.
	waitTaskState(t, insp, jobs.QueueGenerate, "generate:"+up.Job.ID, asynq.TaskStateRetry)
	if j, _ := c.Job(ctx, up.Job.ID); j.Status == quizflow.StatusFailed {
		t.Fatalf("job failed after the first of two attempts: %+v", j.Error)
	}
	if err := insp.RunTask(jobs.QueueGenerate, "generate:"+up.Job.ID); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Code != quizflow.EINTERNAL {
		t.Fatalf("job after the last retry = %s %+v", j.Status, j.Error)
	}
	if !strings.Contains(j.Error.Message, "try again") || strings.Contains(j.Error.Message, "json") || strings.Contains(j.Error.Message, "documents/") {
		t.Errorf("message %q is not a generic, user-facing one", j.Error.Message)
	}
}
