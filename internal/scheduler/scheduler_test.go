package scheduler

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/internal/testenv"
	"github.com/quizflow/quizflow/jobs"
)

// bundle is what a scheduler test needs: a private Redis, a client and an
// inspector on it.
type bundle struct {
	client *asynq.Client
	insp   *asynq.Inspector
}

func setup(t *testing.T) *bundle {
	t.Helper()
	rdb := testenv.Redis(t)
	// Both share rdb, which testenv closes; closing them would not.
	return &bundle{client: asynq.NewClientFromRedisClient(rdb), insp: asynq.NewInspectorFromRedisClient(rdb)}
}

// newScheduler returns a scheduler of the cleanup entry, on spec, on b's
// Redis.
func (b *bundle) newScheduler(t *testing.T, spec string) *Scheduler {
	t.Helper()
	s, err := New(b.client, zerolog.Nop(), DefaultEntries(spec, spec)[:1])
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// cleanupTasks returns the pending cleanup tasks.
func (b *bundle) cleanupTasks(t *testing.T) []*asynq.TaskInfo {
	t.Helper()
	tasks, err := b.insp.ListPendingTasks(jobs.QueueMaintenance)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range tasks {
		if ti.Type != jobs.TypeMaintenanceCleanup {
			t.Errorf("task %s has type %s", ti.ID, ti.Type)
		}
	}
	return tasks
}

func slotOf(t *testing.T, ti *asynq.TaskInfo) time.Time {
	t.Helper()
	var p jobs.MaintenancePayload
	if err := json.Unmarshal(ti.Payload, &p); err != nil {
		t.Fatal(err)
	}
	return p.Slot
}

// TestTwoReplicasFireOneSlotOnce: two schedulers (two replicas, each with
// its own client) fire the same slot at the same moment; one task is
// enqueued, and the loser is not told of an error. The slot, given
// off the second and in another zone, names the task by its UTC second:
// the ID drops the fraction (truncating, not rounding), so a slot a few
// milliseconds later in the same second is the same slot.
func TestTwoReplicasFireOneSlotOnce(t *testing.T) {
	b := setup(t)
	cet := time.FixedZone("CET", 3600)
	slots := []time.Time{
		time.Date(2026, 3, 1, 4, 0, 0, 250_000_000, cet),
		time.Date(2026, 3, 1, 3, 0, 0, 999_000_000, time.UTC),
	}
	var wg sync.WaitGroup
	start := make(chan struct{})
	errs := make([]error, len(slots))
	for i, slot := range slots {
		s := b.newScheduler(t, "@hourly")
		wg.Go(func() {
			<-start
			errs[i] = s.Fire(context.Background(), 0, slot)
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("replica %d: %v", i, err)
		}
	}
	tasks := b.cleanupTasks(t)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks for one slot, want 1", len(tasks))
	}
	if want := "cleanup:2026-03-01T03:00:00Z"; tasks[0].ID != want {
		t.Errorf("task ID %q, want %q", tasks[0].ID, want)
	}
	if got := slotOf(t, tasks[0]); !got.Equal(slots[0]) && !got.Equal(slots[1]) {
		t.Errorf("payload slot %v is neither replica's", got)
	}

	// The next second is another slot.
	if err := b.newScheduler(t, "@hourly").Fire(context.Background(), 0, slots[1].Add(time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if n := len(b.cleanupTasks(t)); n != 2 {
		t.Errorf("%d tasks after a slot one second later, want 2", n)
	}
}

// fakeClock is a Clock whose waits the test ends: each After call is
// handed to the test on waits.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	waits chan wait
}

// wait is one After call of Run.
type wait struct {
	d    time.Duration
	fire chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, waits: make(chan wait, 1)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	w := wait{d: d, fire: make(chan time.Time, 1)}
	c.waits <- w
	return w.fire
}

// next returns Run's next wait, failing t if none comes in time.
func (c *fakeClock) next(t *testing.T) wait {
	t.Helper()
	select {
	case w := <-c.waits:
		return w
	case <-time.After(10 * time.Second):
		t.Fatal("the scheduler did not wait for a slot")
		return wait{}
	}
}

// end moves the clock to now and ends w.
func (c *fakeClock) end(w wait, now time.Time) {
	c.mu.Lock()
	c.now = now
	c.mu.Unlock()
	w.fire <- now
}

// TestRunFiresTheScheduledSlot runs two replicas whose clocks disagree by
// more than a second. Each waits exactly until the slot its cron spec
// names, fires that slot (the whole minute, not the clock reading when
// the wait ends, which is late), and then waits for the next one; between
// them, one task.
func TestRunFiresTheScheduledSlot(t *testing.T) {
	b := setup(t)
	slot := time.Date(2026, 3, 1, 3, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs sync.WaitGroup
	for _, now := range []time.Time{slot.Add(-1700 * time.Millisecond), slot.Add(-250 * time.Millisecond)} {
		clock := newFakeClock(now)
		s := b.newScheduler(t, "0 3 * * *").WithClock(clock)
		runs.Go(func() {
			if err := s.Run(ctx); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
		w := clock.next(t)
		if want := slot.Sub(now); w.d != want {
			t.Errorf("clock at %v: waits %v, want %v", now, w.d, want)
		}
		late := slot.Add(300 * time.Millisecond)
		clock.end(w, late)
		// Run asks for its next wait only after firing: the slot is in.
		w = clock.next(t)
		if want := slot.AddDate(0, 0, 1).Sub(late); w.d != want {
			t.Errorf("then waits %v, want %v (until tomorrow's slot)", w.d, want)
		}
	}
	tasks := b.cleanupTasks(t)
	if len(tasks) != 1 {
		t.Fatalf("%d tasks, want 1", len(tasks))
	}
	if got := slotOf(t, tasks[0]); !got.Equal(slot) {
		t.Errorf("payload slot %v, want %v", got, slot)
	}
	if want := "cleanup:" + slot.Format(time.RFC3339); tasks[0].ID != want {
		t.Errorf("task ID %q, want %q", tasks[0].ID, want)
	}

	// Both stop with their context while waiting.
	cancel()
	stopped := make(chan struct{})
	go func() { runs.Wait(); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return when its context ended")
	}
}

func TestBadSpecRefused(t *testing.T) {
	for _, spec := range []string{
		"",
		"every tuesday",
		"61 * * * *",   // no minute 61
		"0 3 * *",      // four fields
		"0 0 3 * * *",  // six fields: no seconds field here
		"@every",       // no duration
		"@every often", // not a duration
		"@fortnightly", // no such descriptor
	} {
		if _, err := New(nil, zerolog.Nop(), DefaultEntries("@hourly", spec)); err == nil {
			t.Errorf("reconcile spec %q accepted", spec)
		}
		_, err := New(nil, zerolog.Nop(), DefaultEntries(spec, "* * * * *"))
		if err == nil {
			t.Errorf("spec %q accepted", spec)
			continue
		}
		if !strings.Contains(err.Error(), "schedule \""+spec+"\"") {
			t.Errorf("spec %q: error %q does not name it", spec, err)
		}
	}
	// One bad entry among good ones refuses the whole schedule.
	entries := append(DefaultEntries("@hourly", "* * * * *"), DefaultEntries("0 25 * * *", "* * * * *")...)
	if _, err := New(nil, zerolog.Nop(), entries); err == nil {
		t.Error("a bad second entry was accepted")
	}
	for _, spec := range []string{"@hourly", "0 3 * * *", "*/15 * * * *", "@every 1m30s"} {
		if _, err := New(nil, zerolog.Nop(), DefaultEntries(spec, spec)); err != nil {
			t.Errorf("spec %q refused: %v", spec, err)
		}
	}
}

// TestDefaultEntriesReconcile: the schedule has a reconcile entry whose
// task derives its ID from the slot, so replicas enqueue a slot once.
func TestDefaultEntriesReconcile(t *testing.T) {
	entries := DefaultEntries("@hourly", "* * * * *")
	if len(entries) != 2 {
		t.Fatalf("%d entries, want cleanup and reconcile", len(entries))
	}
	slot := time.Date(2026, 12, 1, 10, 7, 0, 0, time.UTC)
	task, err := entries[1].Task(slot)
	if err != nil || task.Type() != jobs.TypeMaintenanceReconcile {
		t.Fatalf("reconcile entry task = %v, %v", task, err)
	}
	b := setup(t)
	for range 2 {
		task, _ := entries[1].Task(slot)
		_, err := b.client.Enqueue(task)
		if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
			t.Fatal(err)
		}
	}
	tasks, err := b.insp.ListPendingTasks(jobs.QueueMaintenance)
	if err != nil || len(tasks) != 1 || tasks[0].ID != "reconcile:2026-12-01T10:07:00Z" {
		t.Fatalf("pending after two enqueues of one slot = %v (%v), want one reconcile:2026-12-01T10:07:00Z", tasks, err)
	}
}
