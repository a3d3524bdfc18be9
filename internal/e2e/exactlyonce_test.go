package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestExactlyOnceInEffect runs two worker servers against one Redis, sends
// every task twice (the same task ID, then a forced redelivery under a new
// ID), and checks each job made exactly one quiz.
func TestExactlyOnceInEffect(t *testing.T) {
	s := setup(t, func(o *setupOptions) { o.workers = 2 })
	c := s.user("Owen")
	ctx := context.Background()
	const n = 10
	type upload struct{ job, doc, owner string }
	var ups []upload
	for i := range n {
		body := strings.NewReader(fmt.Sprintf("# Lesson %d\n\n", i) + loremLesson)
		up, err := c.UploadReader(ctx, fmt.Sprintf("lesson-%d.md", i), body, map[string]string{"question_count": "3"})
		if err != nil {
			t.Fatal(err)
		}
		ups = append(ups, upload{up.Job.ID, up.Document.ID, up.Document.OwnerID})
		// A second enqueue of the same job's task is refused by its ID.
		task, _ := jobs.NewExtractTask(jobs.DocumentPayload{JobID: up.Job.ID, DocumentID: up.Document.ID, OwnerID: up.Document.OwnerID})
		if _, err := s.app.Queue.Enqueue(task); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			t.Fatalf("duplicate enqueue: %v", err)
		}
	}
	quizIDs := map[string]bool{}
	for _, u := range ups {
		j := waitJob(t, c, u.job)
		if j.Status != quizflow.StatusSucceeded {
			t.Fatalf("job %s: %s %+v", u.job, j.Status, j.Error)
		}
		quizIDs[j.Result.QuizID] = true
	}
	before := map[string]time.Time{}
	for _, u := range ups {
		j, _ := c.Job(ctx, u.job)
		before[u.job] = j.UpdatedAt
	}
	// Redeliver every stage of every finished job under new task IDs, as
	// at-least-once delivery may after a worker crash.
	for _, u := range ups {
		p := jobs.DocumentPayload{JobID: u.job, DocumentID: u.doc, OwnerID: u.owner}
		for _, mk := range []func(jobs.DocumentPayload) (*asynq.Task, error){jobs.NewExtractTask, jobs.NewGenerateTask} {
			task, _ := mk(p)
			if _, err := s.app.Queue.Enqueue(task, asynq.TaskID("redeliver-"+task.Type()+u.job)); err != nil {
				t.Fatal(err)
			}
		}
	}
	waitQueuesEmpty(t, s)

	var ql struct{ Quizzes []struct{ ID string } }
	if err := c.Do(ctx, "GET", "/v1/quizzes", nil, &ql); err != nil {
		t.Fatal(err)
	}
	if len(ql.Quizzes) != n || len(quizIDs) != n {
		t.Fatalf("%d quizzes listed, %d distinct quiz ids; want %d each", len(ql.Quizzes), len(quizIDs), n)
	}
	for _, q := range ql.Quizzes {
		if !quizIDs[q.ID] {
			t.Errorf("unexpected quiz %s", q.ID)
		}
	}
	for _, u := range ups {
		j, _ := c.Job(ctx, u.job)
		if j.Attempts != 1 || !j.UpdatedAt.Equal(before[u.job]) || j.Status != quizflow.StatusSucceeded {
			t.Errorf("job %s after redelivery: attempts %d, updated %v (was %v), status %s", u.job, j.Attempts, j.UpdatedAt, before[u.job], j.Status)
		}
	}
}

// waitQueuesEmpty waits until no task is pending, active or retrying.
func waitQueuesEmpty(t *testing.T, s *stack) {
	t.Helper()
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		busy := 0
		for q := range jobs.Queues {
			info, err := insp.GetQueueInfo(q)
			if err != nil {
				continue // queue not created yet
			}
			busy += info.Pending + info.Active + info.Retry + info.Scheduled
		}
		if busy == 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("queues did not drain")
}

const loremLesson = `Photosynthesis is the process by which green plants capture the energy of sunlight and store it in sugar.
It takes place in the chloroplasts, which contain the green pigment chlorophyll.

The light-dependent reactions split water molecules and release oxygen into the atmosphere.
The Calvin cycle then fixes carbon dioxide from the air into glucose, using energy carried by ATP.

Cellular respiration in the mitochondria releases the energy stored in glucose for the work of the cell.
Plants and animals both depend on respiration, while only plants and algae perform photosynthesis.
`

// TestCrashAfterSave: a worker that saved the quiz but died before marking
// the job done leaves work that a redelivery finishes without calling the
// model again, recording the quiz's real usage.
func TestCrashAfterSave(t *testing.T) {
	fake := fakeopenai.New()
	defer fake.Close()
	s := setup(t, withModel(fake))
	c := s.user("Crash")
	ctx := context.Background()
	up, err := c.UploadFile(ctx, fixture(t, "lesson.md"), map[string]string{"question_count": "3"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, c, up.Job.ID)
	if done.Status != quizflow.StatusSucceeded {
		t.Fatalf("job %+v", done.Error)
	}
	// Rewind the job to just before SucceedJob.
	_, err = s.app.Store.Database().Collection("jobs").UpdateOne(ctx, bson.M{"_id": up.Job.ID},
		bson.M{"$set": bson.M{"status": quizflow.StatusRunning, "stage": quizflow.StageSaving}, "$unset": bson.M{"usage": "", "result": ""}})
	if err != nil {
		t.Fatal(err)
	}
	calls := fake.Count("")
	task, _ := jobs.NewGenerateTask(jobs.DocumentPayload{JobID: up.Job.ID, DocumentID: up.Document.ID, OwnerID: up.Document.OwnerID})
	if _, err := s.app.Queue.Enqueue(task, asynq.TaskID("redelivered-"+up.Job.ID)); err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, c, up.Job.ID)
	if j.Status != quizflow.StatusSucceeded || j.Result.QuizID != done.Result.QuizID || j.Usage == nil || j.Usage.Cached || j.Usage.PromptTokens != done.Usage.PromptTokens {
		t.Errorf("redelivered job = %s quiz %s usage %+v; want the saved quiz %s with usage %+v", j.Status, j.Result.QuizID, j.Usage, done.Result.QuizID, done.Usage)
	}
	if fake.Count("") != calls {
		t.Errorf("the model was called again: %d -> %d calls", calls, fake.Count(""))
	}
}
