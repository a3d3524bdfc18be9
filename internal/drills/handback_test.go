package drills

import (
	"syscall"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/jobs"
)

// shutdownTimeout is the worker's asynq ShutdownTimeout
// (worker.ServerConfig): how long SIGTERM waits for running handlers.
const shutdownTimeout = 25 * time.Second

// TestSIGTERMHandsTaskBack: a worker told to stop (SIGTERM, as Kubernetes
// does) while a generation is stuck in a model call exits cleanly within
// its shutdown timeout and puts the task back on the queue, not counted as
// a failed attempt and without failing the job; another worker then
// finishes the job exactly once.
func TestSIGTERMHandsTaskBack(t *testing.T) {
	t.Parallel()
	d := setup(t, options{})
	gate := d.holdQuestions(1) // never answered while worker-a lives
	a := d.worker("worker-a")
	c := d.user("Term")
	up := d.upload(c, "lesson.md", lesson(2), 3)
	gate.waitArrived(t, time.Minute)

	start := time.Now()
	a.signal(syscall.SIGTERM)
	st := a.waitExit(shutdownTimeout + 15*time.Second)
	if !st.Success() {
		t.Errorf("worker-a after SIGTERM: %v, want exit status 0", st)
	}
	t.Logf("worker-a exited %v after SIGTERM", time.Since(start).Round(time.Millisecond))

	id := "generate:" + up.Job.ID
	info, err := d.insp.GetTaskInfo(jobs.QueueGenerate, id)
	if err != nil {
		t.Fatalf("task %s after SIGTERM: %v", id, err)
	}
	if info.State != asynq.TaskStatePending || info.Retried != 0 {
		t.Fatalf("task %s after SIGTERM = %v retried %d (%q), want pending and not retried (handed back)", id, info.State, info.Retried, info.LastErr)
	}
	if j, err := d.job(up.Job.ID); err != nil || terminal(j) {
		t.Fatalf("job after SIGTERM = %+v (%v), want still unfinished", j, err)
	}

	d.worker("worker-b")
	d.waitJob(c, up.Job.ID, time.Minute)
	d.exactlyOnce(c, up)
}

// TestRedeliveredWhileRunning: asynq delivers a task again when its lease
// expires, even if the first worker is only slow (a GC pause, a network
// partition from Redis). Here worker-a's lease on a generation is expired
// while worker-a is frozen (SIGSTOP, so its heartbeat cannot renew it)
// inside the model call; worker-b's recoverer hands the task to worker-b,
// which calls the model too; then worker-a resumes and both deliveries
// finish. The handler ran twice, and the job still has one quiz.
func TestRedeliveredWhileRunning(t *testing.T) {
	t.Parallel()
	d := setup(t, options{})
	gate := d.holdQuestions(2)
	a := d.worker("worker-a")
	c := d.user("Twice")
	up := d.upload(c, "lesson.md", lesson(3), 3)
	id := "generate:" + up.Job.ID
	gate.waitArrived(t, time.Minute)

	a.signal(syscall.SIGSTOP)
	d.expireLease(jobs.QueueGenerate, id)
	b := d.worker("worker-b")
	gate.waitArrived(t, time.Minute) // the second delivery, on worker-b
	a.signal(syscall.SIGCONT)
	gate.Release()

	d.waitJob(c, up.Job.ID, time.Minute)
	// Both deliveries end (each worker logs the task's outcome).
	waitFor(t, time.Minute, func() (bool, string) {
		return a.logged(`"task_id":"`+id+`"`, `"message":"task"`) && b.logged(`"task_id":"`+id+`"`, `"message":"task"`),
			"waiting for both deliveries of " + id + " to end"
	})
	if n := d.fake.Count(fakeopenai.KindQuestions); n != 2 {
		t.Errorf("%d question calls, want 2 (one per delivery)", n)
	}
	d.exactlyOnce(c, up)
	j, err := c.Job(t.Context(), up.Job.ID)
	if err != nil {
		t.Fatal(err)
	}
	d.usageIsBilled(j, 0)
}
