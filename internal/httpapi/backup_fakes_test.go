package httpapi

import (
	"context"
	"time"

	"github.com/quizflow/quizflow/internal/quizflow"
)

// Backup methods of fakeServices: one succeeded backup, listed to
// operators; everyone else is refused as backup.Admin refuses them.

var fakeBackup = quizflow.Backup{
	ID: "20260301T030000Z", Status: quizflow.BackupSucceeded, Trigger: "scheduled", Version: "test",
	Database: "quizflow", Bucket: "quizflow-backups", ArchiveKey: "backups/archives/20260301T030000Z.archive.gz",
	StartedAt: fixedTime, EndedAt: fixedTime.Add(time.Minute), Consistency: "collection",
	Collections: []quizflow.BackupCollection{{Name: "users", Documents: 3, Bytes: 900, Indexes: 2}},
	Documents:   3, Bytes: 900, ArchiveBytes: 512, SHA256: "ab12",
	Verification: quizflow.BackupVerification{OK: true, CheckedAt: fixedTime.Add(time.Minute), Documents: 3},
}

func (f *fakeServices) StartBackup(ctx context.Context, u *quizflow.User) (*quizflow.BackupStart, error) {
	if err := f.record(ctx, u, call{Method: "StartBackup"}); err != nil {
		return nil, err
	}
	if u == nil || !u.Admin {
		return nil, quizflow.Errorf(quizflow.EFORBIDDEN, "Only operators can manage backups.")
	}
	return &quizflow.BackupStart{ID: "20260301T120000Z", TaskID: "backup:manual:2026-03-01T12:00:00Z", Status: "queued"}, nil
}

func (f *fakeServices) Backups(ctx context.Context, u *quizflow.User) ([]quizflow.Backup, error) {
	if err := f.record(ctx, u, call{Method: "Backups"}); err != nil {
		return nil, err
	}
	if u == nil || !u.Admin {
		return nil, quizflow.Errorf(quizflow.EFORBIDDEN, "Only operators can manage backups.")
	}
	return []quizflow.Backup{fakeBackup}, nil
}
