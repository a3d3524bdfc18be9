package usecase

import (
	"context"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// NotifyJobChanges returns store with notify called with a job's ID after
// each successful write of that job's record (creation, progress, success,
// failure), so waiters in this process (jobwatch.Hub) wake at once.
func NotifyJobChanges(store Store, notify func(jobID string)) Store {
	return &notifyingStore{Store: store, notify: notify}
}

type notifyingStore struct {
	Store
	notify func(jobID string)
}

func (s *notifyingStore) after(id string, err error) error {
	if err == nil {
		s.notify(id)
	}
	return err
}

func (s *notifyingStore) CreateJob(ctx context.Context, j *quizflow.Job) error {
	return s.after(j.ID, s.Store.CreateJob(ctx, j))
}

func (s *notifyingStore) JobProgress(ctx context.Context, id, stage string, progress int, message string) (bool, error) {
	ok, err := s.Store.JobProgress(ctx, id, stage, progress, message)
	if !ok {
		return ok, err // a finished job: nothing was written
	}
	return ok, s.after(id, err)
}

func (s *notifyingStore) SucceedJob(ctx context.Context, id string, result quizflow.JobResult, usage *quizflow.Usage, warnings []string) error {
	return s.after(id, s.Store.SucceedJob(ctx, id, result, usage, warnings))
}

func (s *notifyingStore) FailJob(ctx context.Context, id string, jerr quizflow.JobError) error {
	return s.after(id, s.Store.FailJob(ctx, id, jerr))
}
