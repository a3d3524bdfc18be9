package drills

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// TestKill9DuringGeneration: a worker killed with SIGKILL while its model
// call is in flight leaves the job running at "generating"; once the
// task's lease has expired, a second worker finishes it, exactly once.
func TestKill9DuringGeneration(t *testing.T) {
	t.Parallel()
	d := setup(t, options{})
	gate := d.holdQuestions(1)
	a := d.worker("worker-a")
	c := d.user("Gen")
	up := d.upload(c, "lesson.md", lesson(1), 3)

	gate.waitArrived(t, time.Minute)
	a.kill9()

	j, err := d.job(up.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != quizflow.StatusRunning || j.Stage != quizflow.StageGenerating {
		t.Fatalf("job after the kill = %s at %s, want running at generating", j.Status, j.Stage)
	}
	info, err := d.insp.GetTaskInfo(jobs.QueueGenerate, "generate:"+up.Job.ID)
	if err != nil || info.State != asynq.TaskStateActive {
		t.Fatalf("task after the kill = %+v (%v), want still active (its worker's lease unexpired)", info, err)
	}
	d.expireLease(jobs.QueueGenerate, "generate:"+up.Job.ID)
	d.worker("worker-b")

	j = d.waitJob(c, up.Job.ID, 90*time.Second)
	d.exactlyOnce(c, up)
	d.usageIsBilled(j, 0)
	if n := d.fake.Count(fakeopenai.KindQuestions); n < 2 {
		t.Errorf("%d question calls, want the killed one and the second worker's", n)
	}
}

// TestKill9AfterPaidCalls: a worker killed with SIGKILL after the model
// answered its question call (a billed call) and while its answer check is
// in flight: the second worker finishes the job exactly once, and the
// job's usage counts every call the model server answered, the dead
// worker's included (issue 9, finding 10), and nothing twice.
func TestKill9AfterPaidCalls(t *testing.T) {
	t.Parallel()
	d := setup(t, options{})
	gate := d.holdMatching(fakeopenai.KindAnswers, 1, func(*fakeopenai.Call) bool { return true })
	a := d.worker("worker-a")
	c := d.user("Paid")
	up := d.upload(c, "lesson.md", lesson(5), 3)
	gate.waitArrived(t, time.Minute)
	paid := d.fake.Answered("")
	if len(paid) == 0 {
		t.Fatal("no call answered before the kill")
	}
	a.kill9()
	d.expireLease(jobs.QueueGenerate, "generate:"+up.Job.ID)
	d.worker("worker-b")

	j := d.waitJob(c, up.Job.ID, 90*time.Second)
	d.exactlyOnce(c, up)
	d.usageIsBilled(j, len(paid))
}

// TestKill9DuringExtraction: a worker killed with SIGKILL while it is
// reading a many-page PDF (pages being parsed, or a parsing child process
// running) leaves nothing of its own behind (no process of its group lives
// on), and a second worker reads the document again from the start and
// finishes the job exactly once.
func TestKill9DuringExtraction(t *testing.T) {
	t.Parallel()
	const pages = 400
	d := setup(t, options{})
	a := d.worker("worker-a")
	c := d.user("Ext")
	up := d.upload(c, "handbook.pdf", slowPDF(pages, 4000), 3)

	// Mid-extraction: pages being read (past the first, short of the
	// last), or, should progress ever stop being reported per page, the
	// parsing child (the extraction sandbox) alive for a second.
	var mid string
	var childSince time.Time
	waitFor(t, time.Minute, func() (bool, string) {
		j, err := d.job(up.Job.ID)
		if err != nil {
			return false, err.Error()
		}
		if terminal(j) || j.Stage == quizflow.StageGenerating || j.Stage == quizflow.StageSaving {
			t.Fatalf("extraction ended before the worker could be killed: %s at %s %d%% (%s); make the PDF slower to read", j.Status, j.Stage, j.Progress, j.Message)
		}
		kids := a.children()
		switch {
		case len(kids) == 0:
			childSince = time.Time{}
		case childSince.IsZero():
			childSince = time.Now()
		}
		mid = fmt.Sprintf("job %s at %s %d%% (%s), worker children %v", j.Status, j.Stage, j.Progress, j.Message, kids)
		reading := j.Progress > 5 && j.Progress < 35
		return j.Stage == quizflow.StageExtracting && (reading || !childSince.IsZero() && time.Since(childSince) > time.Second), mid
	})
	t.Logf("killing mid-extraction: %s", mid)
	a.kill9()

	if j, err := d.job(up.Job.ID); err != nil || j.Status != quizflow.StatusRunning || j.Stage != quizflow.StageExtracting {
		t.Fatalf("job after the kill = %+v (%v), want running at extracting", j, err)
	}
	d.expireLease(jobs.QueueExtract, "extract:"+up.Job.ID)
	d.worker("worker-b")

	j := d.waitJob(c, up.Job.ID, 3*time.Minute)
	d.exactlyOnce(c, up)
	var doc quizflow.Document
	if err := c.Do(t.Context(), "GET", "/v1/documents/"+up.Document.ID, nil, &doc); err != nil || doc.PageCount != pages {
		t.Errorf("document read again = %d pages (%v), want %d", doc.PageCount, err, pages)
	}
	if j.Attempts < 2 {
		t.Errorf("job attempts = %d, want the killed one and the second", j.Attempts)
	}
}

// TestCrashLoopFailsJob: a generation that kills its worker every time
// (here: each worker is killed with SIGKILL inside the model call) is
// recovered by asynq until its retries run out, and then archived without
// the handler running again, so no handler can fail the job. The
// reconciler (a scheduler child, slot every 2 s, RECONCILE_AFTER 30 s)
// fails it with a message within RECONCILE_AFTER + one slot + 25 s of the
// archiving, and its document stays readable (it was extracted).
func TestCrashLoopFailsJob(t *testing.T) {
	t.Parallel()
	d := setup(t, options{})
	gate := d.holdQuestions(jobs.MaxRetry + 1)
	c := d.user("Loop")
	id := ""
	var up *client.Upload
	for n := range jobs.MaxRetry + 1 {
		w := d.worker(fmt.Sprintf("worker-%d", n+1), reconcileVars...)
		if n == 0 {
			up = d.upload(c, "lesson.md", lesson(4), 3)
			id = "generate:" + up.Job.ID
		} else {
			// This worker's recoverer put the task in the retry set, to
			// run after a backoff of seconds to minutes; run it now.
			waitFor(t, 30*time.Second, func() (bool, string) {
				info, err := d.insp.GetTaskInfo(jobs.QueueGenerate, id)
				if err != nil {
					return false, err.Error()
				}
				return info.State == asynq.TaskStateRetry, fmt.Sprintf("task %s is %v, want retry", id, info.State)
			})
			if err := d.insp.RunTask(jobs.QueueGenerate, id); err != nil {
				t.Fatal(err)
			}
		}
		gate.waitArrived(t, time.Minute)
		w.kill9()
		d.expireLease(jobs.QueueGenerate, id)
	}
	// The next worker's recoverer archives the task: its retries are spent.
	d.worker("worker-last", reconcileVars...)
	var archived time.Time
	waitFor(t, 30*time.Second, func() (bool, string) {
		info, err := d.insp.GetTaskInfo(jobs.QueueGenerate, id)
		if err != nil {
			return false, err.Error()
		}
		archived = time.Now()
		return info.State == asynq.TaskStateArchived, fmt.Sprintf("task %s is %v retried %d, want archived", id, info.State, info.Retried)
	})
	if j, err := d.job(up.Job.ID); err != nil || terminal(j) {
		t.Fatalf("job when its task was archived = %+v (%v), want still running (no handler saw the last crash)", j, err)
	}
	d.scheduler("scheduler", reconcileVars...)
	const bound = reconcileAfter + reconcileEvery + 25*time.Second
	j := d.waitJob(c, up.Job.ID, bound)
	t.Logf("job failed %v after its task was archived (bound %v): %+v", time.Since(archived).Round(time.Second), bound, j.Error)
	if j.Status != quizflow.StatusFailed || j.Error == nil || j.Error.Message == "" {
		t.Fatalf("job = %s %+v, want failed with a message", j.Status, j.Error)
	}
	if n, err := d.db.Collection("quizzes").CountDocuments(context.Background(), bson.M{"job_id": up.Job.ID}); err != nil || n != 0 {
		t.Errorf("%d quizzes of the failed job (%v), want none", n, err)
	}
	var doc quizflow.Document
	if err := c.Do(t.Context(), "GET", "/v1/documents/"+up.Document.ID, nil, &doc); err != nil || doc.Status != quizflow.DocumentExtracted {
		t.Errorf("document of the failed job = %q (%v), want still extracted", doc.Status, err)
	}
	if n := d.fake.Count(fakeopenai.KindQuestions); n != jobs.MaxRetry+1 {
		t.Errorf("%d question calls, want one per delivery (%d)", n, jobs.MaxRetry+1)
	}
}
