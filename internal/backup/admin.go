package backup

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Queue enqueues tasks (jobs.Client).
type Queue interface {
	Enqueue(ctx context.Context, t *asynq.Task) error
}

// Admin is the operators' BackupService: a backup now (a task for a
// worker, like the scheduled ones) and the list of backups.
type Admin struct {
	Service *Service
	Queue   Queue
	// Now is the clock (time.Now if nil).
	Now func() time.Time
}

var _ quizflow.BackupService = (*Admin)(nil)

func operatorOnly(user *quizflow.User) error {
	if user == nil || !user.Admin {
		return quizflow.Errorf(quizflow.EFORBIDDEN, "Only operators can manage backups.")
	}
	return nil
}

// StartBackup enqueues a manual backup. EFORBIDDEN unless user is an
// operator; EUNAVAILABLE when the queue refuses.
func (a *Admin) StartBackup(ctx context.Context, user *quizflow.User) (*quizflow.BackupStart, error) {
	if err := operatorOnly(user); err != nil {
		return nil, err
	}
	now := time.Now()
	if a.Now != nil {
		now = a.Now()
	}
	t, err := jobs.NewManualBackupTask(now)
	if err != nil {
		return nil, err
	}
	if err := a.Queue.Enqueue(ctx, t); err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil, quizflow.Errorf(quizflow.EUNAVAILABLE, "The queue did not take the backup; try again.")
	}
	return &quizflow.BackupStart{ID: ID(now.Truncate(time.Second)), TaskID: jobs.ManualBackupTaskID(now), Status: "queued"}, nil
}

// Backups lists the backups, newest first. EFORBIDDEN unless user is an
// operator.
func (a *Admin) Backups(ctx context.Context, user *quizflow.User) ([]quizflow.Backup, error) {
	if err := operatorOnly(user); err != nil {
		return nil, err
	}
	list, err := a.Service.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("list backups: %w", err)
	}
	return list, nil
}
