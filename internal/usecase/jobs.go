package usecase

import (
	"context"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Jobs implements quizflow.JobService.
type Jobs struct{ *core }

var _ quizflow.JobService = (*Jobs)(nil)

// Job implements quizflow.JobService.
func (s *Jobs) Job(ctx context.Context, user *quizflow.User, id string) (*quizflow.Job, error) {
	if err := validID("job", id, "job"); err != nil {
		return nil, err
	}
	return s.Store.Job(ctx, id, user.ID)
}

// Jobs implements quizflow.JobService.
func (s *Jobs) Jobs(ctx context.Context, user *quizflow.User, p quizflow.PageRequest) ([]quizflow.Job, string, error) {
	return s.Store.Jobs(ctx, user.ID, p)
}
