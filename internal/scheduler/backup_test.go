package scheduler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/jobs"
)

// TestTwoSchedulersOneBackupPerSlot: two scheduler replicas run the backup
// entry on the default spec; each waits for 03:00 UTC and fires it, and
// one backup task is enqueued for the slot, named by it.
func TestTwoSchedulersOneBackupPerSlot(t *testing.T) {
	b := setup(t)
	slot := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs sync.WaitGroup
	for _, now := range []time.Time{slot.Add(-2 * time.Hour), slot.Add(-400 * time.Millisecond)} {
		s, err := New(b.client, zerolog.Nop(), []Entry{BackupEntry("0 3 * * *")})
		if err != nil {
			t.Fatal(err)
		}
		clock := newFakeClock(now)
		s.WithClock(clock)
		runs.Go(func() { _ = s.Run(ctx) })
		w := clock.next(t)
		if w.d != slot.Sub(now) {
			t.Errorf("clock at %v waits %v, want %v", now, w.d, slot.Sub(now))
		}
		clock.end(w, slot.Add(time.Second))
		clock.next(t) // fired; now waiting for tomorrow
	}
	tasks, err := b.insp.ListPendingTasks(jobs.QueueMaintenance)
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks) != 1 {
		t.Fatalf("%d backup tasks for one slot, want 1", len(tasks))
	}
	if tasks[0].Type != jobs.TypeMaintenanceBackup || tasks[0].ID != "backup:2026-03-02T03:00:00Z" || tasks[0].MaxRetry != jobs.BackupMaxRetry {
		t.Errorf("task %s %s (max retry %d)", tasks[0].Type, tasks[0].ID, tasks[0].MaxRetry)
	}
	if got := slotOf(t, tasks[0]); !got.Equal(slot) {
		t.Errorf("payload slot %v, want %v", got, slot)
	}
	cancel()
	runs.Wait()
}
