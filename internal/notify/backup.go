package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/quizflow/quizflow/internal/mail"
	"github.com/quizflow/quizflow/internal/quizflow"
)

// Operators lists the accounts with the stored operator flag
// (mongostore; granted by `quizflow admin grant EMAIL`).
type Operators interface {
	Operators(ctx context.Context) ([]quizflow.User, error)
}

// BackupAlerts asks for the backup_failed mail to every operator.
type BackupAlerts struct {
	Notifier  Notifier
	Operators Operators
}

// BackupFailedID is the message ID of the backup_failed mail of backup
// (its time slot) to one operator: one message per operator and slot, so
// however often the slot's last attempt is reported, each operator is
// told once.
func BackupFailedID(backupID, userID string) string {
	return quizflow.MailBackupFailed + ":" + backupID + ":" + userID
}

// BackupFailed asks for one backup_failed message per operator, saying
// which backup failed, when and why. Who is an operator is read now and
// again by the Sender when it sends. It returns the first error of any
// request (the others are still made).
func (a BackupAlerts) BackupFailed(ctx context.Context, backupID, reason string, at time.Time) error {
	ops, err := a.Operators.Operators(ctx)
	if err != nil {
		return fmt.Errorf("backup failed mail: list operators: %w", err)
	}
	var errs []error
	for _, u := range ops {
		err := a.Notifier.Notify(ctx, quizflow.Mail{
			ID: BackupFailedID(backupID, u.ID), Kind: quizflow.MailBackupFailed, UserID: u.ID,
			Data: map[string]string{"backup_id": backupID, "reason": reason, "when": mail.FormatTime(at)},
		})
		if err != nil {
			errs = append(errs, fmt.Errorf("backup failed mail to %s: %w", u.ID, err))
		}
	}
	return errors.Join(errs...)
}
