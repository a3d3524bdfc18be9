package drills

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/quizflow/quizflow/internal/client"
	"github.com/quizflow/quizflow/internal/embedded"
	"github.com/quizflow/quizflow/internal/fakeopenai"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// The reconciler's settings in the Redis drills: RECONCILE_AFTER at its
// minimum, and a slot every two seconds instead of every minute.
const (
	reconcileAfter = 30 * time.Second
	reconcileEvery = 2 * time.Second
)

// reconcileVars configure a scheduler (and the workers that run its
// reconcile tasks) with reconcileAfter and reconcileEvery.
var reconcileVars = []string{
	"RECONCILE_AFTER=" + reconcileAfter.String(),
	"RECONCILE_CRON=@every " + reconcileEvery.String(),
}

// startRedis starts a redis-server for one drill, stopped when it ends.
func startRedis(t *testing.T, opt embedded.RedisOptions) *embedded.Redis {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := embedded.StartRedis(ctx, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// restartRedis kills r with SIGKILL and starts a redis-server on the same
// port with opt (the same Dir to reload its append-only file, none to come
// back empty).
func restartRedis(t *testing.T, r *embedded.Redis, opt embedded.RedisOptions) *embedded.Redis {
	t.Helper()
	if err := r.Kill(); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(r.Addr)
	opt.Port, _ = strconv.Atoi(port)
	return startRedis(t, opt)
}

// outage is how long TestRedisKilledUnderUploads keeps Redis down.
const outage = 6 * time.Second

// maxUploads bounds the uploads of TestRedisKilledUnderUploads.
const maxUploads = 60

// attempt is one upload of the Redis drills and what the API answered.
type attempt struct {
	n      int
	status int // 202, or the error status (0: no HTTP answer)
	err    error
	up     *client.Upload
}

// TestRedisKilledUnderUploads: Redis (append-only file, fsync every
// second) is killed with SIGKILL while uploads stream in and one
// generation is inside its model call, and restarted on its file six
// seconds later. Uploads during the outage are refused (503) and leave no
// document behind; every upload that was accepted (202), before, during or
// after, ends succeeded or failed with a message, none makes more than one
// quiz, and the worker and scheduler live through it. The scheduler runs
// the reconciler, as in production, in case the outage lost a task.
func TestRedisKilledUnderUploads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	r := startRedis(t, embedded.RedisOptions{Dir: dir})
	d := setup(t, options{redis: r})
	// One generation stays in its model call across the outage, so a task
	// is running (its lease unrenewable) while Redis is down.
	gate := d.holdQuestions(1)
	w := d.worker("worker", reconcileVars...)
	sched := d.scheduler("scheduler", reconcileVars...)
	c := d.user("Burst")
	flight := d.upload(c, "flight.md", lesson(99), 3)
	gate.waitArrived(t, time.Minute)

	var (
		mu       sync.Mutex
		attempts []attempt
		stop     = make(chan struct{})
		stopOnce sync.Once
		wg       sync.WaitGroup
	)
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	count := func(since int, status int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, a := range attempts[min(since, len(attempts)):] {
			if status == 0 || a.status == status {
				n++
			}
		}
		return n
	}
	next := 0
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				mu.Lock()
				next++
				n := next
				mu.Unlock()
				if n > maxUploads {
					return
				}
				ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
				up, err := c.UploadReader(ctx, fmt.Sprintf("lesson-%d.md", n), bytes.NewReader(lesson(100+n)), map[string]string{"question_count": "3"})
				cancel()
				a := attempt{n: n, err: err, up: up, status: http.StatusAccepted}
				if err != nil {
					a.status, a.up = client.StatusOf(err), nil
				}
				mu.Lock()
				attempts = append(attempts, a)
				mu.Unlock()
				if err != nil {
					// A refused client backs off, as Retry-After asks.
					select {
					case <-stop:
					case <-time.After(time.Second):
					}
				}
			}
		}()
	}
	defer halt()
	mark := func() int { mu.Lock(); defer mu.Unlock(); return len(attempts) }
	waitFor(t, time.Minute, func() (bool, string) {
		return count(0, http.StatusAccepted) >= 6, fmt.Sprintf("%d uploads accepted before the kill", count(0, http.StatusAccepted))
	})

	killedAt := mark()
	if err := r.Kill(); err != nil {
		t.Fatal(err)
	}
	t.Logf("redis killed after %d uploads", killedAt)
	// The outage lasts a few seconds (longer than a client's retries, and
	// past a scheduler slot and a worker heartbeat) and sees some uploads.
	down := time.Now()
	waitFor(t, time.Minute, func() (bool, string) {
		return count(killedAt, 0) >= 3 && time.Since(down) >= outage, fmt.Sprintf("%d uploads answered during the outage", count(killedAt, 0))
	})
	_, port, _ := net.SplitHostPort(r.Addr)
	p, _ := strconv.Atoi(port)
	startRedis(t, embedded.RedisOptions{Dir: dir, Port: p})
	restartedAt := mark()
	restarted := time.Now()
	t.Logf("redis restarted on its append-only file after %d uploads", restartedAt)
	gate.Release()
	waitFor(t, time.Minute, func() (bool, string) {
		return count(restartedAt, http.StatusAccepted) >= 6, fmt.Sprintf("%d uploads accepted after the restart", count(restartedAt, http.StatusAccepted))
	})
	halt()

	accepted := []*client.Upload{flight}
	refused := map[int]int{}
	for _, a := range attempts {
		if a.status == http.StatusAccepted {
			accepted = append(accepted, a.up)
			continue
		}
		refused[a.status]++
		if a.status != http.StatusServiceUnavailable {
			t.Errorf("upload %d during the outage: %v, want 202 or 503", a.n, a.err)
		}
	}
	t.Logf("%d uploads: %d accepted (and one before), refused by status %v", len(attempts), len(accepted)-1, refused)
	if len(refused) == 0 {
		t.Errorf("no upload was refused: the outage was not observed")
	}

	// A task whose retry or completion the worker could not record during
	// the outage stays in asynq's active list: asynq v0.26 hands the write
	// to its syncer with a context it has already cancelled (processor.go,
	// retry/markAsDone: `defer cancel()` while the sync closure reuses
	// ctx), so every later attempt fails and the task is left to lease
	// recovery: lease (30 s) + the recoverer's margin (30 s) + its
	// once-a-minute run, then the retry backoff. Such a job is alive to the
	// reconciler meanwhile, so the bound here is asynq's, rounded up to the
	// README's default three minutes, not the reconciler's.
	const bound = 3 * time.Minute
	ctx := context.Background()
	var succeeded, failed int
	for _, up := range accepted {
		j := d.waitJob(c, up.Job.ID, bound-time.Since(restarted))
		if late := j.UpdatedAt.Sub(restarted); late > 20*time.Second {
			t.Logf("job %s ended %v after the restart (attempts %d): longer than the work takes (its task waited for lease recovery); the worker and scheduler said:\n%s",
				j.ID, late.Round(time.Second), j.Attempts, strings.Join(append(w.linesWith(j.ID), sched.linesWith(j.ID)...), "\n"))
		}
		if j.Status == quizflow.StatusFailed {
			failed++
			if j.Error == nil || j.Error.Message == "" {
				t.Errorf("job %s failed without a message", j.ID)
			}
			t.Logf("job %s failed: %+v", j.ID, j.Error)
		} else {
			succeeded++
		}
		// A task left active waits here for lease recovery and its next
		// run, which finds the job ended and makes no second quiz.
		d.noTaskLeft(up.Job.ID, max(bound-time.Since(restarted), 10*time.Second))
		if n, err := d.db.Collection("quizzes").CountDocuments(ctx, bson.M{"job_id": up.Job.ID}); err != nil || n > 1 {
			t.Errorf("job %s made %d quizzes (%v)", up.Job.ID, n, err)
		}
	}
	t.Logf("accepted jobs: %d succeeded, %d failed, the last %v after the restart", succeeded, failed, time.Since(restarted).Round(time.Second))
	for _, p := range []*proc{w, sched} {
		if !p.running() {
			t.Errorf("%s did not survive the outage: %v", p.name, p.err)
		}
	}
	// A refused upload leaves nothing in the owner's lists.
	if n, err := d.db.Collection("documents").CountDocuments(ctx, bson.M{"owner_id": accepted[0].Document.OwnerID}); err != nil || int(n) != len(accepted) {
		t.Errorf("%d documents stored (%v), want one per accepted upload (%d)", n, err, len(accepted))
	}
}

// TestRedisRestartedEmpty: Redis is killed and comes back empty (no
// persistence, a failover to an empty replica) while accepted jobs wait:
// some for extraction, some for generation, one inside its model call.
// Their tasks are gone; the reconciler (scheduler slot every 2 s,
// RECONCILE_AFTER 30 s) re-enqueues each, the one in flight included,
// which then runs twice at once and still makes one quiz. Every job ends
// succeeded, exactly once, within RECONCILE_AFTER + one slot + 25 s of
// work after the restart.
func TestRedisRestartedEmpty(t *testing.T) {
	t.Parallel()
	const bound = reconcileAfter + reconcileEvery + 25*time.Second
	r := startRedis(t, embedded.RedisOptions{})
	d := setup(t, options{redis: r})
	// One job is inside its model call when Redis empties, and stays there
	// until the reconciler, finding its task gone, has delivered it again.
	gate := d.holdMatching(fakeopenai.KindQuestions, 2, about("In lesson 199,"))
	w := d.worker("worker", reconcileVars...)
	c := d.user("Empty")
	ups := []*client.Upload{d.upload(c, "flight.md", lesson(199), 3)}
	gate.waitArrived(t, time.Minute)
	// Three jobs extracted, their generation queued (the queue paused).
	if err := d.insp.PauseQueue(jobs.QueueGenerate); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ups = append(ups, d.upload(c, fmt.Sprintf("gen-%d.md", i), lesson(200+i), 3))
	}
	for _, up := range ups[1:] {
		waitFor(t, time.Minute, func() (bool, string) {
			_, err := d.insp.GetTaskInfo(jobs.QueueGenerate, "generate:"+up.Job.ID)
			return err == nil, fmt.Sprintf("generation of job %s queued: %v", up.Job.ID, err)
		})
	}
	// Three jobs waiting for extraction.
	if err := d.insp.PauseQueue(jobs.QueueExtract); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		ups = append(ups, d.upload(c, fmt.Sprintf("ext-%d.md", i), lesson(300+i), 3))
	}

	restartRedis(t, r, embedded.RedisOptions{})
	restarted := time.Now()
	for _, up := range ups {
		for _, q := range []string{jobs.QueueExtract, jobs.QueueGenerate} {
			if _, err := d.insp.GetTaskInfo(q, q+":"+up.Job.ID); err == nil {
				t.Fatalf("task %s:%s survived the restart", q, up.Job.ID)
			}
		}
	}
	d.scheduler("scheduler", reconcileVars...)
	gate.waitArrived(t, bound) // the second delivery of the job in flight
	gate.Release()

	// Both deliveries of the job in flight end before its record is
	// judged: on FerretDB a conditional update is a read and a rewrite, not
	// atomic, so the second delivery's progress write can briefly reopen
	// the job the first one finished (see the drills' report), until its
	// own finish.
	flight := "generate:" + ups[0].Job.ID
	waitFor(t, bound-time.Since(restarted), func() (bool, string) {
		n := w.countLogged(`"task_id":"`+flight+`"`, `"message":"task"`)
		return n == 2, fmt.Sprintf("%d deliveries of %s ended, want 2 (before and after the restart)", n, flight)
	})
	var slowest time.Duration
	for _, up := range ups {
		j := d.waitJob(c, up.Job.ID, bound-time.Since(restarted))
		slowest = max(slowest, j.UpdatedAt.Sub(restarted))
		d.exactlyOnce(c, up)
	}
	t.Logf("every job ended within %v of the restart (bound %v)", slowest.Round(time.Second), bound)
	if !w.running() {
		t.Errorf("the worker did not survive the restart: %v", w.err)
	}
}
