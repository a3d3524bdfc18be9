package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestExactlyOnceInEffect runs two worker servers against one Redis and
// delivers every task of ten quiz jobs and their export jobs more than
// once: a second enqueue under the same task ID, refused while the first is
// queued; a copy under a new ID that runs beside the first, as at-least-once
// delivery may after a worker crash; and copies of every stage after the
// jobs finished. Each job still makes exactly one quiz or export.
func TestExactlyOnceInEffect(t *testing.T) {
	const n = 10
	// A slow model and a goroutine for every task keep both deliveries of
	// a generation in flight at once.
	fake := fakeopenai.New()
	defer fake.Close()
	fake.SetScript(fakeopenai.Always(fakeopenai.KindQuestions, fakeopenai.Action{Delay: 300 * time.Millisecond}))
	s := setup(t, withModel(fake), func(o *setupOptions) {
		o.workers = 2
		o.env["WORKER_CONCURRENCY"] = strconv.Itoa(n)
	})
	c := s.user("Owen")
	ctx := context.Background()
	insp := asynq.NewInspector(s.app.RedisOpt)
	defer insp.Close()
	// Each stage's queue is held until its tasks have been sent again, so
	// the first delivery is surely still queued when its duplicate comes,
	// and the copy runs alongside it once the queue resumes.
	stages := []string{jobs.QueueExtract, jobs.QueueGenerate, jobs.QueueExport}
	for _, q := range stages {
		if err := insp.PauseQueue(q); err != nil {
			t.Fatal(err)
		}
	}
	resume := func(q string) {
		t.Helper()
		if err := insp.UnpauseQueue(q); err != nil {
			t.Fatal(err)
		}
		waitQueuesEmpty(t, s, q)
	}

	var payloads []jobs.DocumentPayload
	for i := range n {
		body := strings.NewReader(fmt.Sprintf("# Lesson %d\n\n", i) + loremLesson)
		up, err := c.UploadReader(ctx, fmt.Sprintf("lesson-%d.md", i), body, map[string]string{"question_count": "3"})
		if err != nil {
			t.Fatal(err)
		}
		p := jobs.DocumentPayload{JobID: up.Job.ID, DocumentID: up.Document.ID, OwnerID: up.Document.OwnerID}
		payloads = append(payloads, p)
		task, _ := jobs.NewExtractTask(p)
		sendAgain(t, s, insp, jobs.QueueExtract, "extract:"+p.JobID, task)
	}
	resume(jobs.QueueExtract)
	// Each extraction (twice over) queued the job's generation once.
	for _, p := range payloads {
		task, _ := jobs.NewGenerateTask(p)
		sendAgain(t, s, insp, jobs.QueueGenerate, "generate:"+p.JobID, task)
	}
	resume(jobs.QueueGenerate)
	quizIDs := map[string]bool{}
	var exportJobs []string
	var late []*asynq.Task // every task once more, after its job finished
	for _, p := range payloads {
		j := waitJob(t, c, p.JobID)
		if j.Status != quizflow.StatusSucceeded {
			t.Fatalf("job %s: %s %+v", p.JobID, j.Status, j.Error)
		}
		quizIDs[j.Result.QuizID] = true
		code, a, body := postExport(t, s, c, j.Result.QuizID, map[string]any{"format": "html"})
		if code != http.StatusAccepted || a.Job == nil {
			t.Fatalf("POST export of quiz %s = %d %s, want 202 with a job", j.Result.QuizID, code, body)
		}
		exportJobs = append(exportJobs, a.Job.ID)
		ep := jobs.ExportPayload{JobID: a.Job.ID, ExportID: a.Export.ID, OwnerID: p.OwnerID}
		task, _ := jobs.NewExportTask(ep)
		sendAgain(t, s, insp, jobs.QueueExport, "export:"+ep.JobID, task)
		extract, _ := jobs.NewExtractTask(p)
		generate, _ := jobs.NewGenerateTask(p)
		late = append(late, extract, generate, task)
	}
	resume(jobs.QueueExport)
	allJobs := slices.Clone(exportJobs)
	for _, p := range payloads {
		allJobs = append(allJobs, p.JobID)
	}
	before := map[string]*quizflow.Job{}
	for _, id := range allJobs {
		j := waitJob(t, c, id)
		if j.Status != quizflow.StatusSucceeded {
			t.Fatalf("job %s: %s %+v", id, j.Status, j.Error)
		}
		before[id] = j
	}

	// Deliver every stage of every finished job once more, under new IDs.
	for i, task := range late {
		if _, err := s.app.Queue.Enqueue(task, asynq.TaskID(fmt.Sprintf("late-%d-%s", i, task.Type()))); err != nil {
			t.Fatal(err)
		}
	}
	waitQueuesEmpty(t, s)

	// One quiz per quiz job and one export per export job, in the database
	// as well as in the API's listing.
	db := s.app.Store.Database()
	for _, p := range payloads {
		if got, err := db.Collection("quizzes").CountDocuments(ctx, bson.M{"job_id": p.JobID}); err != nil || got != 1 {
			t.Errorf("job %s made %d quizzes (%v), want 1", p.JobID, got, err)
		}
	}
	for _, id := range exportJobs {
		if got, err := db.Collection("exports").CountDocuments(ctx, bson.M{"job_id": id}); err != nil || got != 1 {
			t.Errorf("export job %s has %d exports (%v), want 1", id, got, err)
		}
	}
	owner := payloads[0].OwnerID
	for _, col := range []string{"quizzes", "exports"} {
		if got, err := db.Collection(col).CountDocuments(ctx, bson.M{"owner_id": owner}); err != nil || got != n {
			t.Errorf("%d %s in the database (%v), want %d", got, col, err, n)
		}
	}
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
	// The late deliveries found their jobs finished and left them alone,
	// and no delivery failed for good.
	for _, id := range allJobs {
		j, err := c.Job(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		b := before[id]
		if j.Status != quizflow.StatusSucceeded || j.Attempts != b.Attempts || !j.UpdatedAt.Equal(b.UpdatedAt) || j.Result != b.Result {
			t.Errorf("job %s after late redelivery: %s, attempts %d, updated %v, result %+v; was attempts %d, updated %v, result %+v",
				id, j.Status, j.Attempts, j.UpdatedAt, j.Result, b.Attempts, b.UpdatedAt, b.Result)
		}
	}
	for _, q := range stages {
		if info, err := insp.GetQueueInfo(q); err != nil || info.Archived != 0 {
			t.Errorf("queue %s: %+v %v, want no archived task", q, info, err)
		}
	}
}

// sendAgain delivers task, whose first copy (ID id) must still be queued in
// queue, twice more: under the same ID, which the queue must refuse, and
// under a new ID, which it must take.
func sendAgain(t *testing.T, s *stack, insp *asynq.Inspector, queue, id string, task *asynq.Task) {
	t.Helper()
	if info, err := insp.GetTaskInfo(queue, id); err != nil || info.State != asynq.TaskStatePending {
		t.Fatalf("task %s is not queued: %+v %v", id, info, err)
	}
	if _, err := s.app.Queue.Enqueue(task); !errors.Is(err, asynq.ErrTaskIDConflict) {
		t.Fatalf("second enqueue of task %s = %v, want %v", id, err, asynq.ErrTaskIDConflict)
	}
	if _, err := s.app.Queue.Enqueue(task, asynq.TaskID("again-"+id)); err != nil {
		t.Fatalf("enqueue a copy of task %s: %v", id, err)
	}
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
