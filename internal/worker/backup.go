package worker

import (
	"cmp"
	"context"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/quizflow/quizflow/internal/backup"
	"github.com/quizflow/quizflow/internal/quizflow"
	"github.com/quizflow/quizflow/jobs"
)

// Backups takes backups (*backup.Service).
type Backups interface {
	// Run takes backup id; a backup already taken is returned as is.
	Run(ctx context.Context, id, trigger string) (*quizflow.Backup, error)
}

// BackupAlerts tells the operators that a backup failed for good
// (notify.BackupAlerts): once per operator and backup, however often it
// is called.
type BackupAlerts interface {
	BackupFailed(ctx context.Context, backupID, reason string, at time.Time) error
}

// backupHandler runs maintenance:backup: the backup of the task's slot
// (backup.ID), so a redelivered task finds its manifest and does nothing.
// A failure is retried (jobs.BackupMaxRetry), then archived with its
// reason, which the Asynq UI shows; the last failed attempt also mails
// every operator (BackupAlerts).
type backupHandler struct{ d Deps }

func (h *backupHandler) ProcessTask(ctx context.Context, t *asynq.Task) error {
	var p jobs.MaintenancePayload
	if err := jobs.Decode(t, &p); err != nil {
		return err
	}
	if h.d.Backups == nil {
		return fmt.Errorf("backups are not configured in this worker: %w", asynq.SkipRetry)
	}
	id := backup.ID(p.Slot)
	m, err := h.d.Backups.Run(ctx, id, cmp.Or(p.Trigger, "scheduled"))
	if err != nil {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		ev := h.d.Log.Warn()
		if retried >= maxRetry {
			ev = h.d.Log.Error().Str("alert", "backup_failed")
		}
		ev.Err(err).Str("backup_id", id).Int("attempt", retried+1).Msg("backup failed")
		if retried >= maxRetry && h.d.BackupAlerts != nil {
			// The task's context may be what ended (BackupTimeout).
			actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
			defer cancel()
			if aerr := h.d.BackupAlerts.BackupFailed(actx, id, err.Error(), time.Now()); aerr != nil {
				h.d.Log.Error().Err(aerr).Str("backup_id", id).Msg("mail the operators about a failed backup")
			}
		}
		return err
	}
	h.d.Log.Info().Str("backup_id", id).Str("key", m.ArchiveKey).Int64("documents", m.Documents).
		Int64("archive_bytes", m.ArchiveBytes).Str("consistency", m.Consistency).Msg("backup done")
	return nil
}
