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

// DefaultEntries returns the production schedule.
func DefaultEntries(cleanupSpec string) []Entry {
	return []Entry{{Spec: cleanupSpec, Task: jobs.NewCleanupTask}}
}

// Scheduler fires entries on their schedules.
type Scheduler struct {
	queue   *asynq.Client
	log     zerolog.Logger
	entries []Entry
	scheds  []cron.Schedule
	now     func() time.Time
}

var parser = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow | cron.Descriptor)

// New validates the entries and returns a Scheduler.
func New(queue *asynq.Client, log zerolog.Logger, entries []Entry) (*Scheduler, error) {
	s := &Scheduler{queue: queue, log: log, entries: entries, now: time.Now}
	for _, e := range entries {
		sc, err := parser.Parse(e.Spec)
		if err != nil {
			return nil, fmt.Errorf("schedule %q: %w", e.Spec, err)
		}
		s.scheds = append(s.scheds, sc)
	}
	return s, nil
}

// Run fires the entries until ctx ends.
func (s *Scheduler) Run(ctx context.Context) error {
	next := make([]time.Time, len(s.entries))
	for i, sc := range s.scheds {
		next[i] = sc.Next(s.now())
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
		timer := time.NewTimer(time.Until(next[soonest]))
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil
		case <-timer.C:
		}
		slot := next[soonest]
		s.Fire(ctx, soonest, slot)
		next[soonest] = s.scheds[soonest].Next(slot)
	}
}

// Fire enqueues entry i's task for slot. A slot already enqueued (by this
// or another replica) is not an error.
func (s *Scheduler) Fire(ctx context.Context, i int, slot time.Time) {
	t, err := s.entries[i].Task(slot)
	if err == nil {
		_, err = s.queue.EnqueueContext(ctx, t)
	}
	switch {
	case err == nil:
		s.log.Info().Str("spec", s.entries[i].Spec).Time("slot", slot).Msg("scheduled task enqueued")
	case errors.Is(err, asynq.ErrTaskIDConflict):
		s.log.Debug().Time("slot", slot).Msg("slot already enqueued by another scheduler")
	default:
		s.log.Error().Err(err).Time("slot", slot).Msg("enqueue scheduled task")
	}
}
