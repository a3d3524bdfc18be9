// Package scheduler enqueues QuizFlow's periodic maintenance tasks.
//
// Each firing's task ID is derived from its time slot, so any number of
// scheduler replicas enqueue each slot exactly once (asynq refuses the
// duplicates with ErrTaskIDConflict).
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"
	"github.com/robfig/cron/v3"
	"github.com/rs/zerolog"

	"github.com/quizflow/quizflow/jobs"
)

// Entry is one periodic task.
type Entry struct {
	// Spec is a cron expression ("0 3 * * *") or descriptor ("@hourly").
	Spec string
	// Task makes the task of one slot; its ID must derive from the slot.
	Task func(slot time.Time) (*asynq.Task, error)
}

// DefaultEntries returns the production schedule: cleanup of expired
// records, and reconciliation of jobs whose task was lost or archived.
func DefaultEntries(cleanupSpec, reconcileSpec string) []Entry {
	return []Entry{
		{Spec: cleanupSpec, Task: jobs.NewCleanupTask},
		{Spec: reconcileSpec, Task: jobs.NewReconcileTask},
	}
}

// BackupEntry is the backup of BACKUP_CRON (daily at 03:00 UTC by
// default), one task per slot.
func BackupEntry(spec string) Entry { return Entry{Spec: spec, Task: jobs.NewBackupTask} }

// Scheduler fires entries on their schedules.
type Scheduler struct {
	queue   *asynq.Client
	log     zerolog.Logger
	entries []Entry
	scheds  []cron.Schedule
	clock   Clock
}

// Clock is where a Scheduler reads the time and waits for the next slot.
// New uses the system clock; tests pass their own to WithClock, to fire
// slots at once instead of waiting for them.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After delivers on the returned channel once d has passed, like
	// time.After.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// New validates the entries and returns a Scheduler on the system clock.
// It returns an error naming the first spec the cron parser refuses.
func New(queue *asynq.Client, log zerolog.Logger, entries []Entry) (*Scheduler, error) {
	s := &Scheduler{queue: queue, log: log, entries: entries, clock: systemClock{}}
	for _, e := range entries {
		sc, err := parser.Parse(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", e.Spec, err)
		}
		s.scheds = append(s.scheds, sc)
	}
	return s, nil
}

// WithClock makes s read the time from c (the system clock if c is nil).
// Call it before Run; it returns s.
func (s *Scheduler) WithClock(c Clock) *Scheduler {
	if c == nil {
		c = systemClock{}
	}
	s.clock = c
	return s
}

// Run fires the entries until ctx ends. The slot of a firing is the time
// its schedule names, never the clock reading at which the wait ended: a
// whole minute of the wall clock for a five-field spec or a descriptor
// such as "@hourly", so replicas agree on it even if their clocks or
// start times differ a little. "@every d" counts from the scheduler's
// start (rounded up to a whole second), so replicas agree on its slots
// only if they started within the same second. A firing that fails is
// logged and not retried; the next slot comes as usual.
func (s *Scheduler) Run(ctx context.Context) error {
	next := make([]time.Time, len(s.entries))
	now := s.clock.Now()
	for i, sc := range s.scheds {
		next[i] = sc.Next(now)
	}
	for {
		if len(next) == 0 {
			<-ctx.Done()
			return nil
		}
		soonest := 0
		for i := range next {
			if next[i].Before(next[soonest]) {
				soonest = i
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-s.clock.After(next[soonest].Sub(s.clock.Now())):
		}
		slot := next[soonest]
		if err := s.Fire(ctx, soonest, slot); err != nil {
			s.log.Error().Err(err).Str("spec", s.entries[soonest].Spec).Time("slot", slot).Msg("enqueue scheduled task")
		}
		next[soonest] = s.scheds[soonest].Next(slot)
	}
}

// Fire enqueues entry i's task for slot now, whatever the clock says. A
// slot already enqueued (by this or another replica: the task ID derives
// from the slot) is not an error. It returns the error of making or
// enqueueing the task.
func (s *Scheduler) Fire(ctx context.Context, i int, slot time.Time) error {
	t, err := s.entries[i].Task(slot)
	if err == nil {
		_, err = s.queue.EnqueueContext(ctx, t)
	}
	switch {
	case err == nil:
		s.log.Info().Str("spec", s.entries[i].Spec).Time("slot", slot).Msg("scheduled task enqueued")
	case errors.Is(err, asynq.ErrTaskIDConflict):
		s.log.Debug().Str("spec", s.entries[i].Spec).Time("slot", slot).Msg("slot already enqueued by another scheduler")
	default:
		return err
	}
	return nil
}
